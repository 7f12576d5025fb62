"""Scoring predictions for the search: one metric, one direction, one number per prediction set.

Predictions are what a trial keeps per row: class probabilities ``(n, k)`` for classification,
values ``(n,)`` for regression. Metrics that need class codes get the most probable class. The
*utility* of a score is the score when greater is better and its negative otherwise, so that the
search always maximises.
"""

from __future__ import annotations

import math

import numpy as np

from modelyard.errors import SpecError
from modelyard.evaluation.metrics import Metric, get_metric
from modelyard.learners.base import TASKS


def search_metric(name: str, task: str) -> Metric:
    """The registered metric ``name``, checked to apply to ``task`` (a SpecError lists valid)."""
    if task not in TASKS:
        raise SpecError(f"unknown task {task!r}", hint="valid tasks: " + ", ".join(TASKS))
    return get_metric(name, task)


def score_predictions(metric: Metric, task: str, y: np.ndarray, predictions: np.ndarray) -> float:
    """``metric`` of ``predictions`` (probabilities or values) against the targets ``y``.

    Returns nan when the metric is undefined on these rows (a ranking metric on a fold that lacks
    a class).
    """
    if task == "regression":
        return metric.value(y, np.asarray(predictions, dtype=np.float64), None)
    proba = np.asarray(predictions, dtype=np.float64)
    if metric.needs_every_class and len(np.unique(y)) < proba.shape[1]:
        return math.nan
    codes = np.argmax(proba, axis=1)
    return metric.value(y, codes, proba)


def utility(metric: Metric, value: float | None) -> float:
    """``value`` oriented so that larger is better; ``-inf`` for a missing or nan score."""
    if value is None or not math.isfinite(value):
        return -math.inf
    return value if metric.greater_is_better else -value
