"""Converting a whole frame to a saved schema at once, as ``convert_column`` would column by column.

``check_schema`` runs on every prediction, most often on one row (serving, the latency KPI), where
several pandas operations per column cost far more than the values. ``convert_frame`` returns
exactly what converting each column with ``convert_column`` returns (then storing numeric columns
that the schema records as ``float64`` as ``float64``), raises the same error for the first
column, in schema order, that fails, and does it with a handful of operations per frame:

- numeric columns held as numpy numbers are read as 2-d blocks (``numeric_block``); the rules of
  ``_to_numeric`` (``int64`` kept, other numbers read as float64 and stored as ``int64`` when all
  integral and below 2**62) are applied per column along axis 0;
- boolean columns held as numbers or bools take ``_to_boolean``'s rules with numpy;
- text-like columns (object or string dtype holding only strings and missing values) of one kind
  are joined end to end and read once. Up to ``SMALL`` cells this is done with Python's string
  methods, which are the same operations pandas applies: ``str.strip`` strips exactly the
  characters pandas' ``str.strip`` strips (checked over every code point in the tests), and the
  true/false tokens are ASCII words that only their own letters lowercase to, in Python as in
  pandas. Above ``SMALL``, pandas' string operations run on the joined column; every one of them
  works value by value. ``pd.to_numeric``, whose result dtype depends on the whole column, still
  runs once per column;
- every other column goes through ``convert_column``'s own steps.

When every column lands in one numeric block of one dtype (an image's pixels), the block becomes
the frame; otherwise the columns are gathered into one dict and built into a frame once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from modelyard.data.convert import (
    _FALSE,
    _TEXT_KINDS,
    _TRUE,
    _conversion_error,
    _convert,
    _to_text,
)
from modelyard.data.schema import Column
from modelyard.errors import DataError

__all__ = ["convert_frame", "numeric_block"]

SMALL = 4096  # cells: up to this many, text columns are read with Python's string methods
MANY = 32  # columns: from this many, a numeric block is read with one call on the frame


def numeric_block(
    frame: pd.DataFrame, names: list[str], dtype: type, labels: list | None = None
) -> np.ndarray:
    """A new, writable (rows x names) array of ``frame[names]`` cast to ``dtype``.

    Every column is a numpy number or bool column; the cast is numpy's, the same as each
    column's ``to_numpy(dtype)``. ``labels`` (``frame.columns.tolist()``) saves recomputing it.
    """
    labels = frame.columns.tolist() if labels is None else labels
    if labels == names:  # one call, and no take of hundreds of unconsolidated columns
        return np.array(frame.to_numpy(dtype=dtype), dtype=dtype, copy=True)
    if len(names) >= MANY:
        return np.array(frame[names].to_numpy(dtype=dtype), dtype=dtype, copy=True)
    block = np.empty((len(frame), len(names)), dtype=dtype)
    for j, name in enumerate(names):
        block[:, j] = frame[name].to_numpy(dtype=dtype)
    return block


def convert_frame(
    frame: pd.DataFrame,
    columns: Sequence[Column],
    *,
    errors: str = "raise",
    error_class: type[DataError] = DataError,
) -> pd.DataFrame:
    """``columns`` of ``frame`` converted to their kinds, in that order, on ``frame``'s index.

    ``frame`` has unique column labels and holds every one of ``columns``. See the module
    docstring for why the result equals the column-by-column conversion.
    """
    labels = frame.columns.tolist()
    dtypes = dict(zip(labels, frame.dtypes.tolist(), strict=True))
    numbers = [c for c in columns if c.kind == "numeric" and _is_plain_number(dtypes[c.name])]
    blocks = _number_blocks(frame, numbers, dtypes, labels) if numbers else []
    names = [c.name for c in columns]
    if len(blocks) == 1 and blocks[0][0] == names:  # one block of one dtype, in schema order
        return pd.DataFrame(blocks[0][1], index=frame.index, columns=names)
    converted: dict[str, object] = {}  # name -> converted array
    bad: dict[str, np.ndarray] = {}  # name -> values that did not convert, checked in order
    for block_names, block in blocks:
        converted.update((name, block[:, j]) for j, name in enumerate(block_names))
    read: dict[str, pd.Series] = {}  # each remaining column, read from the frame once
    texts: dict[str, list[Column]] = {"text": [], "boolean": [], "numeric": []}
    for col in columns:
        if col.name in converted:
            continue
        series = read[col.name] = frame[col.name]
        group = "text" if col.kind in _TEXT_KINDS else col.kind
        if group in texts and _is_plain_text(series):
            texts[group].append(col)
        elif col.kind == "boolean" and _is_plain_number(series.dtype):  # _to_boolean, numbers
            converted[col.name], bad[col.name] = _numbers_to_boolean(series)
        elif col.kind == "boolean" and pd.api.types.is_bool_dtype(series.dtype):
            converted[col.name] = series.astype("boolean").array  # _to_boolean, bools
    for group, cols in texts.items():
        if cols:
            _convert_texts([read[c.name] for c in cols], cols, group, converted, bad)
    for col in columns:  # in order, so that the first column that fails is the one reported
        name = col.name
        if name in bad and errors == "raise" and bad[name].any():
            example = read[name].iloc[int(np.flatnonzero(bad[name])[0])]
            raise _conversion_error(name, col.kind, int(bad[name].sum()), example, error_class)
        if name in converted:
            continue
        series = read[name]  # as convert_column, without its notes (check_schema drops them)
        values, wrong, _ = _convert(series, col.kind, name, col.format, error_class)
        if errors == "raise" and wrong.any():
            example = series[wrong].iloc[0]
            raise _conversion_error(name, col.kind, int(wrong.sum()), example, error_class)
        if col.kind == "numeric" and col.dtype == "float64":
            values = values.astype("float64")
        converted[name] = values.array
    return pd.DataFrame({name: converted[name] for name in names}, index=frame.index)


def _is_plain_number(dtype: object) -> bool:
    """A numpy integer or float dtype (not bool, not a nullable extension dtype)."""
    return isinstance(dtype, np.dtype) and dtype.kind in "iuf"


def _is_plain_text(series: pd.Series) -> bool:
    """Strings only (and missing values): a string dtype, or object holding nothing else."""
    if isinstance(series.dtype, pd.StringDtype):
        return True
    if series.dtype != object:
        return False
    return pd.api.types.infer_dtype(series.to_numpy(), skipna=True) in ("string", "empty")


def _is_missing(value: object) -> bool:
    """The missing values a string column holds: None, NaN and pd.NA."""
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def _number_blocks(
    frame: pd.DataFrame, columns: list[Column], dtypes: dict[str, object], labels: list
) -> list[tuple[list[str], np.ndarray]]:
    """Numeric columns held as numpy numbers, converted: (names, int64 or float64 block) pairs.

    ``_to_numeric`` keeps an ``int64`` column as it is and reads any other number column as
    ``float64``, stored as ``int64`` when every value is integral and below 2**62; here the
    integral test runs along axis 0 of the same float64 values. Columns the schema records as
    ``float64`` are then cast to ``float64``, after the ``int64`` round trip where there was one
    (it turns -0.0 into 0.0, as the column-by-column conversion does).
    """
    ints: list[tuple[list[str], np.ndarray]] = []
    floats: list[tuple[list[str], np.ndarray]] = []

    def store(cols: list[Column], block: np.ndarray) -> None:  # an int64 block
        to_float = np.array([c.dtype == "float64" for c in cols], dtype=bool)
        for target, mask, dtype in ((ints, ~to_float, np.int64), (floats, to_float, np.float64)):
            if mask.all():
                target.append(([c.name for c in cols], block.astype(dtype, copy=False)))
            elif mask.any():
                names = [c.name for c, m in zip(cols, mask, strict=True) if m]
                target.append((names, block[:, mask].astype(dtype, copy=False)))

    int64 = [c for c in columns if dtypes[c.name] == np.int64]
    other = [c for c in columns if dtypes[c.name] != np.int64]
    if int64:
        store(int64, numeric_block(frame, [c.name for c in int64], np.int64, labels))
    if other:
        numbers = numeric_block(frame, [c.name for c in other], np.float64, labels)
        with np.errstate(invalid="ignore"):  # inf % 1 is NaN: not integral, as intended
            integral = np.all(np.mod(numbers, 1.0) == 0.0, axis=0)
        integral &= np.all(np.abs(numbers) < 2**62, axis=0)  # NaN fails both tests
        if not integral.all():
            names = [c.name for c, i in zip(other, integral, strict=True) if not i]
            floats.append((names, numbers[:, ~integral]))
        if integral.any():
            whole = [c for c, i in zip(other, integral, strict=True) if i]
            store(whole, numbers[:, integral].astype(np.int64))
    return ints + floats


def _numbers_to_boolean(series: pd.Series) -> tuple[pd.arrays.BooleanArray, np.ndarray]:
    """``_to_boolean`` of a numpy number column: True for 1, NA for missing and other numbers.

    ``(x == 0) | (x == 1)`` is ``isin([0.0, 1.0])``: both hold for -0.0 and fail for NaN.
    """
    numbers = series.to_numpy(dtype=np.float64)
    present = ~np.isnan(numbers)
    wrong = present & ~((numbers == 0.0) | (numbers == 1.0))
    return pd.arrays.BooleanArray(numbers == 1.0, ~present | wrong), wrong


def _convert_texts(
    series: list[pd.Series],
    columns: list[Column],
    group: str,
    converted: dict[str, object],
    bad: dict[str, np.ndarray],
) -> None:
    """Convert text-like columns of one kind group at once, filling ``converted`` and ``bad``."""
    n = len(series[0])
    joined = np.concatenate([s.to_numpy(dtype=object) for s in series])
    small = len(joined) <= SMALL and all(isinstance(v, str) or _is_missing(v) for v in joined)
    parts = [slice(i * n, (i + 1) * n) for i in range(len(columns))]
    if group == "boolean":  # _to_boolean of text: tokens after strip and lower, blank missing
        if small:
            tokens = [v.strip().lower() if isinstance(v, str) else None for v in joined]
            given = np.array([bool(t) for t in tokens], dtype=bool)
            is_true = np.array([t in _TRUE for t in tokens], dtype=bool)
            is_false = np.array([t in _FALSE for t in tokens], dtype=bool)
        else:
            lowered = _to_text(pd.Series(joined, dtype=object)).str.strip().str.lower()
            given = lowered.notna().to_numpy()
            is_true, is_false = lowered.isin(_TRUE).to_numpy(), lowered.isin(_FALSE).to_numpy()
        neither = ~is_true & ~is_false
        for col, part in zip(columns, parts, strict=True):
            mask = neither[part].copy()  # NA where neither true nor false
            converted[col.name] = pd.arrays.BooleanArray(is_true[part].copy(), mask)
            bad[col.name] = given[part] & mask
        return
    if small:  # _to_text: blank cells missing; numbers are read from the stripped text
        strip = group == "numeric"
        kept = [
            (v.strip() if strip else v) if isinstance(v, str) and v.strip() else None
            for v in joined
        ]
        text = pd.array(kept, dtype="str")
    else:
        text = _to_text(pd.Series(joined, dtype=object))
        text = (text.str.strip() if group == "numeric" else text).array
    for col, part in zip(columns, parts, strict=True):
        if group == "text":
            converted[col.name] = text[part]
            continue
        stripped = pd.Series(text[part])  # _to_numeric of text, then float64 storage
        values = pd.to_numeric(stripped, errors="coerce").astype("float64")
        bad[col.name] = (stripped.notna() & values.isna()).to_numpy()
        numbers = values.to_numpy()
        with np.errstate(invalid="ignore"):  # inf % 1 is NaN: not integral, as intended
            integral = np.all(np.mod(numbers, 1.0) == 0.0) and np.all(np.abs(numbers) < 2**62)
        values = values.astype("int64") if integral else values
        if col.dtype == "float64":
            values = values.astype("float64")
        converted[col.name] = values.array
