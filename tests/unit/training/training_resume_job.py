"""A small training job shared by the resume tests; run as a script it trains into a checkpoint dir.

``python training_resume_job.py CHECKPOINT_DIR [SLEEP_SECONDS]`` trains with a Checkpoint callback
and sleeps after each epoch, so that a test can kill it with SIGKILL between checkpoints.
"""

from __future__ import annotations

import sys
import time

import torch
from torch import nn

from modelyard.training import (
    Callback,
    Checkpoint,
    LoopConfig,
    OptimizerConfig,
    ScheduleConfig,
    Trainer,
)

EPOCHS = 6


def config() -> LoopConfig:
    """Adam + cosine schedule + early stopping state + dropout: everything a resume must restore."""
    return LoopConfig(
        epochs=EPOCHS,
        batch_size=16,
        loss="cross_entropy",
        seed=7,
        patience=10,
        device="cpu",
        optimizer=OptimizerConfig(name="adam", lr=1e-2),
        schedule=ScheduleConfig(name="cosine"),
    )


def data() -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(200, 8, generator=gen)  # (200, 8)
    y = (x[:, 0] - x[:, 1] + 0.3 * torch.randn(200, generator=gen) > 0).long()  # (200,)
    return (x[:160], y[:160]), (x[160:], y[160:])


def model(init_seed: int = 0) -> nn.Module:
    torch.manual_seed(init_seed)
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 2))


class Sleep(Callback):
    """Slow each epoch down so that the parent process can kill us between checkpoints."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def on_epoch_end(self, state) -> None:
        time.sleep(self.seconds)


def main(directory: str, sleep: float) -> None:
    torch.set_num_threads(1)
    train, val = data()
    Trainer(config(), [Checkpoint(directory), Sleep(sleep)]).fit(model(), train, val)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 0.5)
