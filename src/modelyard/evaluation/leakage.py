"""The leakage check: a perfect score on held-out rows is a result to report, with a warning.

A model that scores perfectly on rows it never saw has usually been handed the answer: a column
that encodes the target (a status written after the outcome, an id sorted by label, the target
copied under another name). The check says so, and names the columns that alone determine the
target on the training rows:

- classification: every value of the column goes with one class, and the column is not an
  identifier (it has fewer distinct values than half the rows), or, for a numeric column of a
  binary task, one threshold separates the two classes;
- regression: the column and the target are correlated with |r| >= :data:`REGRESSION_R`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from modelyard.evaluation.metrics import get_metric

REGRESSION_R = 0.9999  # |correlation| at which one column is the regression target, rescaled
PERFECT_R2 = 0.999999  # a regression model this close to R² = 1 counts as perfect
TOLERANCE = 1e-12  # a score within this of its perfect value is perfect
MAX_SUSPECTS = 5


def is_perfect(task: str, metrics: Mapping[str, float], primary: str) -> bool:
    """Whether ``metrics`` (of held-out rows) are perfect: the primary metric at its perfect
    value, or R² within a millionth of 1 for a regression."""
    if task == "regression" and metrics.get("r2") is not None:
        return float(metrics["r2"]) >= PERFECT_R2
    value, metric = metrics.get(primary), get_metric(primary)
    if value is None or metric.perfect is None or not math.isfinite(value):
        return False
    return abs(float(value) - metric.perfect) <= TOLERANCE


def determining_columns(task: str, rows: pd.DataFrame, y: np.ndarray) -> list[str]:
    """Columns of ``rows`` that alone determine ``y`` (see the module docstring), at most five."""
    suspects = []
    y = np.asarray(y)
    for name in rows.columns:
        column = rows[name]
        known = column.notna().to_numpy()
        if known.sum() < 2:
            continue
        values, target = column[known], y[known]
        if task == "regression":
            numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
            fine = np.isfinite(numbers)
            if fine.sum() > 2 and np.std(numbers[fine]) > 0 and np.std(target[fine]) > 0 \
                    and abs(np.corrcoef(numbers[fine], target[fine])[0, 1]) >= REGRESSION_R:
                suspects.append(str(name))
        elif _maps_to_one_class(values, target) or _separates(values, target):
            suspects.append(str(name))
        if len(suspects) == MAX_SUSPECTS:
            break
    return suspects


def _maps_to_one_class(values: pd.Series, target: np.ndarray) -> bool:
    codes, _ = pd.factorize(values)
    if codes.max() + 1 >= len(values) / 2:  # an identifier determines any target: no evidence
        return False
    per_value = pd.Series(target).groupby(codes).nunique()
    return bool((per_value == 1).all())


def _separates(values: pd.Series, target: np.ndarray) -> bool:
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    classes = np.unique(target)
    if len(classes) != 2 or not np.isfinite(numbers).all():
        return False
    low, high = numbers[target == classes[0]], numbers[target == classes[1]]
    return bool(low.max() < high.min() or high.max() < low.min())


def leakage_warning(task: str, test_metrics: Mapping[str, float], primary: str,
                    train_rows: pd.DataFrame, y_train: np.ndarray) -> str | None:
    """A warning when the test metrics are perfect, naming the columns that may leak."""
    if not is_perfect(task, test_metrics, primary):
        return None
    shown = "R²" if task == "regression" else primary
    value = test_metrics.get("r2" if task == "regression" else primary)
    suspects = determining_columns(task, train_rows, y_train)
    where = (f"these columns alone determine the target on the training rows: "
             f"{', '.join(suspects)}; drop them (data.drop, --drop) if they are known only "
             "after the outcome" if suspects else
             "no single column determines the target; check how the rows were collected "
             "(duplicated rows across train and test, a target written into a feature)")
    return (f"{shown} is {value:.6g} on the untouched test rows: a perfect score usually means "
            f"the features leak the target. {where[0].upper()}{where[1:]}.")
