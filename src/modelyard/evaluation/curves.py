"""Curve data for the report: ROC and precision-recall points, regression residuals.

Curves are thinned to at most ``max_points`` points (always keeping both ends) and rounded to
:data:`DIGITS` decimals so a report stays small whatever the test set's size.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn import metrics as skm

from modelyard.errors import DataError
from modelyard.evaluation.metrics import _check_lengths

DIGITS = 6  # decimals kept in curve points
MAX_POINTS = 200  # points per curve
MAX_SCATTER = 500  # predicted-vs-actual points kept for regression
HIST_BINS = 30  # residual histogram bins


def _thin(n: int, max_points: int) -> np.ndarray:
    """Indices of at most ``max_points`` evenly spaced points out of ``n``, both ends kept."""
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max_points).round().astype(int))


def _round(values: np.ndarray) -> list[float]:
    return np.round(np.asarray(values, dtype=np.float64), DIGITS).tolist()


def _binary_inputs(y_true, proba_pos) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true)
    p = np.asarray(proba_pos, dtype=np.float64)
    if p.ndim == 2 and p.shape[1] == 2:
        p = p[:, 1]
    _check_lengths(y, proba_pos=p)
    if p.ndim != 1 or not np.isin(y, (0, 1)).all() or len(np.unique(y)) < 2:
        # hint: python-api: only code that calls modelyard directly meets it
        raise DataError(
            "ROC and precision-recall curves need 0/1 targets with both classes present and "
            f"positive-class probabilities; got targets {np.unique(y)[:5].tolist()} and "
            f"probabilities of shape {p.shape}",
            hint="pass class codes and predict_proba(X)[:, 1] for a binary task",
        )
    return y, p


def roc_points(y_true, proba_pos, max_points: int = MAX_POINTS) -> dict[str, Any]:
    """``{"fpr": [...], "tpr": [...], "auc": float}`` of the ROC curve (positive class 1)."""
    y, p = _binary_inputs(y_true, proba_pos)
    fpr, tpr, _ = skm.roc_curve(y, p)
    keep = _thin(len(fpr), max_points)
    return {"fpr": _round(fpr[keep]), "tpr": _round(tpr[keep]),
            "auc": float(skm.roc_auc_score(y, p))}


def pr_points(y_true, proba_pos, max_points: int = MAX_POINTS) -> dict[str, Any]:
    """``{"recall", "precision", "average_precision", "prevalence"}`` of the precision-recall curve.

    Points run from high recall to low, as scikit-learn returns them; ``prevalence`` is the
    precision of a random classifier (the share of positives).
    """
    y, p = _binary_inputs(y_true, proba_pos)
    precision, recall, _ = skm.precision_recall_curve(y, p)
    keep = _thin(len(recall), max_points)
    return {"recall": _round(recall[keep]), "precision": _round(precision[keep]),
            "average_precision": float(skm.average_precision_score(y, p)),
            "prevalence": float(np.mean(y == 1))}


def residuals_summary(y_true, y_pred, *, max_points: int = MAX_SCATTER, bins: int = HIST_BINS,
                      seed: int = 0) -> dict[str, Any]:
    """Residuals (``actual - predicted``) of a regression model, summarised for the report.

    Returns ``{"n", "mean", "std", "quantiles": {"p5", "p25", "p50", "p75", "p95"},
    "max_abs", "histogram": {"edges", "counts"}, "sample": {"actual", "predicted"}}`` where
    ``sample`` holds at most ``max_points`` rows drawn without replacement with ``seed``.
    """
    y = np.asarray(y_true, dtype=np.float64)
    pred = np.asarray(y_pred, dtype=np.float64)
    _check_lengths(y, y_pred=pred)
    if len(y) == 0 or not (np.isfinite(y).all() and np.isfinite(pred).all()):
        raise DataError(f"residuals need finite targets and predictions; got {len(y)} rows with "
                        f"{int((~np.isfinite(y)).sum() + (~np.isfinite(pred)).sum())} not finite",
                        hint="drop rows with a missing target before evaluating")
    residual = y - pred
    quantiles = np.percentile(residual, [5, 25, 50, 75, 95])
    counts, edges = np.histogram(residual, bins=bins)
    if len(y) > max_points:
        picks = np.sort(np.random.default_rng(seed).choice(len(y), max_points, replace=False))
    else:
        picks = np.arange(len(y))
    return {
        "n": int(len(y)),
        "mean": float(residual.mean()),
        "std": float(residual.std(ddof=1)) if len(y) > 1 else 0.0,
        "quantiles": {name: float(q) for name, q in
                      zip(("p5", "p25", "p50", "p75", "p95"), quantiles, strict=True)},
        "max_abs": float(np.abs(residual).max()),
        "histogram": {"edges": _round(edges), "counts": counts.astype(int).tolist()},
        "sample": {"actual": _round(y[picks]), "predicted": _round(pred[picks])},
    }
