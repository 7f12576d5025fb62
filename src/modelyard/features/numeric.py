"""Numeric columns: median imputation, a missing indicator, optional clipping and scaling.

Fitted on the training rows only:

* ``median_``: median of the training values that are present (0.0 when none are). NaN, +-inf, and
  strings such as ``''``, ``'NA'`` or ``'?'`` count as missing.
* ``has_missing_``: whether the training rows had a missing value. If so, a ``'<col>__missing'``
  column (1.0 where the value was missing) is added; the set of output columns is fixed at fit, so a
  column that only has missing values at serving time gets no indicator.
* ``mean_`` / ``std_`` (only with ``scale=True``): mean and population standard deviation of the
  imputed training values; a standard deviation of 0 becomes 1. The indicator is not scaled.
* ``low_`` / ``high_`` (only with ``scale=True``): the smallest and largest training value. Values
  outside that range are clipped to it before scaling. Scaling is asked for by the learners that
  extrapolate (linear models and networks): a value far beyond anything seen in training (a house
  twice the largest one sold) would otherwise move their prediction without bound, where a tree
  treats it like the largest value it knows. A state saved before clipping existed loads with an
  unbounded range, so its predictions do not change.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from modelyard.features.base import ColumnEncoder, fit_standardizer, to_float


class NumericEncoder(ColumnEncoder):
    """Median-impute one numeric column, flag missing values, optionally standardise."""

    kind = "numeric"

    def __init__(self, column: str, scale: bool = False) -> None:
        super().__init__(column)
        self.scale = scale

    def get_params(self) -> dict[str, Any]:
        return {"column": self.column, "scale": bool(self.scale)}

    def fit(self, values: pd.Series, y: np.ndarray | None = None, task: str | None = None):
        """Learn the median (and mean/std when scaling) from the training values."""
        x = to_float(values, self.column)
        missing = np.isnan(x)
        self.median_ = float(np.median(x[~missing])) if (~missing).any() else 0.0
        self.has_missing_ = bool(missing.any())
        if self.scale:
            filled = np.where(missing, self.median_, x)
            mean, std = fit_standardizer(filled[:, None])
            self.mean_, self.std_ = float(mean[0]), float(std[0])
            present = x[~missing]
            self.low_ = float(present.min()) if present.size else -np.inf
            self.high_ = float(present.max()) if present.size else np.inf
        else:
            self.mean_, self.std_ = 0.0, 1.0
            self.low_, self.high_ = -np.inf, np.inf
        self.names_out_ = [self.column] + ([f"{self.column}__missing"] if self.has_missing_ else [])
        return self

    def transform(self, values: pd.Series) -> pd.DataFrame:
        """Impute, scale and (if training had missing values) add the indicator."""
        self.check_fitted()
        x = to_float(values, self.column)
        missing = np.isnan(x)
        filled = np.where(missing, self.median_, x)
        if self.scale:
            filled = (np.clip(filled, self.low_, self.high_) - self.mean_) / self.std_
        block = [filled]
        if self.has_missing_:
            block.append(missing.astype(np.float64))
        return self.frame(np.column_stack(block), values.index)

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        self.check_fitted()
        state = {
            "median": self.median_,
            "has_missing": self.has_missing_,
            "mean": self.mean_,
            "std": self.std_,
            "low": None if np.isinf(self.low_) else self.low_,
            "high": None if np.isinf(self.high_) else self.high_,
            "names_out": list(self.names_out_),
        }
        return state, {}

    def set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.median_ = float(state["median"])
        self.has_missing_ = bool(state["has_missing"])
        self.mean_ = float(state["mean"])
        self.std_ = float(state["std"])
        low, high = state.get("low"), state.get("high")  # absent in states saved before clipping
        self.low_ = -np.inf if low is None else float(low)
        self.high_ = np.inf if high is None else float(high)
        self.names_out_ = list(state["names_out"])
