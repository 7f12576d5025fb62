"""Numeric columns: median imputation, a missing indicator, clipping and optional scaling.

Fitted on the training rows only:

* ``median_``: median of the training values that are present (0.0 when none are). NaN, +-inf, and
  strings such as ``''``, ``'NA'`` or ``'?'`` count as missing.
* ``has_missing_``: whether the training rows had a missing value. If so, a ``'<col>__missing'``
  column (1.0 where the value was missing) is added; the set of output columns is fixed at fit, so a
  column that only has missing values at serving time gets no indicator.
* ``low_`` / ``high_``: the range every value is clipped to. Without scaling it is
  +-``LARGEST_FLOAT32`` (about 3.4e38): a finite value beyond it (``1e308``) would become infinite
  in the learners that compute in single precision (forests, XGBoost, CatBoost, networks) and
  overflow a sum of a few such values in double precision; clipped, it stays the largest value of
  its column, which is all a tree uses. Training values are clipped the same way before anything
  is learnt from them, so ``median_``, ``mean_`` and ``std_`` are sums of numbers that cannot
  overflow. With ``scale=True`` the range is the smallest and largest (clipped) training value:
  scaling is asked for by the learners that extrapolate (linear models and networks), and a value
  far beyond anything seen in training (a house twice the largest one sold) would otherwise move
  their prediction without bound, where a tree treats it like the largest value it knows. A state
  saved before a bound existed loads with an unbounded range, so its predictions do not change.
* ``mean_`` / ``std_`` (only with ``scale=True``): mean and population standard deviation of the
  imputed training values; a standard deviation of 0 becomes 1. The indicator is not scaled.
* ``n_clipped_``: how many training values lay beyond +-``LARGEST_FLOAT32`` (fit only, not saved;
  ``infer_schema`` notes the same count on the column).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from modelyard.data.convert import LARGEST_FLOAT32
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
        raw = to_float(values, self.column)
        x = np.clip(raw, -LARGEST_FLOAT32, LARGEST_FLOAT32)  # NaN stays NaN
        missing = np.isnan(x)
        present = x[~missing]
        self.n_clipped_ = int(np.count_nonzero(np.abs(raw[~missing]) > LARGEST_FLOAT32))
        self.median_ = float(np.median(present)) if present.size else 0.0
        self.has_missing_ = bool(missing.any())
        if self.scale:
            filled = np.where(missing, self.median_, x)
            mean, std = fit_standardizer(filled[:, None])
            self.mean_, self.std_ = float(mean[0]), float(std[0])
            self.low_ = float(present.min()) if present.size else -LARGEST_FLOAT32
            self.high_ = float(present.max()) if present.size else LARGEST_FLOAT32
        else:
            self.mean_, self.std_ = 0.0, 1.0
            self.low_, self.high_ = -LARGEST_FLOAT32, LARGEST_FLOAT32
        self.names_out_ = [self.column] + ([f"{self.column}__missing"] if self.has_missing_ else [])
        return self

    def transform(self, values: pd.Series) -> pd.DataFrame:
        """Impute, clip, scale and (if training had missing values) add the indicator."""
        self.check_fitted()
        x = to_float(values, self.column)
        missing = np.isnan(x)
        filled = np.clip(np.where(missing, self.median_, x), self.low_, self.high_)
        if self.scale:
            filled = (filled - self.mean_) / self.std_
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
        # None (or absent, in states saved before clipping existed): no bound on that side
        low, high = state.get("low"), state.get("high")
        self.low_ = -np.inf if low is None else float(low)
        self.high_ = np.inf if high is None else float(high)
        self.names_out_ = list(state["names_out"])
