"""Over-fitting check: how much the primary metric degrades from train to validation to test.

Gaps are signed so that a positive gap means the later part scores worse:

- bounded scores (greater is better, perfect value 1: accuracy, F1, AUC, R²): the absolute
  difference ``earlier - later``;
- losses (RMSE, MAE, log loss ...): the relative difference ``(later - earlier) / max(|earlier|,
  |later|)``, which lies in [-1, 1] whatever the loss's scale and stays defined when the training
  loss is zero.

A train-validation gap above ``threshold`` warns of over-fitting; a validation-test gap above it
warns that the validation score was optimistic (the model and its threshold were chosen on it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from modelyard.errors import SpecError
from modelyard.evaluation.metrics import get_metric

PAIRS = (("train", "validation"), ("validation", "test"))


def _gap(earlier: float, later: float, greater_is_better: bool) -> float:
    if greater_is_better:
        return earlier - later
    scale = max(abs(earlier), abs(later))
    return 0.0 if scale == 0 else (later - earlier) / scale


def _value(metrics_by_part: Mapping[str, Mapping[str, float]], part: str,
           name: str) -> float | None:
    value = (metrics_by_part.get(part) or {}).get(name)
    if value is None or not math.isfinite(float(value)):
        return None
    return float(value)


def _fmt(value: float) -> str:
    return f"{value:.4g}" if abs(value) < 1e4 else f"{value:,.0f}"


def overfit_check(task: str, metrics_by_part: Mapping[str, Mapping[str, float]],
                  primary_metric: str, threshold: float = 0.05) -> dict[str, Any]:
    """Gaps of ``primary_metric`` between train/validation and validation/test, with warnings.

    ``metrics_by_part`` maps 'train', 'validation' and 'test' (any may be missing) to
    ``{metric: value}``. Returns ``{"metric", "greater_is_better", "gap_kind" ('absolute' or
    'relative'), "threshold", "values": {part: value|None}, "gaps": {"train_validation":
    gap|None, "validation_test": gap|None}, "overfitting": bool, "warnings": [str]}``.
    """
    metric = get_metric(primary_metric, task)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or threshold < 0:
        raise SpecError(f"overfit threshold must be a non-negative number; got {threshold!r}",
                        hint="e.g. 0.05: five points of a bounded score, or 5 % of a loss")
    parts = ("train", "validation", "test")
    values = {part: _value(metrics_by_part, part, primary_metric) for part in parts}
    gaps: dict[str, float | None] = {}
    warnings: list[str] = []
    for earlier, later in PAIRS:
        key = f"{earlier}_{later}"
        a, b = values[earlier], values[later]
        if a is None or b is None:
            gaps[key] = None
            continue
        gap = _gap(a, b, metric.greater_is_better)
        gaps[key] = gap
        if gap > threshold:
            what = ("risk of overfitting" if earlier == "train"
                    else "validation score was optimistic")
            warnings.append(f"{what}: {earlier} {primary_metric} {_fmt(a)} vs {later} {_fmt(b)} "
                            f"(gap {_fmt(gap)} > {_fmt(threshold)})")
    train_gap = gaps["train_validation"]
    return {
        "metric": primary_metric,
        "greater_is_better": metric.greater_is_better,
        "gap_kind": "absolute" if metric.greater_is_better else "relative",
        "threshold": float(threshold),
        "values": values,
        "gaps": gaps,
        "overfitting": train_gap is not None and train_gap > threshold,
        "warnings": warnings,
    }
