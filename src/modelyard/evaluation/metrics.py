"""The metric registry: one entry per metric with its function, direction and tasks.

Every metric takes ``(y_true, y_pred, proba)`` where ``y_true``/``y_pred`` are class codes
(classification) or floats (regression) and ``proba`` is the (n, k) class-probability matrix or
``None``. Metrics that need probabilities say so (``needs_proba``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn import metrics as skm

from modelyard.errors import SpecError, did_you_mean

CLASSIFICATION = ("binary", "multiclass")


@dataclass(frozen=True)
class Metric:
    name: str
    fn: Callable[[np.ndarray, np.ndarray, np.ndarray | None], float]
    greater_is_better: bool
    tasks: tuple[str, ...]
    needs_proba: bool = False


def _positive(proba: np.ndarray) -> np.ndarray:
    return proba[:, 1] if proba.ndim == 2 else proba


def _roc_auc(y, _pred, proba):
    if proba.shape[1] == 2:
        return skm.roc_auc_score(y, proba[:, 1])
    return skm.roc_auc_score(y, proba, multi_class="ovr", labels=np.arange(proba.shape[1]))


def _mape(y, pred, _proba):
    y = np.asarray(y, dtype=float)
    nonzero = np.abs(y) > 1e-12
    if not nonzero.any():
        return float("nan")  # undefined when every target is zero
    return float(np.mean(np.abs((y[nonzero] - pred[nonzero]) / y[nonzero])))


def _f1(average):
    return lambda y, pred, _p: skm.f1_score(y, pred, average=average, zero_division=0)


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("accuracy", lambda y, p, _: skm.accuracy_score(y, p), True, CLASSIFICATION),
        Metric("balanced_accuracy", lambda y, p, _: skm.balanced_accuracy_score(y, p), True,
               CLASSIFICATION),
        Metric("f1", _f1("binary"), True, ("binary",)),
        Metric("macro_f1", _f1("macro"), True, CLASSIFICATION),
        Metric("weighted_f1", _f1("weighted"), True, CLASSIFICATION),
        Metric("precision", lambda y, p, _: skm.precision_score(y, p, zero_division=0), True,
               ("binary",)),
        Metric("recall", lambda y, p, _: skm.recall_score(y, p, zero_division=0), True,
               ("binary",)),
        Metric("roc_auc", _roc_auc, True, CLASSIFICATION, needs_proba=True),
        Metric("average_precision",
               lambda y, _p, pr: skm.average_precision_score(y, _positive(pr)), True, ("binary",),
               needs_proba=True),
        Metric("log_loss",
               lambda y, _p, pr: skm.log_loss(y, pr, labels=np.arange(pr.shape[1])), False,
               CLASSIFICATION, needs_proba=True),
        Metric("brier", lambda y, _p, pr: skm.brier_score_loss(y, _positive(pr)), False,
               ("binary",), needs_proba=True),
        Metric("rmse", lambda y, p, _: float(np.sqrt(skm.mean_squared_error(y, p))), False,
               ("regression",)),
        Metric("mae", lambda y, p, _: skm.mean_absolute_error(y, p), False, ("regression",)),
        Metric("r2", lambda y, p, _: skm.r2_score(y, p), True, ("regression",)),
        Metric("mape", _mape, False, ("regression",)),
    )
}

DEFAULT_METRICS = {
    "binary": ("roc_auc", "accuracy", "f1", "log_loss"),
    "multiclass": ("accuracy", "macro_f1", "log_loss"),
    "regression": ("rmse", "mae", "r2"),
}


def get_metric(name: str, task: str | None = None) -> Metric:
    """The metric registered as ``name``; an unknown name (or one not for ``task``) lists the valid."""
    if name not in METRICS:
        raise SpecError(f"unknown metric '{name}'", hint=did_you_mean(name, METRICS))
    metric = METRICS[name]
    if task is not None and task not in metric.tasks:
        valid = [m for m, spec in METRICS.items() if task in spec.tasks]
        raise SpecError(
            f"metric '{name}' does not apply to {task} tasks",
            hint="valid metrics for " + task + ": " + ", ".join(valid),
        )
    return metric


def score(
    task: str,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    proba: np.ndarray | None = None,
    names: tuple[str, ...] | None = None,
) -> dict[str, float]:
    """Compute ``names`` (default: the task's standard set) and return ``{name: value}``."""
    out: dict[str, float] = {}
    for name in names or DEFAULT_METRICS[task]:
        metric = get_metric(name, task)
        if metric.needs_proba and proba is None:
            continue
        if metric.needs_proba and len(np.unique(y_true)) < 2:
            continue  # undefined on a single-class slice
        out[name] = float(metric.fn(np.asarray(y_true), np.asarray(y_pred), proba))
    return out
