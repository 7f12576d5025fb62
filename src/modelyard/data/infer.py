"""Schema inference: decide each column's kind, convert it to that kind's storage, check the target.

``infer_schema`` looks at a freshly read table and returns it converted, with a ``Schema``.
``check_schema`` applies a saved schema to new rows (a test file, a serving batch) through the same
``convert_column``, so training rows and new rows are typed alike.

Rules, in the order they are tried for a column nobody typed by hand (``types=`` overrides them):

- **boolean**: a bool column; a number column whose values are exactly {0, 1}; a text column with
  two distinct values forming a known pair, case-insensitive: yes/no, true/false, y/n, t/f, 1/0.
  Stored as pandas ``boolean`` (nullable).
- **numeric**: a number column, or a text column where at least 95% of the non-blank cells parse as
  numbers. Blank or whitespace-only cells become missing (Telco ``TotalCharges`` ``' '``) and the
  column note counts them, and any cells that did not parse. Stored as ``int64`` when every value
  is an integer and none is missing, else ``float64``. Integer columns with few distinct values stay
  numeric (predictable): type them ``categorical`` by hand when they are codes.
- **datetime**: a datetime column, or a text column where at least 95% of the cells parse with the
  format pandas guesses from the first values (month first, then day first). The format is kept in
  ``Column.format`` and the note. Stored as ``datetime64[ns]``. Numbers are never guessed as dates;
  ``types={'date': 'datetime'}`` reads 8-digit integers as ``%Y%m%d``.
- **identifier** (dropped): a column whose name looks like an id (``id``, ``*_id``, ``Product ID``,
  ``customerID``, ``UDI``...) with at least 98% unique values; a text column with at least 20 rows,
  98% unique values, made of short tokens without spaces; an integer column that is a consecutive
  run with one value per row (a row index).
- **text**: strings with a mean of at least 5 words or 40 characters per cell, half of them
  distinct.
- **categorical**: any other strings. Those with at most 50 distinct values list them, sorted, in
  ``Column.categories``.

A column with no value at all is dropped as empty. Dropped columns (identifier-like, empty, or named
in ``drop``) are recorded in ``Schema.dropped`` with the reason and left unchanged in the returned
frame (a caller may still need one, e.g. as a group key). The target is converted, kept in the frame
and excluded from ``Schema.columns``; it is never identifier-like or empty-dropped. Rows with a
missing target are kept and reported in ``Schema.notes``, as are target labels that differ only by
stray punctuation or spaces (``'>50K.'`` vs ``'>50K'``), with a suggested ``data.target_map``.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd

from modelyard.data.convert import (
    PARSE_SHARE,
    _guess_date_format,
    _is_empty,
    _string_labels,
    _to_text,
    convert_column,
)
from modelyard.data.convert_frame import convert_frame
from modelyard.data.profile import infer_task, suggest_target_map
from modelyard.data.schema import KINDS, Column, Schema
from modelyard.errors import DataError, SchemaMismatch, did_you_mean

__all__ = ["check_schema", "convert_column", "infer_schema", "infer_task", "suggest_target_map"]

UNIQUE_SHARE = 0.98  # unique values per row from which a column is identifier-like
MIN_ID_ROWS = 20  # below this many rows, uniqueness says nothing
MAX_CATEGORIES = 50  # categoricals with at most this many values list them in the schema
MAX_ID_LENGTH = 40  # identifier tokens are short
TEXT_WORDS, TEXT_CHARS = 5, 40  # mean words or characters per cell that make a column free text
MAX_SPELLINGS = 50  # boolean spellings kept in the schema ('yes', 'Yes', 'YES', ...), at most

_PAIRS = tuple(frozenset(p) for p in (("yes", "no"), ("true", "false"), ("y", "n"), ("t", "f")))
_PAIRS += (frozenset(("1", "0")), frozenset(("1.0", "0.0")))
_ID_NAME = re.compile(r"^(id|uid|udi|uuid|guid|index|unnamed: ?\d+)$|[ _\-.]id$", re.IGNORECASE)
_CAMEL_ID = re.compile(r"[a-z0-9]I[Dd]$")  # customerID, productId (case matters: not 'Paid')


def infer_schema(
    frame: pd.DataFrame,
    *,
    target: str | None = None,
    types: dict[str, str] | None = None,
    drop: list[str] | None = None,
) -> tuple[pd.DataFrame, Schema]:
    """Infer each column's kind, convert the columns and describe them in a ``Schema``.

    ``types`` maps column names to kinds set by hand (a value that does not convert is a
    ``DataError``); ``drop`` names columns to leave out. See the module docstring for the rules.
    """
    frame = _string_labels(frame)
    types, drop = dict(types or {}), list(drop or [])
    _check_arguments(frame, target, types, drop)
    out = dict(frame.items())  # built into a frame once at the end: cheap for wide tables
    columns: list[Column] = []
    dropped: dict[str, str] = {}
    notes: list[str] = []
    target_kind = None
    n_rows = len(frame)
    for name in frame.columns:
        series, by_hand, is_target = frame[name], name in types, name == target
        if name in drop:
            dropped[name] = "dropped by the spec"
            continue
        if n_rows and not by_hand and not is_target and _is_empty(series):
            dropped[name] = f"empty: no value in {n_rows} rows"
            continue
        if by_hand:
            kind, fmt, note = types[name], None, "set by hand"
        else:
            kind, fmt, note = _infer_kind(series, name, is_target=is_target)
        if kind == "identifier":
            unique = int(series.nunique(dropna=True))
            reason = f"identifier-like: {unique} unique values in {n_rows} rows"
            reason += f" ({note})" if note else ""
            dropped[name] = "identifier (set by hand)" if by_hand else reason
            continue
        errors = "raise" if by_hand else "coerce"
        values, fmt, extra = convert_column(series, kind, name=name, fmt=fmt, errors=errors)
        out[name] = values
        note = "; ".join(n for n in (note, extra) if n) or None
        if is_target:
            target_kind = kind
            notes.extend(_target_notes(values, name, kind))
        else:
            column = _describe(name, kind, values, note, fmt)
            if kind == "boolean":
                column = replace(column, spellings=boolean_spellings(series, values))
            columns.append(column)
    schema = Schema(
        columns=tuple(columns),
        target=target,
        target_kind=target_kind,
        n_rows=n_rows,
        dropped=dropped,
        notes=tuple(notes),
    )
    return pd.DataFrame(out, index=frame.index), schema


def check_schema(frame: pd.DataFrame, schema: Schema, *, errors: str = "raise") -> pd.DataFrame:
    """Convert new rows to a saved schema: the feature columns in schema order, then the target.

    Missing feature columns raise ``SchemaMismatch``; extra columns are ignored (left out of the
    result); the target is converted when present and may be absent (serving). ``errors='raise'``
    rejects a value that does not convert to its column's kind, ``'coerce'`` makes it missing.
    Each column is converted by ``convert_column`` (numeric columns the schema stores as
    ``float64`` are then cast to it); ``convert_frame`` does the same for many columns at once.
    """
    if errors not in ("raise", "coerce"):
        raise DataError(f"errors must be 'raise' or 'coerce', got {errors!r}")
    frame = _string_labels(frame)
    labels = frame.columns.tolist()
    present = set(labels)
    missing = [name for name in schema.names if name not in present]
    if missing:
        raise SchemaMismatch(
            f"{len(missing)} column(s) the schema expects are missing: {missing}; "
            f"expected columns: {schema.names}; received: {labels}",
            hint="send every expected column (extra columns are ignored)",
        )
    columns = list(schema.columns)
    if schema.target is not None and schema.target in present:
        # the target has no stored format and no float64 storage rule: dtype '' turns both off
        kind = schema.target_kind or "categorical"
        columns.append(Column(name=schema.target, kind=kind, dtype=""))  # type: ignore[arg-type]
    if columns and frame.columns.is_unique:
        return convert_frame(frame, columns, errors=errors, error_class=SchemaMismatch)
    out: dict[str, pd.Series] = {}  # repeated labels: one column at a time, as frame[...] reads
    for col in columns:
        out[col.name], _, _ = convert_column(
            frame[col.name], col.kind, name=col.name, fmt=col.format, errors=errors,
            error_class=SchemaMismatch,
        )  # fmt: skip
        if col.kind == "numeric" and col.dtype == "float64":
            out[col.name] = out[col.name].astype("float64")
    return pd.DataFrame(out, index=frame.index)


# ---- inference -----------------------------------------------------------------------------------


def _infer_kind(
    series: pd.Series, name: str, *, is_target: bool
) -> tuple[str, str | None, str | None]:
    """(kind, datetime format, note) for one column, following the module rules."""
    n_rows = len(series)
    if pd.api.types.is_bool_dtype(series.dtype):
        return "boolean", None, None
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return "datetime", None, None
    if pd.api.types.is_numeric_dtype(series.dtype):
        numbers = series.dropna().to_numpy(dtype="float64")
        distinct = np.unique(numbers)
        if len(distinct) == 2 and distinct[0] == 0.0 and distinct[1] == 1.0:
            return "boolean", None, "numbers 0/1"
        integral = bool(np.all(np.mod(numbers, 1.0) == 0.0))
        if not is_target and integral and n_rows >= MIN_ID_ROWS and len(numbers) == n_rows:
            if _looks_like_id(name) and len(distinct) >= UNIQUE_SHARE * n_rows:
                return "identifier", None, None
            if len(distinct) == n_rows and distinct[-1] - distinct[0] == n_rows - 1:
                return "identifier", None, "a consecutive run, like a row index"
        return "numeric", None, None
    present = _to_text(series).dropna()
    if present.empty:
        return "categorical", None, "all values missing"
    counts = present.value_counts()  # the tests below look at distinct values, weighted by count
    distinct, weights = counts.index.to_series().str.strip(), counts.to_numpy()
    if len(distinct) == 2 and frozenset(distinct.str.lower()) in _PAIRS:
        return "boolean", None, None
    parses = pd.to_numeric(distinct, errors="coerce").notna().to_numpy()
    if weights[parses].sum() >= PARSE_SHARE * len(present):
        return "numeric", None, "numbers stored as text"
    fmt = _guess_date_format(present)
    if fmt is not None:
        return "datetime", fmt, "dates stored as text"
    if not is_target and len(distinct) >= UNIQUE_SHARE * n_rows:
        if _looks_like_id(name):
            return "identifier", None, None
        short = distinct.str.len().max() <= MAX_ID_LENGTH
        if n_rows >= MIN_ID_ROWS and short and not distinct.str.contains(r"\s").any():
            return "identifier", None, None
    if len(distinct) >= 0.5 * len(present):
        words = np.average(distinct.str.split().str.len(), weights=weights)
        chars = np.average(distinct.str.len(), weights=weights)
        if words >= TEXT_WORDS or chars >= TEXT_CHARS:
            return "text", None, None
    return "categorical", None, None


def _looks_like_id(name: str) -> bool:
    """Whether a column name reads like an identifier: id, UDI, row_id, Product ID, customerID."""
    return bool(_ID_NAME.search(name) or _CAMEL_ID.search(name))


def _describe(name: str, kind: str, values: pd.Series, note: str | None, fmt: str | None) -> Column:
    """The schema entry of a converted feature column."""
    n_unique = int(values.nunique(dropna=True))
    categories = None
    if kind == "categorical" and n_unique <= MAX_CATEGORIES:
        categories = tuple(sorted(str(v) for v in values.dropna().unique()))
    return Column(
        name=name,
        kind=kind,
        dtype=str(values.dtype),
        n_missing=int(values.isna().sum()),
        n_unique=n_unique,
        categories=categories,
        note=note,
        format=fmt,
    )


def boolean_spellings(raw: pd.Series, converted: pd.Series) -> tuple[bool | int | str, ...]:
    """The distinct raw values of a boolean column that read as False or True, False ones first:
    (False, True) for a bool column, (0, 1) for numbers, the stripped text otherwise."""
    present = converted.notna().to_numpy()
    pairs = pd.DataFrame({"raw": raw[present], "truth": converted[present].to_numpy(bool)})
    distinct = pairs.drop_duplicates("raw")  # a few rows: the casts below are cheap
    if pd.api.types.is_bool_dtype(raw.dtype):
        values = [bool(v) for v in distinct["raw"]]
    elif pd.api.types.is_numeric_dtype(raw.dtype):
        values = [int(v) for v in distinct["raw"].astype("float64")]  # only 0.0 and 1.0 convert
    else:
        values = list(_to_text(distinct["raw"]).str.strip())
    truth = dict(zip(values, distinct["truth"].tolist(), strict=True))
    spellings = sorted((bool(t), value) for value, t in truth.items())
    return tuple(value for _, value in spellings[:MAX_SPELLINGS])


def _target_notes(values: pd.Series, name: str, kind: str) -> list[str]:
    """Notes about the converted target: missing rows, labels differing by stray punctuation."""
    n_missing = int(values.isna().sum())
    if n_missing == len(values):
        raise DataError(
            f"the target column '{name}' is missing in all {len(values)} rows; expected at "
            "least one row with a value",
            hint="check the target name and the missing-value markers (data.source.missing_values)",
        )
    notes = []
    if n_missing:
        notes.append(
            f"{n_missing} of {len(values)} rows have no value in target '{name}'; they are kept "
            "here: leave them out before training"
        )
    texts = kind in ("categorical", "text")
    mapping = suggest_target_map(values.dropna().unique()) if texts else {}
    if mapping:
        pairs = ", ".join(f"{k!r} vs {v!r}" for k, v in mapping.items())
        notes.append(
            f"target '{name}' has labels that differ only by punctuation or spaces ({pairs}); "
            f"to merge them set data.target_map: {mapping}"
        )
    return notes


def _check_arguments(frame: pd.DataFrame, target: str | None, types: dict, drop: list) -> None:
    """Repeated or unknown column names, unknown kinds, a dropped target: errors with hints."""
    columns = list(frame.columns)
    twice = sorted(set(frame.columns[frame.columns.duplicated()]))
    if twice:
        raise DataError(
            f"column names must be unique; repeated: {twice}",
            hint="rename the columns (or set 'columns:' for files without a header)",
        )
    named = [("target", target)] if target is not None else []
    named += [("data.types", n) for n in types] + [("data.drop", n) for n in drop]
    for where, name in named:
        if name not in frame.columns:
            raise DataError(
                f"{where} names column {name!r}, which is not in the table "
                f"({len(columns)} columns)",
                hint=did_you_mean(str(name), columns),
            )
    for name, kind in types.items():
        if kind not in KINDS:
            raise DataError(
                f"data.types gives column {name!r} the unknown kind {kind!r}; "
                f"expected one of {list(KINDS)}",
                hint=did_you_mean(str(kind), KINDS),
            )
    if target is not None and (target in drop or types.get(target) == "identifier"):
        raise DataError(
            f"the target {target!r} is listed in data.drop or typed 'identifier', so it would be "
            "left out; expected the target to be kept",
            hint="remove it from data.drop and data.types: the target is never a feature anyway",
        )
