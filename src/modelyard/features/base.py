"""Shared plumbing for the per-kind column encoders.

A ``ColumnEncoder`` turns one input column into one block of output columns. It follows the
estimator contract: ``__init__`` stores its arguments, ``fit`` learns from the training rows it is
given and sets attributes ending in ``_``, ``transform`` applies what was learnt. Its fitted
state is plain data: ``get_state()`` returns a JSON-able dict plus a dict of numpy arrays (saved to
``.npz``), and ``from_state`` rebuilds an identical encoder from them. Nothing is pickled.

Dense output is always ``float64`` (``DENSE_DTYPE``): the state round-trips exactly through JSON
(Python writes the shortest repr that reads back to the same float) and ``.npz``, so a reloaded
encoder gives bit-identical output; learners that want float32 cast on their side.

``ColumnEncoder`` is an abstract base: an encoder that leaves out ``fit``, ``transform``,
``get_state`` or ``set_state`` cannot be instantiated (a ``TypeError`` naming them), so it fails
when the preprocessing is built, not when a saved model is first reloaded.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from modelyard.errors import DataError, TrainingError

DENSE_DTYPE = np.float64

# Strings that mean "no value" in a numeric, boolean or datetime column (compared stripped and
# lower-cased). Categorical columns treat only the empty string as missing: 'None' is a real
# category in some tables (Ames MasVnrType).
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "nat"})


class ColumnEncoder(ABC):
    """Base class of the encoders in this package: one input column in, one block out."""

    kind: ClassVar[str] = ""

    def __init__(self, column: str) -> None:
        self.column = column

    # -- contract -------------------------------------------------------------------------------
    def get_params(self) -> dict[str, Any]:
        """The constructor arguments, JSON-able; subclasses add their own."""
        return {"column": self.column}

    @abstractmethod
    def fit(self, values: pd.Series, y: np.ndarray | None = None, task: str | None = None):
        """Learn from the training rows' ``values``; set ``names_out_`` and return ``self``."""

    @abstractmethod
    def transform(self, values: pd.Series) -> pd.DataFrame:
        """Encode ``values`` with what ``fit`` learnt: one block of ``names_out_`` columns."""

    def fit_transform(
        self, values: pd.Series, y: np.ndarray | None = None, task: str | None = None
    ) -> pd.DataFrame:
        """Fit on ``values`` and encode them. Target encoders override this (out-of-fold)."""
        return self.fit(values, y, task).transform(values)

    @abstractmethod
    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """The fitted state: a JSON-able dict and a dict of numpy arrays."""

    @abstractmethod
    def set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        """Restore the fitted state ``get_state`` returned."""

    @classmethod
    def from_state(
        cls, params: dict[str, Any], state: dict[str, Any], arrays: dict[str, np.ndarray]
    ) -> ColumnEncoder:
        """Rebuild a fitted encoder from ``get_params()`` and ``get_state()`` output."""
        encoder = cls(**params)
        encoder.set_state(state, arrays)
        return encoder

    # -- helpers --------------------------------------------------------------------------------
    def check_fitted(self) -> None:
        if not hasattr(self, "names_out_"):
            # hint: python-api: only code that calls modelyard directly meets it
            raise TrainingError(
                f"the {self.kind} encoder for column '{self.column}' is not fitted yet",
                hint="call fit(frame) on the training rows before transform",
            )

    def frame(self, block: np.ndarray, index: pd.Index) -> pd.DataFrame:
        """Wrap a 2-d float block (rows x names_out_) as a DataFrame on the input's index."""
        assert block.shape[1] == len(self.names_out_), (
            f"block has {block.shape[1]} columns, expected {len(self.names_out_)}"
        )
        return pd.DataFrame(
            block.astype(DENSE_DTYPE, copy=False), index=index, columns=self.names_out_
        )


def clean_strings(values: pd.Series) -> np.ndarray:
    """An object array of the values with strings stripped and missing tokens turned into None."""
    out = values.to_numpy(dtype=object, na_value=None).copy()
    for i, value in enumerate(out):
        if isinstance(value, str):
            stripped = value.strip()
            out[i] = None if stripped.lower() in MISSING_TOKENS else stripped
        elif value is not None and _is_na_scalar(value):
            out[i] = None
    return out


def _is_na_scalar(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-like values are not missing scalars
        return False


def unparseable(column: str, kind: str, bad: np.ndarray, expected: str) -> DataError:
    """The error for values that cannot be read as ``kind``; shows up to five of them."""
    shown = ", ".join(repr(v) for v in list(dict.fromkeys(bad.tolist()))[:5])
    return DataError(
        f"column '{column}' is typed {kind} but holds {len(bad)} value(s) that are not: {shown}",
        hint=f"expected {expected}; fix the values or type the column differently in the schema",
    )


def to_float(values: pd.Series, column: str) -> np.ndarray:
    """The column as float64 with missing values (and missing tokens, and +-inf) as NaN.

    Numeric dtypes convert directly; strings are parsed, and a string that is neither a number nor a
    missing token raises ``DataError`` rather than silently becoming missing.
    """
    if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_numeric_dtype(values.dtype):
        out = values.to_numpy(dtype=DENSE_DTYPE, na_value=np.nan)
    else:
        cleaned = clean_strings(values)
        parsed = pd.to_numeric(pd.Series(cleaned, dtype=object), errors="coerce")
        out = parsed.to_numpy(dtype=DENSE_DTYPE, na_value=np.nan)
        given = np.array([v is not None for v in cleaned], dtype=bool)
        bad = given & np.isnan(out)
        if bad.any():
            raise unparseable(column, "numeric", cleaned[bad], "numbers or a missing marker")
    out = np.array(out, dtype=DENSE_DTYPE, copy=True)
    out[~np.isfinite(out)] = np.nan  # inf and -inf are treated as missing
    return out


def fit_standardizer(block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and standard deviation (ddof=0) of a complete block; std 0 becomes 1."""
    if block.shape[0] == 0:
        return np.zeros(block.shape[1], DENSE_DTYPE), np.ones(block.shape[1], DENSE_DTYPE)
    mean = block.mean(axis=0, dtype=DENSE_DTYPE)
    std = block.std(axis=0, dtype=DENSE_DTYPE)
    std = np.where((std == 0) | ~np.isfinite(std), 1.0, std)
    return mean.astype(DENSE_DTYPE), std.astype(DENSE_DTYPE)


def floats(values: list[Any] | np.ndarray) -> list[float]:
    """Plain Python floats for JSON (numpy scalars are turned into ``float``)."""
    return [float(v) for v in np.asarray(values, dtype=DENSE_DTYPE).ravel()]
