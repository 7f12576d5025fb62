"""Optimizers and learning-rate schedules, by name.

``OPTIMIZERS`` and ``SCHEDULES`` are the registries that define the valid names: the config
objects validate against them and error messages list them from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from modelyard.training.config import OptimizerConfig, ScheduleConfig


def _sgd(params: Iterable[torch.nn.Parameter], cfg: OptimizerConfig) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)


def _adam(params: Iterable[torch.nn.Parameter], cfg: OptimizerConfig) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def _adamw(params: Iterable[torch.nn.Parameter], cfg: OptimizerConfig) -> torch.optim.Optimizer:
    return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


OPTIMIZERS: dict[str, Callable[..., torch.optim.Optimizer]] = {
    "sgd": _sgd,
    "adam": _adam,
    "adamw": _adamw,
}


@dataclass(frozen=True)
class Schedule:
    """A built scheduler and when the loop steps it."""

    scheduler: object | None
    step_on: str  # "never" | "batch" | "epoch" | "val"


def _none(opt: torch.optim.Optimizer, cfg: ScheduleConfig, epochs: int, steps: int) -> Schedule:
    return Schedule(None, "never")


def _cosine(opt: torch.optim.Optimizer, cfg: ScheduleConfig, epochs: int, steps: int) -> Schedule:
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(
        opt, T_max=max(1, epochs), eta_min=cfg.eta_min
    )
    return Schedule(sched, "epoch")


def _onecycle(opt: torch.optim.Optimizer, cfg: ScheduleConfig, epochs: int, steps: int) -> Schedule:
    max_lr = [group["lr"] for group in opt.param_groups]
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=max_lr, total_steps=max(1, epochs * steps), pct_start=cfg.pct_start
    )
    return Schedule(sched, "batch")


def _plateau(opt: torch.optim.Optimizer, cfg: ScheduleConfig, epochs: int, steps: int) -> Schedule:
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
        opt, mode="min", factor=cfg.factor, patience=cfg.patience, min_lr=cfg.eta_min
    )
    return Schedule(sched, "val")


SCHEDULES: dict[str, Callable[..., Schedule]] = {
    "none": _none,  # constant learning rate
    "cosine": _cosine,  # cosine annealing over the epochs, stepped per epoch
    "onecycle": _onecycle,  # one-cycle policy peaking at the optimizer's lr, stepped per batch
    "plateau": _plateau,  # multiply lr by `factor` when the val loss stalls, stepped per epoch
}


def build_optimizer(module: torch.nn.Module, cfg: OptimizerConfig) -> torch.optim.Optimizer:
    """The optimizer ``cfg`` names, over the module's trainable parameters."""
    params = [p for p in module.parameters() if p.requires_grad]
    return OPTIMIZERS[cfg.name](params, cfg)


def build_schedule(
    opt: torch.optim.Optimizer, cfg: ScheduleConfig, *, epochs: int, steps_per_epoch: int
) -> Schedule:
    """The schedule ``cfg`` names, sized for ``epochs`` epochs of ``steps_per_epoch`` batches."""
    return SCHEDULES[cfg.name](opt, cfg, epochs, steps_per_epoch)
