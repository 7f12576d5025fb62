"""Trivial baselines scored on the same test rows as the model, and error reduction against them.

A model is only worth serving if it beats a rule that needs no model at all:

- classification ``majority``: always the most frequent *training* class, with one-hot
  probabilities (ties go to the smallest class code);
- classification ``prior``: the same predicted class, with the training class frequencies as
  probabilities (the best constant probabilistic forecast, so its log loss is the target entropy);
- regression ``mean`` and ``median`` of the training targets.

Error reduction (:func:`error_reduction`) is the share of the reference's error that the model
removes, in percent::

    error(v) = perfect - v   for greater-is-better metrics (perfect = 1: accuracy, F1, AUC, R² ...)
    error(v) = v - perfect   for losses (perfect = 0: RMSE, MAE, log loss ...)
    reduction % = 100 * (error(reference) - error(model)) / error(reference)

100 % means the model is perfect, 0 % no better than the reference, negative worse. The same
function compares against the version holding the 'production' alias.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from modelyard.errors import DataError, SpecError
from modelyard.evaluation.metrics import CLASSIFICATION, get_metric, score

BASELINES: dict[str, tuple[str, ...]] = {
    "binary": ("majority", "prior"),
    "multiclass": ("majority", "prior"),
    "regression": ("mean", "median"),
}


def _check_task(task: str) -> None:
    if task not in BASELINES:
        raise SpecError(f"unknown task '{task}' for baselines; valid: " + ", ".join(BASELINES),
                        hint="baselines exist for binary, multiclass and regression tasks")


def _class_codes(y: np.ndarray, what: str) -> np.ndarray:
    if y.size and (not np.issubdtype(y.dtype, np.integer) or y.min() < 0):
        # hint: python-api: only code that calls modelyard directly meets it
        raise DataError(
            f"{what} must hold class codes 0..k-1 for a classification baseline; got dtype "
            f"{y.dtype} with values {np.unique(y)[:5].tolist()}",
            hint="encode the target first (the codes index predict_proba's columns)",
        )
    return y.astype(np.int64)


def baseline_predictions(kind: str, task: str, y_train, n_rows: int,
                         n_classes: int | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """``(y_pred, proba)`` of baseline ``kind`` for ``n_rows`` rows, learned from ``y_train``.

    ``proba`` is an (n_rows, n_classes) matrix for classification (``n_classes`` defaults to the
    largest training code + 1) and None for regression.
    """
    _check_task(task)
    if kind not in BASELINES[task]:
        raise SpecError(f"unknown baseline '{kind}' for {task} tasks; valid: "
                        + ", ".join(BASELINES[task]),
                        hint="classification: majority, prior; regression: mean, median")
    if isinstance(n_rows, bool) or not isinstance(n_rows, int) or n_rows < 0:
        # hint: python-api: only code that calls modelyard directly meets it
        raise SpecError(f"n_rows must be a non-negative integer; got {n_rows!r}",
                        hint="pass len(y_test)")
    y = np.asarray(y_train)
    if y.size == 0:
        raise DataError("baselines need training targets; y_train is empty",
                        hint="evaluate after a split with training rows")
    if task == "regression":
        y = y.astype(np.float64)
        value = float(np.mean(y)) if kind == "mean" else float(np.median(y))
        return np.full(n_rows, value), None
    y = _class_codes(y, "y_train")
    k = max(int(y.max()) + 1, n_classes or 0, 2)
    priors = np.bincount(y, minlength=k) / len(y)
    majority = int(np.argmax(priors))  # first maximum: ties go to the smallest code
    if kind == "majority":
        row = np.zeros(k)
        row[majority] = 1.0
    else:
        row = priors
    return np.full(n_rows, majority, dtype=np.int64), np.tile(row, (n_rows, 1))


def evaluate_baselines(task: str, y_train, y_test, metric_names: Sequence[str],
                       n_classes: int | None = None) -> dict[str, dict[str, float]]:
    """``{baseline: {metric: value}}`` for every baseline of ``task`` on the test targets.

    Metrics undefined on the test rows (e.g. ROC AUC with one class present) are left out.
    """
    _check_task(task)
    y_test = np.asarray(y_test)
    if task in CLASSIFICATION:
        y_test = _class_codes(y_test, "y_test")
        top = int(y_test.max()) + 1 if y_test.size else 0
        n_classes = max(n_classes or 0, top)
    out: dict[str, dict[str, float]] = {}
    for kind in BASELINES[task]:
        pred, proba = baseline_predictions(kind, task, y_train, len(y_test), n_classes)
        out[kind] = score(task, y_test, pred, proba, tuple(metric_names))
    return out


def metric_error(metric_name: str, value: float) -> float:
    """Distance of ``value`` from the metric's perfect score (see the module docstring)."""
    metric = get_metric(metric_name)
    if metric.perfect is None:
        raise SpecError(f"metric '{metric_name}' has no perfect value, so no error to reduce",
                        hint="use a bounded score or a loss for error reduction")
    return metric.perfect - value if metric.greater_is_better else value - metric.perfect


def error_reduction(metric_name: str, model_value: float | None,
                    baseline_value: float | None) -> float | None:
    """Percent of the reference's error that the model removes; None when undefined.

    None when either value is missing or not finite, or when the reference already has zero error
    (nothing left to reduce).
    """
    if model_value is None or baseline_value is None:
        get_metric(metric_name)  # an unknown name is still an error
        return None
    if not (math.isfinite(model_value) and math.isfinite(baseline_value)):
        return None
    reference = metric_error(metric_name, float(baseline_value))
    if abs(reference) <= 1e-12:
        return None
    return 100.0 * (reference - metric_error(metric_name, float(model_value))) / reference


def error_reductions(model_metrics: dict[str, float],
                     reference_metrics: dict[str, float]) -> dict[str, float | None]:
    """:func:`error_reduction` for every metric the two dicts share."""
    return {name: error_reduction(name, model_metrics[name], reference_metrics[name])
            for name in model_metrics if name in reference_metrics}
