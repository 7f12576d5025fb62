"""Boolean columns: 0.0/1.0, the training mode for missing values, and a missing indicator.

Accepted spellings (case-insensitive, surrounding spaces ignored), at fit and at transform:
``True``/``False``, ``yes``/``no``, ``y``/``n``, ``t``/``f``, ``1``/``0`` (as numbers or strings).
Anything else that is not a missing marker raises ``DataError`` naming the column and the values,
so a malformed serving request is rejected instead of silently imputed.

Fitted on the training rows only: ``mode_`` (1.0 when True is strictly more frequent than False,
else 0.0) and ``has_missing_``; when the training rows had a missing value a ``'<col>__missing'``
indicator column is added.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from modelyard.features.base import ColumnEncoder, clean_strings, unparseable

TRUE_TOKENS = frozenset({"true", "yes", "y", "t", "1", "1.0"})
FALSE_TOKENS = frozenset({"false", "no", "n", "f", "0", "0.0"})


def to_bool_float(values: pd.Series, column: str) -> np.ndarray:
    """The column as float64 1.0 / 0.0, NaN where missing; unknown spellings raise DataError."""
    cleaned = clean_strings(values)
    out = np.full(len(cleaned), np.nan, dtype=np.float64)
    bad = np.zeros(len(cleaned), dtype=bool)
    for i, value in enumerate(cleaned):
        if value is None:
            continue
        if isinstance(value, (bool, np.bool_)):
            out[i] = 1.0 if value else 0.0
        elif isinstance(value, (int, float, np.integer, np.floating)):
            if value in (0, 1):
                out[i] = float(value)
            else:
                bad[i] = True
        else:
            token = str(value).lower()
            if token in TRUE_TOKENS:
                out[i] = 1.0
            elif token in FALSE_TOKENS:
                out[i] = 0.0
            else:
                bad[i] = True
    if bad.any():
        raise unparseable(column, "boolean", cleaned[bad], "True/False, Yes/No or 1/0")
    return out


class BooleanEncoder(ColumnEncoder):
    """Encode one boolean-like column as a 0/1 float, imputing the training mode."""

    kind = "boolean"

    def fit(self, values: pd.Series, y: np.ndarray | None = None, task: str | None = None):
        """Learn the mode and whether training had missing values."""
        x = to_bool_float(values, self.column)
        present = x[~np.isnan(x)]
        n_true = int((present == 1.0).sum())
        self.mode_ = 1.0 if n_true > len(present) - n_true else 0.0
        self.has_missing_ = bool(np.isnan(x).any())
        self.names_out_ = [self.column] + ([f"{self.column}__missing"] if self.has_missing_ else [])
        return self

    def transform(self, values: pd.Series) -> pd.DataFrame:
        """Parse, impute the training mode, and add the indicator when training had one."""
        self.check_fitted()
        x = to_bool_float(values, self.column)
        missing = np.isnan(x)
        block = [np.where(missing, self.mode_, x)]
        if self.has_missing_:
            block.append(missing.astype(np.float64))
        return self.frame(np.column_stack(block), values.index)

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        self.check_fitted()
        state = {"mode": self.mode_, "has_missing": self.has_missing_, "names_out": self.names_out_}
        return state, {}

    def set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.mode_ = float(state["mode"])
        self.has_missing_ = bool(state["has_missing"])
        self.names_out_ = list(state["names_out"])
