"""Data profile: a JSON-able summary of a typed table; what its target implies (task, stray labels).

``profile_frame`` describes every column of a frame converted by ``infer_schema`` (or
``check_schema``): the features, the target and any dropped column still present, each marked with
its role. Numbers are plain Python floats and ints, missing statistics are ``None`` and dates are
ISO strings, so ``json.dumps(profile, allow_nan=False)`` works.

``infer_task`` says which task a target implies, and ``suggest_target_map`` which of its labels
differ only by stray punctuation; both are re-exported by ``modelyard.data.infer``.
"""

from __future__ import annotations

import math
import string
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from modelyard.data.schema import Schema
from modelyard.errors import DataError

MAX_CLASSES = 20  # an integer target with at most this many labels is multiclass, not regression
TOP_VALUES = 5  # most frequent values listed for categorical and boolean columns
_STRAY = string.punctuation + string.whitespace  # padding that makes labels differ


def infer_task(series: pd.Series, kind: str) -> str:
    """'binary', 'multiclass' or 'regression' for a target column of the given kind.

    Two distinct labels make a binary task; text labels, or integers with at most 20 distinct
    values, a multiclass task; other numbers a regression task. A target that is all missing, holds
    a single class or holds dates raises ``DataError``.
    """
    name = series.name
    values = series.dropna()
    if values.empty:
        raise DataError(
            f"the target '{name}' is missing in all {len(series)} rows; expected labels or numbers",
            hint="check the target name and the missing-value markers (data.source.missing_values)",
        )
    if kind == "datetime":
        raise DataError(
            f"the target '{name}' holds dates; expected labels or numbers",
            hint="predict a number or a label derived from the dates instead",
        )
    labels = values.unique()
    if len(labels) == 1:
        raise DataError(
            f"only one class {_plain(labels[0])!r} in target '{name}' ({len(values)} rows with a "
            "value); a classifier needs at least two",
            hint="check the target column and any filter on the rows, or choose another target",
        )
    if len(labels) == 2 or kind == "boolean":
        return "binary"
    if kind != "numeric" or not pd.api.types.is_numeric_dtype(values.dtype):
        return "multiclass"
    numbers = values.to_numpy(dtype="float64")
    integral = bool(np.all(np.mod(numbers, 1.0) == 0.0))
    return "multiclass" if integral and len(labels) <= MAX_CLASSES else "regression"


def suggest_target_map(values: Iterable[object]) -> dict[str, str]:
    """Labels that differ from another label only by leading/trailing punctuation or spaces.

    Maps each such label to the longest other label it wraps with that stray padding:
    ``['>50K', '<=50K', '>50K.', '<=50K.']`` gives ``{'>50K.': '>50K', '<=50K.': '<=50K'}``.
    """
    labels = sorted({str(v) for v in values if v is not None and not pd.isna(v)})
    mapping: dict[str, str] = {}
    for label in labels:
        cores = [other for other in labels if _wraps(label, other)]
        if cores:
            mapping[label] = max(cores, key=lambda c: (len(c), c))
    for label, core in list(mapping.items()):
        while core in mapping:  # resolve chains: 'a..' -> 'a.' -> 'a'
            core = mapping[core]
        mapping[label] = core
    return mapping


def _wraps(label: str, core: str) -> bool:
    """Whether ``label`` is ``core`` with only punctuation or spaces added around it."""
    if len(core) >= len(label) or not core.strip(_STRAY):
        return False
    start = label.find(core)
    while start != -1:
        head, tail = label[:start], label[start + len(core) :]
        if not head.strip(_STRAY) and not tail.strip(_STRAY):
            return True
        start = label.find(core, start + 1)
    return False


def profile_frame(frame: pd.DataFrame, schema: Schema) -> dict[str, Any]:
    """A JSON-able profile: sizes, one entry per column, the target block, dropped columns, notes.

    Each column entry has ``name``, ``role`` (feature, target, dropped, or other for columns the
    schema does not know), ``kind``, ``dtype``, ``n_missing``, ``missing_pct``, ``n_unique``,
    ``note`` (the schema's note on a feature, the reason a column was dropped) and the statistics of
    its kind: min/max/mean/std for numbers, the top 5 values with counts for categorical and
    boolean columns, min/max for dates, mean length for text.
    """
    features = {c.name: c for c in schema.columns}
    entries = []
    for label in frame.columns:
        name = str(label)
        series = frame[label]
        if name == schema.target:
            entry = _column(series, name, "target", schema.target_kind)
        elif name in features:
            entry = _column(series, name, "feature", features[name].kind)
            entry["note"] = features[name].note
        elif name in schema.dropped:
            entry = _column(series, name, "dropped", _dropped_kind(schema.dropped[name]))
            entry["note"] = schema.dropped[name]
        else:
            entry = _column(series, name, "other", None)
        entries.append(entry)
    present = {str(c) for c in frame.columns}
    for name, reason in schema.dropped.items():
        if name not in present:
            entry = {"name": name, "role": "dropped", "kind": _dropped_kind(reason), "note": reason}
            entries.append(entry)
    target = None
    if schema.target is not None and schema.target in present:
        target = _target(frame[schema.target], schema.target, schema.target_kind or "categorical")
    return {
        "n_rows": int(len(frame)),
        "n_columns": int(frame.shape[1]),
        "columns": entries,
        "target": target,
        "dropped": dict(schema.dropped),
        "notes": list(schema.notes),
    }


