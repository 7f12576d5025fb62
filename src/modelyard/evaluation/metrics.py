"""The metric registry: one entry per metric with its function, direction and tasks.

Every metric takes ``(y_true, y_pred, proba)`` where ``y_true``/``y_pred`` are class codes
(classification) or floats (regression) and ``proba`` is the (n, k) class-probability matrix or
``None``. Metrics that need probabilities say so (``needs_proba``).

Besides the scalar registry this module holds the structured, non-scalar results the report shows:
:func:`confusion` (the confusion matrix), :func:`calibration_curve_data` (reliability diagram) and
:func:`mape_detail` (MAPE with the number of zero targets it had to ignore). Bootstrap confidence
intervals live in :mod:`modelyard.evaluation.bootstrap`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn import metrics as skm

from modelyard.errors import DataError, SpecError, did_you_mean

CLASSIFICATION = ("binary", "multiclass")
ZERO_TARGET = 1e-12  # |y| at or below this counts as a zero target for MAPE


@dataclass(frozen=True)
class Metric:
    """One registered metric.

    ``perfect`` is the best attainable value (1 for the bounded scores, 0 for the losses); error
    reduction measures the distance to it. ``needs_every_class`` marks ranking metrics (AUC, average
    precision) that are undefined when a class is absent from ``y_true``. A score whose perfect
    value is 1 lies in [0, 1] unless ``unbounded_below`` (R², which a bad model takes below 0).
    """

    name: str
    fn: Callable[[np.ndarray, np.ndarray, np.ndarray | None], float]
    greater_is_better: bool
    tasks: tuple[str, ...]
    needs_proba: bool = False
    needs_every_class: bool = False
    perfect: float | None = None
    unbounded_below: bool = False

    def value(self, y_true, y_pred, proba) -> float:
        """The metric on these rows, clamped to its mathematical range: floating-point sums can
        step just outside it (an average precision of 1.0000000000000002 on a perfect ranking)."""
        value = float(self.fn(y_true, y_pred, proba))
        if self.perfect is None or not math.isfinite(value):
            return value
        if not self.greater_is_better:
            return max(value, self.perfect)
        value = min(value, self.perfect)
        return value if self.unbounded_below else max(value, 0.0)


def _positive(proba: np.ndarray) -> np.ndarray:
    return proba[:, 1] if proba.ndim == 2 else proba


def _roc_auc(y, _pred, proba):
    if proba.shape[1] == 2:
        return skm.roc_auc_score(y, proba[:, 1])
    return skm.roc_auc_score(y, proba, multi_class="ovr", labels=np.arange(proba.shape[1]))


def _mape(y, pred, _proba):
    return mape_detail(y, pred)["value"]


def _f1(average):
    return lambda y, pred, _p: skm.f1_score(y, pred, average=average, zero_division=0)


def _precision(average):
    return lambda y, pred, _p: skm.precision_score(y, pred, average=average, zero_division=0)


def _recall(average):
    return lambda y, pred, _p: skm.recall_score(y, pred, average=average, zero_division=0)


def _log_loss(y, _pred, proba):
    return skm.log_loss(y, proba, labels=np.arange(proba.shape[1]))


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("accuracy", lambda y, p, _: skm.accuracy_score(y, p), True, CLASSIFICATION,
               perfect=1.0),
        Metric("balanced_accuracy", lambda y, p, _: skm.balanced_accuracy_score(y, p), True,
               CLASSIFICATION, perfect=1.0),
        Metric("f1", _f1("binary"), True, ("binary",), perfect=1.0),
        Metric("macro_f1", _f1("macro"), True, CLASSIFICATION, perfect=1.0),
        Metric("weighted_f1", _f1("weighted"), True, CLASSIFICATION, perfect=1.0),
        Metric("precision", _precision("binary"), True, ("binary",), perfect=1.0),
        Metric("recall", _recall("binary"), True, ("binary",), perfect=1.0),
        Metric("macro_precision", _precision("macro"), True, CLASSIFICATION, perfect=1.0),
        Metric("macro_recall", _recall("macro"), True, CLASSIFICATION, perfect=1.0),
        Metric("weighted_precision", _precision("weighted"), True, CLASSIFICATION, perfect=1.0),
        Metric("weighted_recall", _recall("weighted"), True, CLASSIFICATION, perfect=1.0),
        Metric("roc_auc", _roc_auc, True, CLASSIFICATION, needs_proba=True,
               needs_every_class=True, perfect=1.0),
        Metric("average_precision",
               lambda y, _p, pr: skm.average_precision_score(y, _positive(pr)), True, ("binary",),
               needs_proba=True, needs_every_class=True, perfect=1.0),
        Metric("log_loss", _log_loss, False, CLASSIFICATION, needs_proba=True, perfect=0.0),
        Metric("brier", lambda y, _p, pr: skm.brier_score_loss(y, _positive(pr)), False,
               ("binary",), needs_proba=True, perfect=0.0),
        Metric("rmse", lambda y, p, _: float(np.sqrt(skm.mean_squared_error(y, p))), False,
               ("regression",), perfect=0.0),
        Metric("mae", lambda y, p, _: skm.mean_absolute_error(y, p), False, ("regression",),
               perfect=0.0),
        Metric("r2", lambda y, p, _: skm.r2_score(y, p), True, ("regression",), perfect=1.0,
               unbounded_below=True),
        Metric("mape", _mape, False, ("regression",), perfect=0.0),
    )
}

DEFAULT_METRICS = {
    "binary": ("roc_auc", "accuracy", "f1", "log_loss"),
    "multiclass": ("accuracy", "macro_f1", "log_loss"),
    "regression": ("rmse", "mae", "r2"),
}


def get_metric(name: str, task: str | None = None) -> Metric:
    """The metric registered as ``name``; an unknown name (or one not for ``task``) lists the
    valid ones."""
    if name not in METRICS:
        raise SpecError(f"unknown metric '{name}'; valid: " + ", ".join(METRICS),
                        hint=did_you_mean(name, METRICS))
    metric = METRICS[name]
    if task is not None and task not in metric.tasks:
        valid = [m for m, spec in METRICS.items() if task in spec.tasks]
        raise SpecError(
            f"metric '{name}' does not apply to {task} tasks",
            hint="valid metrics for " + task + ": " + ", ".join(valid),
        )
    return metric


def computable(metric: Metric, y_true: np.ndarray, proba: np.ndarray | None) -> bool:
    """Whether ``metric`` is defined on these rows: probabilities present when needed, and every
    class present in ``y_true`` for ranking metrics (at least two classes for any proba metric)."""
    if not metric.needs_proba:
        return True
    if proba is None:
        return False
    present = len(np.unique(y_true))
    if present < 2:
        return False
    n_classes = proba.shape[1] if proba.ndim == 2 else 2
    return not metric.needs_every_class or present >= n_classes


def score(
    task: str,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    proba: np.ndarray | None = None,
    names: Sequence[str] | None = None,
) -> dict[str, float]:
    """Compute ``names`` (default: the task's standard set) and return ``{name: value}``.

    A metric that is undefined on these rows (no probabilities given, or a class missing for a
    ranking metric) is left out rather than reported as nan.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    proba = None if proba is None else np.asarray(proba, dtype=np.float64)
    _check_lengths(y_true, y_pred=y_pred, proba=proba)
    out: dict[str, float] = {}
    for name in names or DEFAULT_METRICS[task]:
        metric = get_metric(name, task)
        if not computable(metric, y_true, proba):
            continue
        out[name] = metric.value(y_true, y_pred, proba)
    return out


def _check_lengths(y_true: np.ndarray, **others: np.ndarray | None) -> None:
    """Every array given has one entry (row) per target."""
    for what, arr in others.items():
        if arr is not None and len(arr) != len(y_true):
            raise DataError(
                f"{what} has {len(arr)} rows but y_true has {len(y_true)}",
                hint="pass predictions made on exactly the rows whose targets are y_true",
            )


def mape_detail(y_true, y_pred) -> dict[str, Any]:
    """Mean absolute percentage error over the rows whose target is not zero.

    Returns ``{"value": float, "n_used": int, "n_zero_targets_ignored": int}``; ``value`` is nan
    when every target is zero (the percentage error is undefined there). 0.25 means 25 %.
    """
    y = np.asarray(y_true, dtype=np.float64)
    pred = np.asarray(y_pred, dtype=np.float64)
    _check_lengths(y, y_pred=pred)
    nonzero = np.abs(y) > ZERO_TARGET
    used = int(nonzero.sum())
    ape = np.abs((y[nonzero] - pred[nonzero]) / y[nonzero])
    value = float(np.mean(ape)) if used else float("nan")
    return {"value": value, "n_used": used, "n_zero_targets_ignored": int(len(y) - used)}


def confusion(y_true, y_pred, labels: Sequence[Any] | None = None, *,
              names: Sequence[Any] | None = None) -> dict[str, Any]:
    """The confusion matrix as plain lists: rows are true classes, columns predicted ones.

    ``labels`` are the values of ``y_true``/``y_pred`` to show, in order (default: every value seen,
    sorted); ``names`` are their display names (default: ``str(label)``). Returns
    ``{"labels": [str], "matrix": [[int]], "normalized": [[float]]}`` where ``normalized`` divides
    each row by its total (the per-class recall on the diagonal; a row with no rows is all zeros).
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    _check_lengths(y_true, y_pred=y_pred)
    if labels is None:
        labels = np.unique(np.concatenate([y_true, y_pred])).tolist()
    labels = list(labels)
    if not labels:
        # hint: python-api: only code that calls modelyard directly meets it
        raise DataError("confusion matrix needs at least one label; got none",
                        hint="pass the class codes as labels, e.g. range(n_classes)")
    if names is not None and len(names) != len(labels):
        raise DataError(f"confusion matrix got {len(names)} names for {len(labels)} labels",
                        hint="give one display name per label, in the same order")
    matrix = skm.confusion_matrix(y_true, y_pred, labels=labels)
    totals = matrix.sum(axis=1, keepdims=True)
    normalized = np.divide(matrix, totals, out=np.zeros(matrix.shape), where=totals > 0)
    shown = names if names is not None else labels
    return {
        "labels": [str(v) for v in shown],
        "matrix": matrix.astype(int).tolist(),
        "normalized": normalized.tolist(),
    }


def calibration_curve_data(y_true, proba_pos, bins: int = 10) -> dict[str, Any]:
    """Reliability-diagram data on ``bins`` equal-width bins of the positive-class probability.

    Returns ``{"bin_edges": [bins + 1 floats], "mean_predicted": [...], "observed_frequency": [...],
    "counts": [int]}`` with one entry per bin; an empty bin has ``None`` for its mean and frequency.
    Bin ``i`` holds probabilities in ``(edge_i, edge_i+1]`` (the first also holds 0), which is
    scikit-learn's ``calibration_curve(strategy="uniform")`` binning.
    """
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise SpecError(f"bins must be a positive integer; got {bins!r}", hint="e.g. bins=10")
    y = np.asarray(y_true)
    p = np.asarray(proba_pos, dtype=np.float64)
    if p.ndim == 2 and p.shape[1] == 2:
        p = p[:, 1]
    _check_lengths(y, proba_pos=p)
    if p.ndim != 1 or (p.size and (p.min() < 0 or p.max() > 1)) or not np.isin(y, (0, 1)).all():
        # hint: python-api: only code that calls modelyard directly meets it
        raise DataError(
            "calibration needs 0/1 targets and positive-class probabilities in [0, 1]; got "
            f"probabilities of shape {p.shape} and targets {np.unique(y)[:5].tolist()}",
            hint="pass y as class codes and predict_proba(X)[:, 1]",
        )
    edges = np.linspace(0.0, 1.0, bins + 1)
    ids = np.searchsorted(edges[1:-1], p)
    counts = np.bincount(ids, minlength=bins)
    sums = np.bincount(ids, weights=p, minlength=bins)
    hits = np.bincount(ids, weights=(y == 1).astype(np.float64), minlength=bins)
    filled = counts > 0
    return {
        "bin_edges": edges.tolist(),
        "mean_predicted": [float(s / c) if f else None
                           for s, c, f in zip(sums, counts, filled, strict=True)],
        "observed_frequency": [float(h / c) if f else None
                               for h, c, f in zip(hits, counts, filled, strict=True)],
        "counts": counts.astype(int).tolist(),
    }
