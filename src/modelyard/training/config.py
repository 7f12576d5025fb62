"""Small validated config objects for the training loop.

``LoopConfig`` holds what the loop needs (epochs, batch size, loss, early stopping, device, seed)
and nests an ``OptimizerConfig`` and a ``ScheduleConfig``. Every field is checked once, in
``__post_init__``, and a bad value raises ``SpecError`` naming the field, what was expected and
what was received; unknown names list the valid ones from the registries that define them.
``to_dict()`` / ``from_dict()`` give the JSON form stored in checkpoints.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from modelyard.errors import SpecError, did_you_mean
from modelyard.training.losses import LOSSES, METRICS
from modelyard.training.optim import OPTIMIZERS, SCHEDULES

DEVICE_PATTERN = re.compile(r"^(auto|cpu|cuda|cuda:\d+|mps)$")
DEVICES = ("auto", "cpu", "cuda", "cuda:N", "mps")
MODES = ("auto", "min", "max")


def resolve_mode(monitor: str, mode: str) -> str:
    """'min' or 'max' for a monitored key; 'auto' is 'max' for accuracy-like metrics, else 'min'."""
    if mode != "auto":
        return mode
    name = monitor.removeprefix("val_").removeprefix("train_")
    if name in METRICS:
        return METRICS[name].mode
    return (
        "max"
        if any(s in name for s in ("acc", "auc", "f1", "r2", "precision", "recall"))
        else "min"
    )


def _fail(where: str, expected: str, received: Any, hint: str | None = None) -> SpecError:
    return SpecError(
        f"{where}: expected {expected}, received {received!r}",
        hint=hint or f"fix '{where}' in the training config",
    )


def _choice(where: str, value: Any, valid: Iterable[str]) -> None:
    valid = list(valid)
    if value not in valid:
        raise SpecError(
            f"{where}: unknown name {value!r}; valid: " + ", ".join(repr(v) for v in valid),
            hint=did_you_mean(str(value), valid),
        )


def _check_number(
    where: str, value: Any, *, low: float, strict: bool = False, integer: bool = False
) -> int | float:
    """``value`` as a Python int or float, if it is one (numpy scalars too) and above ``low``."""
    kind = "an integer" if integer else "a number"
    expected = f"{kind} {'>' if strict else '>='} {low}"
    ok_type = isinstance(value, numbers.Integral if integer else numbers.Real)
    if isinstance(value, bool) or not ok_type or not math.isfinite(value):
        raise _fail(where, expected, value)
    if value < low or (strict and value == low):
        raise _fail(where, expected, value)
    return int(value) if integer else float(value)


def _number(obj: Any, name: str, where: str, **rule: Any) -> None:
    """Check the field ``name`` of a frozen config and store it as a plain int or float."""
    object.__setattr__(obj, name, _check_number(where, getattr(obj, name), **rule))


def _from_dict(cls: type, data: Mapping[str, Any], where: str) -> Any:
    if not isinstance(data, Mapping):
        raise _fail(where, "a mapping of field names to values", data)
    names = [f.name for f in fields(cls)]
    unknown = [k for k in data if k not in names]
    if unknown:
        raise SpecError(
            f"{where}: unknown field(s) {', '.join(map(repr, unknown))}; valid: {', '.join(names)}",
            hint=did_you_mean(str(unknown[0]), names),
        )
    return cls(**data)


@dataclass(frozen=True)
class OptimizerConfig:
    """Which optimizer and its settings. ``momentum`` applies to 'sgd' only."""

    name: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    momentum: float = 0.9

    def __post_init__(self) -> None:
        _choice("optimizer.name", self.name, OPTIMIZERS)
        _number(self, "lr", "optimizer.lr", low=0.0, strict=True)
        _number(self, "weight_decay", "optimizer.weight_decay", low=0.0)
        _number(self, "momentum", "optimizer.momentum", low=0.0)
        if self.momentum >= 1.0:
            raise _fail("optimizer.momentum", "a number in [0, 1)", self.momentum)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OptimizerConfig:
        return _from_dict(cls, data, "optimizer")


@dataclass(frozen=True)
class ScheduleConfig:
    """Learning-rate schedule.

    ``eta_min``: floor of the lr for 'cosine' and 'plateau'. ``pct_start``: share of the steps
    spent warming up for 'onecycle'. ``factor`` and ``patience``: lr multiplier and the number of
    stalled epochs before it applies, for 'plateau'.
    """

    name: str = "none"
    eta_min: float = 0.0
    pct_start: float = 0.3
    factor: float = 0.5
    patience: int = 2

    def __post_init__(self) -> None:
        _choice("schedule.name", self.name, SCHEDULES)
        _number(self, "eta_min", "schedule.eta_min", low=0.0)
        _number(self, "pct_start", "schedule.pct_start", low=0.0, strict=True)
        if self.pct_start >= 1.0:
            raise _fail("schedule.pct_start", "a number in (0, 1)", self.pct_start)
        _number(self, "factor", "schedule.factor", low=0.0, strict=True)
        if self.factor >= 1.0:
            raise _fail("schedule.factor", "a number in (0, 1)", self.factor)
        _number(self, "patience", "schedule.patience", low=0, integer=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScheduleConfig:
        return _from_dict(cls, data, "schedule")


@dataclass(frozen=True)
class LoopConfig:
    """Everything the loop decides with.

    ``monitor`` is a key of the per-epoch record ('val_loss', 'val_accuracy', 'val_rmse',
    'train_loss', or 'val_<name>' of a custom metric); ``mode`` 'auto' means 'max' for accuracy-like
    metrics and 'min' for losses and errors. ``patience`` None disables early stopping.
    ``divergence_factor``: a batch loss above this multiple of the first batch's loss counts as
    diverged. ``eval_batch_size`` only bounds memory during evaluation. ``threads``: how many CPU
    threads PyTorch computes with during the fit (None leaves the process's setting, one per core).
    PyTorch splits a large sum among its threads, and floating-point sums added up in another order
    differ in the last bits; with one thread the weights do not depend on the machine's cores.
    """

    epochs: int = 20
    batch_size: int = 256
    loss: str = "cross_entropy"
    class_weights: tuple[float, ...] | None = None
    metric: str | None = None  # None: the loss's default ('accuracy' or 'rmse')
    grad_clip_norm: float | None = None
    device: str = "auto"
    seed: int = 0
    monitor: str = "val_loss"
    mode: str = "auto"
    patience: int | None = None
    min_delta: float = 0.0
    restore_best: bool = True
    divergence_factor: float = 1e6
    eval_batch_size: int = 8192
    threads: int | None = None
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)

    def __post_init__(self) -> None:
        _number(self, "epochs", "epochs", low=1, integer=True)
        _number(self, "batch_size", "batch_size", low=1, integer=True)
        _number(self, "eval_batch_size", "eval_batch_size", low=1, integer=True)
        if self.threads is not None:
            _number(self, "threads", "threads", low=1, integer=True)
        _choice("loss", self.loss, LOSSES)
        if self.metric is not None:
            _choice("metric", self.metric, METRICS)
        if self.class_weights is not None:
            if not LOSSES[self.loss].classification:
                raise _fail(
                    "class_weights",
                    f"None for the regression loss {self.loss!r}",
                    self.class_weights,
                    hint="drop class_weights or use a classification loss",
                )
            weights = tuple(self.class_weights)
            for w in weights:
                _check_number("class_weights[i]", w, low=0.0)
            if not weights or sum(weights) <= 0:
                raise _fail(
                    "class_weights", "one non-negative weight per class, not all zero", weights
                )
            object.__setattr__(self, "class_weights", tuple(float(w) for w in weights))
        if self.grad_clip_norm is not None:
            _number(self, "grad_clip_norm", "grad_clip_norm", low=0.0, strict=True)
        if not isinstance(self.device, str) or not DEVICE_PATTERN.match(self.device):
            raise SpecError(
                f"device: unknown device {self.device!r}; valid: " + ", ".join(map(repr, DEVICES)),
                hint="use 'auto' to pick CUDA when available, else 'cpu'",
            )
        _number(self, "seed", "seed", low=0, integer=True)
        if not isinstance(self.monitor, str) or not self.monitor:
            raise _fail("monitor", "the name of an epoch metric such as 'val_loss'", self.monitor)
        _choice("mode", self.mode, MODES)
        if self.patience is not None:
            _number(self, "patience", "patience", low=1, integer=True)
        _number(self, "min_delta", "min_delta", low=0.0)
        if not isinstance(self.restore_best, bool):
            raise _fail("restore_best", "True or False", self.restore_best)
        _number(self, "divergence_factor", "divergence_factor", low=1.0, strict=True)
        if not isinstance(self.optimizer, OptimizerConfig):
            raise _fail("optimizer", "an OptimizerConfig", self.optimizer)
        if not isinstance(self.schedule, ScheduleConfig):
            raise _fail("schedule", "a ScheduleConfig", self.schedule)

    @property
    def metric_name(self) -> str:
        """The validation metric reported each epoch."""
        return self.metric or LOSSES[self.loss].default_metric

    @property
    def monitor_mode(self) -> str:
        """'min' or 'max' for ``monitor``, resolving 'auto'."""
        return resolve_mode(self.monitor, self.mode)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if data["class_weights"] is not None:
            data["class_weights"] = list(data["class_weights"])
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LoopConfig:
        data = dict(data) if isinstance(data, Mapping) else data
        if isinstance(data, dict):
            if isinstance(data.get("optimizer"), Mapping):
                data["optimizer"] = OptimizerConfig.from_dict(data["optimizer"])
            if isinstance(data.get("schedule"), Mapping):
                data["schedule"] = ScheduleConfig.from_dict(data["schedule"])
            if isinstance(data.get("class_weights"), list):
                data["class_weights"] = tuple(data["class_weights"])
        return _from_dict(cls, data, "training config")
