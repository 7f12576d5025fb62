"""Datetime columns: calendar parts and elapsed days, with median imputation and an indicator.

Output columns, in this order: ``'<col>__year'``, ``'__month'``, ``'__day'``, ``'__dayofweek'``
(Monday 0), ``'__hour'`` (only when some training value has a non-zero time of day),
``'__elapsed_days'`` (days since the training minimum, fractional), and ``'<col>__missing'``
when the training rows had a missing value.

Fitted on the training rows only: ``min_ns_`` (the origin of elapsed days), ``median_ns_`` (the
lower median timestamp, used for missing values; both exact int64 nanoseconds), ``has_time_``,
``has_missing_`` and, with ``scale=True``, ``mean_``/``std_`` of the parts (the indicator is not
scaled). Timezone-aware values are converted to UTC and made naive; strings are parsed at transform
time with ``format`` (the schema column's strftime format, so a one-row serving batch is read the
way the training rows were) or, without one or for strings that do not match it, with the format
pandas infers (each value on its own if the batch is mixed). A string that is not a date raises
``DataError``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from modelyard.features.base import (
    ColumnEncoder,
    clean_strings,
    fit_standardizer,
    floats,
    unparseable,
)

NS_PER_DAY = 86_400 * 10**9


def to_ns(values: pd.Series, column: str, fmt: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The column as int64 nanoseconds since the epoch (naive, UTC) and a missing mask.

    Strings are parsed with ``fmt`` (the schema's strftime format) when given; those that do not
    match it, or all of them without a format, are parsed by pandas' inference.
    """
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        parsed = values.dt.tz_convert("UTC").dt.tz_localize(None)
    elif pd.api.types.is_datetime64_dtype(dtype):
        parsed = values
    else:
        cleaned = pd.Series(clean_strings(values), dtype=object, index=values.index)
        parsed = _parse(cleaned, fmt)
        bad = cleaned.notna().to_numpy() & parsed.isna().to_numpy()
        if bad.any():
            raise unparseable(column, "datetime", cleaned.to_numpy()[bad], "dates or timestamps")
    arr = parsed.to_numpy(dtype="datetime64[ns]")
    missing = np.isnat(arr)
    return arr.view(np.int64).copy(), missing


def _parse(cleaned: pd.Series, fmt: str | None) -> pd.Series:
    """Parse strings (or datetime objects) to naive UTC timestamps; failures become NaT."""
    if fmt:
        parsed = pd.to_datetime(cleaned, errors="coerce", utc=True, format=fmt)
        rest = (parsed.isna() & cleaned.notna()).to_numpy()
        if rest.any():
            parsed.iloc[np.flatnonzero(rest)] = _infer_and_parse(cleaned[rest]).array
    else:
        parsed = _infer_and_parse(cleaned)
    return parsed.dt.tz_localize(None)


def _infer_and_parse(cleaned: pd.Series) -> pd.Series:
    """Parse with the format pandas infers, or value by value for a mixed batch (UTC-aware)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "could not infer format" for mixed batches
        try:
            return pd.to_datetime(cleaned, errors="raise", utc=True)
        except (ValueError, TypeError, OverflowError):
            return pd.to_datetime(cleaned, errors="coerce", utc=True, format="mixed")


class DatetimeEncoder(ColumnEncoder):
    """Expand one datetime column into calendar parts and elapsed days."""

    kind = "datetime"

    def __init__(self, column: str, scale: bool = False, format: str | None = None) -> None:
        super().__init__(column)
        self.scale = scale
        self.format = format

    def get_params(self) -> dict[str, Any]:
        return {"column": self.column, "scale": bool(self.scale), "format": self.format}

    def fit(self, values: pd.Series, y: np.ndarray | None = None, task: str | None = None):
        """Learn the origin, the imputation value, which parts to emit and (optionally) scaling."""
        ns, missing = to_ns(values, self.column, self.format)
        present = np.sort(ns[~missing])
        if len(present):
            self.min_ns_ = int(present[0])
            self.median_ns_ = int(present[(len(present) - 1) // 2])
            self.has_time_ = bool((present % NS_PER_DAY != 0).any())
        else:
            self.min_ns_, self.median_ns_, self.has_time_ = 0, 0, False
        self.has_missing_ = bool(missing.any())
        self.parts_ = ["year", "month", "day", "dayofweek"]
        self.parts_ += ["hour"] if self.has_time_ else []
        self.parts_ += ["elapsed_days"]
        self.mean_ = [0.0] * len(self.parts_)
        self.std_ = [1.0] * len(self.parts_)
        if self.scale:
            mean, std = fit_standardizer(self._parts(np.where(missing, self.median_ns_, ns)))
            self.mean_, self.std_ = floats(mean), floats(std)
        self.names_out_ = [f"{self.column}__{part}" for part in self.parts_]
        self.names_out_ += [f"{self.column}__missing"] if self.has_missing_ else []
        return self

    def _parts(self, ns: np.ndarray) -> np.ndarray:
        """The parts block (rows x parts_) of complete int64-nanosecond timestamps."""
        stamps = pd.DatetimeIndex(ns.astype("datetime64[ns]"))
        columns = {
            "year": stamps.year,
            "month": stamps.month,
            "day": stamps.day,
            "dayofweek": stamps.day_of_week,
            "hour": stamps.hour,
        }
        block = [np.asarray(columns[p], dtype=np.float64) for p in self.parts_[:-1]]
        block.append((ns - self.min_ns_).astype(np.float64) / NS_PER_DAY)
        return np.column_stack(block)

    def transform(self, values: pd.Series) -> pd.DataFrame:
        """Parse, impute the training median, expand into parts, scale, add the indicator."""
        self.check_fitted()
        ns, missing = to_ns(values, self.column, self.format)
        block = self._parts(np.where(missing, self.median_ns_, ns))
        if self.scale:
            block = (block - np.asarray(self.mean_)) / np.asarray(self.std_)
        if self.has_missing_:
            block = np.column_stack([block, missing.astype(np.float64)])
        return self.frame(block, values.index)

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        self.check_fitted()
        state = {
            "min_ns": self.min_ns_,
            "median_ns": self.median_ns_,
            "has_time": self.has_time_,
            "has_missing": self.has_missing_,
            "parts": list(self.parts_),
            "mean": list(self.mean_),
            "std": list(self.std_),
            "names_out": list(self.names_out_),
        }
        return state, {}

    def set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.min_ns_ = int(state["min_ns"])
        self.median_ns_ = int(state["median_ns"])
        self.has_time_ = bool(state["has_time"])
        self.has_missing_ = bool(state["has_missing"])
        self.parts_ = list(state["parts"])
        self.mean_ = [float(v) for v in state["mean"]]
        self.std_ = [float(v) for v in state["std"]]
        self.names_out_ = list(state["names_out"])
