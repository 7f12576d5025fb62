"""RichProgress draws on a terminal and stays silent otherwise."""

from __future__ import annotations

import io

import torch
from rich.console import Console
from torch import nn

from modelyard.training import LoopConfig, RichProgress, Trainer


def _fit(progress: RichProgress) -> None:
    torch.manual_seed(0)
    x, y = torch.randn(64, 4), torch.randint(0, 2, (64,))
    module = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    Trainer(LoopConfig(epochs=2, batch_size=16, device="cpu"), [progress]).fit(
        module, (x, y), (x, y)
    )


def test_draws_epochs_and_batches_on_a_terminal():
    out = io.StringIO()
    progress = RichProgress(console=Console(file=out, force_terminal=True, width=120))
    _fit(progress)
    text = out.getvalue()
    assert progress.enabled and "epochs" in text and "batches" in text and "val_loss=" in text


def test_silent_when_quiet_or_not_a_terminal():
    for progress in (
        RichProgress(console=Console(file=io.StringIO(), force_terminal=False)),
        RichProgress(quiet=True, console=Console(file=io.StringIO(), force_terminal=True)),
    ):
        _fit(progress)
        assert not progress.enabled
        assert progress.console.file.getvalue() == ""
    assert RichProgress().state_dict() == {}
