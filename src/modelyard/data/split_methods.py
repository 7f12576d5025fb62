"""How the ``column``, ``group`` and ``time`` split methods divide rows, and the checks they share.

Each returns the three parts (train, validation, test positions) and notes for ``Split.notes``;
``make_split`` (``split.py``) chooses among them and adds the folds.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from modelyard.data.folds import PARTS, Parts, Ratios, divide, divide_groups, divide_time
from modelyard.errors import DataError, did_you_mean
from modelyard.spec.models import SplitSpec

PART_LABELS = {  # accepted labels in a split column (compared lower-case, stripped)
    "train": "train",
    "validation": "validation",
    "val": "validation",
    "valid": "validation",
    "dev": "validation",
    "eval": "validation",
    "test": "test",
}


def column_named(frame: pd.DataFrame, name: str, setting: str) -> Any:
    """The frame column ``name`` names; headerless files have integer labels, so "0" finds 0."""
    if name in frame.columns:
        return name
    matches = [c for c in frame.columns if str(c) == name]
    if len(matches) == 1:
        return matches[0]
    labels = [str(c) for c in frame.columns]
    raise DataError(
        f"{setting} {name!r} is not a column of the data; it has {len(labels)} columns",
        hint=did_you_mean(name, labels),
    )


def no_missing(values: pd.Series, what: str, fix: str) -> None:
    """``DataError`` when ``values`` has missing entries, saying how many."""
    n_missing = int(values.isna().sum())
    if n_missing:
        raise DataError(
            f"{what} has {n_missing} missing value(s) out of {len(values)} rows; every row needs "
            "one to be split",
            hint=fix,
        )


def by_column(
    frame: pd.DataFrame,
    spec: SplitSpec,
    rng: np.random.Generator,
    classes: np.ndarray | None,
    class_names: list[object] | None,
) -> tuple[Parts, list[str]]:
    """Parts named by a column; validation carved from train when the column names none."""
    column = column_named(frame, spec.column, "split.column")
    raw = frame[column]
    accepted = sorted(PART_LABELS)
    no_missing(raw, f"the split column {column!r}", f"label every row with one of {accepted}")
    mapped = raw.astype(str).str.strip().str.lower().map(PART_LABELS)
    unknown = mapped.isna().to_numpy()
    if unknown.any():
        found = sorted({str(v) for v in raw[unknown]})
        raise DataError(
            f"the split column {column!r} holds {int(unknown.sum())} row(s) with labels "
            f"{found[:10]} that name no split part",
            hint=f"accepted labels (case-insensitive): {accepted}; 'val', 'valid', 'dev' and "
            "'eval' mean validation",
        )
    part_of_row = mapped.to_numpy(dtype=object)
    train, val, test = (np.flatnonzero(part_of_row == p).astype(np.int64) for p in PARTS)
    found = sorted({str(v) for v in raw.unique()})
    if test.size == 0:
        raise DataError(
            f"the split column {column!r} labels no row 'test'; found {found}",
            hint="label the held-out rows 'test' (for data shipped as train and test files, "
            "concatenate both and name each row's file), or use method 'random' or 'stratified'",
        )
    if train.size == 0:
        raise DataError(
            f"the split column {column!r} labels no row 'train'; found {found}",
            hint="label the rows to learn from 'train'",
        )
    notes: list[str] = []
    if val.size == 0 and spec.validation > 0:
        share = spec.validation / (spec.train + spec.validation)
        ratios: Ratios = (1.0 - share, share, 0.0)
        sub = classes[train] if classes is not None else None
        (train, val, _), how, notes = divide(train, ratios, rng, sub, class_names)
        notes.append(
            f"the split column names no validation rows: carved {val.size} of the "
            f"{train.size + val.size} training rows ({share:.1%}, {how}) for validation"
        )
    return (train, val, test), notes


def by_group(
    frame: pd.DataFrame, name: str | None, ratios: Ratios, rng: np.random.Generator
) -> tuple[Parts, np.ndarray, list[str]]:
    """Whole groups to parts; returns the parts, the group code of every row and notes."""
    column = column_named(frame, str(name), "split.group_column")
    values = frame[column]
    no_missing(
        values, f"the group column {column!r}",
        "fill the missing groups (e.g. a new group per row) or drop those rows before splitting",
    )
    codes = pd.factorize(values)[0].astype(np.int64)
    parts = divide_groups(codes, ratios, rng, column=str(column))
    counts = [int(np.unique(codes[p]).size) for p in parts]
    notes = [
        f"group split on {column!r}: {counts[0]}/{counts[1]}/{counts[2]} groups hold "
        f"{parts[0].size}/{parts[1].size}/{parts[2].size} rows (train/validation/test)"
    ]
    return parts, codes, notes


def by_time(frame: pd.DataFrame, name: str | None, ratios: Ratios) -> tuple[Parts, list[str]]:
    """Earliest rows to train, latest to test; the time column is numeric, datetime or dates."""
    column = column_named(frame, str(name), "split.time_column")
    values = frame[column]
    no_missing(values, f"the time column {column!r}", "fill or drop the rows with no time")
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if not (numeric or pd.api.types.is_datetime64_any_dtype(values)):
        try:
            with warnings.catch_warnings():  # the one about guessing each format: errors suffice
                warnings.simplefilter("ignore", UserWarning)
                values = pd.to_datetime(values)
        except (ValueError, TypeError) as err:
            raise DataError(
                f"the time column {column!r} must be numeric or datetime; it holds "
                f"{values.dtype} values such as {values.iloc[0]!r} that do not parse as dates",
                hint="give a numeric or datetime column as split.time_column, or declare the "
                "column's type as datetime in data.types",
            ) from err
    ranks = pd.factorize(values, sort=True)[0].astype(np.int64)  # equal times share a rank
    parts = divide_time(ranks, ratios, column=str(column))
    starts = [str(values.iloc[p].min()) for p in parts[1:] if p.size]
    notes = [
        f"time split on {column!r}: {parts[0].size}/{parts[1].size}/{parts[2].size} rows "
        f"(train/validation/test); later parts start at {', '.join(starts) or 'nothing'}"
    ]
    return parts, notes