def _column(series: pd.Series, name: str, role: str, kind: str | None) -> dict[str, Any]:
    """One column's entry: counts for all, statistics for the column's kind."""
    n_rows = len(series)
    n_missing = int(series.isna().sum())
    entry: dict[str, Any] = {
        "name": name,
        "role": role,
        "kind": kind,
        "note": None,
        "dtype": str(series.dtype),
        "n_missing": n_missing,
        "missing_pct": round(100.0 * n_missing / n_rows, 2) if n_rows else 0.0,
        "n_unique": int(series.nunique(dropna=True)),
    }
    if kind == "numeric":
        entry.update(_numeric_stats(series))
    elif kind in ("categorical", "boolean"):
        entry["top"] = [{"value": v, "count": c} for v, c in _counts(series)[:TOP_VALUES]]
    elif kind == "datetime":
        dates = pd.to_datetime(series, errors="coerce").dropna()
        entry["min"] = dates.min().isoformat() if not dates.empty else None
        entry["max"] = dates.max().isoformat() if not dates.empty else None
    elif kind == "text":
        lengths = series.dropna().astype("str").str.len()
        entry["mean_length"] = _number(lengths.mean()) if not lengths.empty else None
    return entry


def _dropped_kind(reason: str) -> str | None:
    """'identifier' for a column dropped as identifier-like, else None (not typed)."""
    return "identifier" if reason.startswith("identifier") else None


def _target(series: pd.Series, name: str, kind: str) -> dict[str, Any]:
    """The target block: task, class balance for labels, summary statistics for numbers."""
    block: dict[str, Any] = {"name": name, "kind": kind, "n_missing": int(series.isna().sum())}
    try:
        block["task"] = infer_task(series, kind)
    except DataError as err:
        block["task"], block["problem"] = None, err.message
    if block["task"] == "regression":
        block["summary"] = _numeric_stats(series) | {
            "median": _number(pd.to_numeric(series, errors="coerce").median())
        }
        return block
    counts = _counts(series)
    total = sum(c for _, c in counts)
    block["classes"] = [
        {"label": v, "count": c, "fraction": round(c / total, 4) if total else 0.0}
        for v, c in counts
    ]
    return block


def _numeric_stats(series: pd.Series) -> dict[str, float | None]:
    """min, max, mean and (sample) std of the numbers in a column; None where undefined."""
    if not _is_number(series.dtype):
        series = pd.to_numeric(series, errors="coerce")
    numbers = series.dropna().astype("float64")
    if numbers.empty:
        return {"min": None, "max": None, "mean": None, "std": None}
    # values near the float limit (1e308) overflow a plain sum or a square: computed at a power
    # of two (exact) that brings the largest below 2**480, mean and std stay finite; a column of
    # ordinary numbers is not rescaled
    values = numbers.to_numpy()
    largest = float(np.abs(values[np.isfinite(values)]).max(initial=0.0))
    exponent = int(np.frexp(largest)[1])
    scale = 2.0 ** (exponent - 480) if exponent > 480 else 1.0
    scaled = numbers / scale
    return {
        "min": _number(numbers.min()),
        "max": _number(numbers.max()),
        "mean": _number(scaled.mean() * scale),
        "std": _number(scaled.std() * scale) if len(numbers) > 1 else None,
    }


def _counts(series: pd.Series) -> list[tuple[Any, int]]:
    """(value, count) pairs of the non-missing values, most frequent first, ties by value."""
    counts = series.dropna().value_counts()
    pairs = [(_plain(v), int(c)) for v, c in counts.items()]
    return sorted(pairs, key=lambda p: (-p[1], str(p[0])))


def _is_number(dtype: object) -> bool:
    """Numbers proper: bool dtypes excluded."""
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _number(value: Any) -> float | None:
    """A plain float, or None for NaN and infinities (not valid JSON)."""
    number = float(value)
    return number if math.isfinite(number) else None


def _plain(value: Any) -> Any:
    """A numpy or pandas scalar as the matching plain Python value (JSON-able)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return _number(value) if not float(value).is_integer() else int(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)
