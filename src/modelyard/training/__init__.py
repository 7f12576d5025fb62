"""The generic PyTorch training loop: configs, ``Trainer``, ``History`` and callbacks.

The module says what to compute, the ``Trainer`` says when, callbacks own side effects
(early stopping, checkpoints, budget, progress) and only raise flags the loop acts on.
"""

from modelyard.training.callbacks import HOOKS, BudgetStop, Callback, EarlyStopping, LossGuard
from modelyard.training.checkpoint import (
    Checkpoint,
    Checkpointed,
    find_checkpoint,
    read_checkpoint,
    write_checkpoint,
)
from modelyard.training.config import LoopConfig, OptimizerConfig, ScheduleConfig
from modelyard.training.history import History
from modelyard.training.losses import LOSSES, METRICS, Metric
from modelyard.training.optim import OPTIMIZERS, SCHEDULES
from modelyard.training.progress import RichProgress
from modelyard.training.state import FitState
from modelyard.training.trainer import Trainer, resolve_device, seeded

__all__ = [
    "HOOKS",
    "LOSSES",
    "METRICS",
    "OPTIMIZERS",
    "SCHEDULES",
    "BudgetStop",
    "Callback",
    "Checkpoint",
    "Checkpointed",
    "EarlyStopping",
    "FitState",
    "History",
    "LoopConfig",
    "LossGuard",
    "Metric",
    "OptimizerConfig",
    "RichProgress",
    "ScheduleConfig",
    "Trainer",
    "find_checkpoint",
    "read_checkpoint",
    "resolve_device",
    "seeded",
    "write_checkpoint",
]
