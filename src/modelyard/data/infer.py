"""Schema inference: decide each column's kind, convert it to that kind's storage, check the target.

``infer_schema`` looks at a freshly read table and returns it converted, with a ``Schema``.
``check_schema`` applies a saved schema to new rows (a test file, a serving batch) with the very
same conversion code, so training and new data are typed alike.

Rules, in the order they are tried for a column nobody typed by hand (``types=`` overrides them):

- **boolean**: a bool column; a number column whose values are exactly {0, 1}; a text column with
  two distinct values forming a known pair, case-insensitive: yes/no, true/false, y/n, t/f, 1/0.
  Stored as pandas ``boolean`` (nullable).
- **numeric**: a number column, or a text column where at least 95% of the non-blank cells parse as
  numbers. Blank or whitespace-only cells become missing (Telco ``TotalCharges`` ``' '``) and the
  column note counts them, as well as any cells that did not parse. Stored as ``int64`` when every
  value is an integer and none is missing, else ``float64``. Integer columns with few distinct
  values stay numeric (predictable); type them ``categorical`` by hand if they are codes.
- **datetime**: a datetime column, or a text column where at least 95% of the cells parse with the
  format pandas guesses from the first values (month first, then day first). The format is kept in
  ``Column.format`` and the note. Stored as ``datetime64[ns]``. Numbers are never guessed as dates;
  ``types={'date': 'datetime'}`` reads 8-digit integers as ``%Y%m%d``.
- **identifier** (dropped, never a feature): a column whose name looks like an id (``id``,
  ``*_id``, ``customerID``, ``UDI``, ``Id``...) with at least 98% unique values; a text column with
  at least 20 rows, 98% unique values, made of short tokens without spaces; an integer column that
  is a consecutive run with one value per row (a row index).
- **text**: strings with a mean of at least 5 words or 40 characters per cell and at least half of
  them distinct.
- **categorical**: any other strings. Those with at most 50 distinct values list them (sorted) in
  ``Column.categories``.

Identifier-like columns and the ``drop`` columns are recorded in ``Schema.dropped`` with the reason
and left unchanged in the returned frame (a caller may still need them, e.g. as a group key); the
target is converted, kept in the frame and excluded from ``Schema.columns``. Rows with a missing
target are kept and reported in ``Schema.notes``, as are target labels that differ only by stray
punctuation or spaces (``'>50K.'`` vs ``'>50K'``), with a suggested ``data.target_map``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from modelyard.data.schema import KINDS, Column, Schema
from modelyard.errors import DataError, SchemaMismatch, did_you_mean

NUMERIC_SHARE = 0.95  # share of non-blank cells that must parse for text to count as numbers/dates
UNIQUE_SHARE = 0.98  # unique values per row above which a column is identifier-like
MIN_ID_ROWS = 20  # below this many rows, uniqueness says nothing
MAX_CATEGORIES = 50  # categoricals with at most this many values list them in the schema
MAX_ID_LENGTH = 40  # identifier tokens are short
TEXT_WORDS, TEXT_CHARS = 5, 40  # mean words or characters per cell that make a column free text
MAX_CLASSES = 20  # an integer target with at most this many labels is multiclass, not regression

_TRUE = frozenset({"yes", "true", "y", "t", "1", "1.0"})
_FALSE = frozenset({"no", "false", "n", "f", "0", "0.0"})
_PAIRS = (("yes", "no"), ("true", "false"), ("y", "n"), ("t", "f"), ("1", "0"), ("1.0", "0.0"))
_ID_NAME = re.compile(r"^(id|uid|udi|uuid|guid|index|unnamed: ?\d+)$|[ _\-.]id$", re.IGNORECASE)
_CAMEL_ID = re.compile(r"[a-z0-9]I[Dd]$")  # customerID, productId (case matters: not 'Paid')
_STRAY = string.punctuation + string.whitespace


def infer_schema(
    frame: pd.DataFrame,
    *,
    target: str | None = None,
    types: dict[str, str] | None = None,
    drop: list[str] | None = None,
) -> tuple[pd.DataFrame, Schema]:
    """Infer each column's kind, convert the columns and describe them in a ``Schema``.

    ``types`` maps column names to kinds set by hand (values that do not convert are an error);
    ``drop`` names columns to leave out of the features. See the module docstring for the rules.
    """
    frame = _string_labels(frame)
    types, drop = dict(types or {}), list(drop or [])
    _check_arguments(frame, target, types, drop)
    out = frame.copy()
    columns: list[Column] = []
    dropped: dict[str, str] = {}
    notes: list[str] = []
    target_kind = None
    n_rows = len(frame)
    for name in frame.columns:
        series = frame[name]
        if name in drop:
            dropped[name] = "dropped by the spec"
            continue
        by_hand = name in types
        kind, fmt, note = (types[name], None, "set by hand") if by_hand else _infer_kind(
            series, name, allow_identifier=name != target
        )
        if kind == "identifier":
            unique = int(series.nunique(dropna=True))
            dropped[name] = f"identifier-like: {unique} unique values in {n_rows} rows"
            if by_hand:
                dropped[name] = "identifier (set by hand)"
            continue
        values, fmt, extra = convert_column(
            series, kind, name=name, fmt=fmt, errors="raise" if by_hand else "coerce"
        )
        out[name] = values
        note = "; ".join(n for n in (note, extra) if n) or None
        if name == target:
            target_kind = kind
            notes.extend(_target_notes(series, values, name, kind))
            continue
        columns.append(_describe(name, kind, values, note, fmt))
    schema = Schema(
        columns=tuple(columns),
        target=target,
        target_kind=target_kind,
        n_rows=n_rows,
        dropped=dropped,
        notes=tuple(notes),
    )
    return out, schema


def check_schema(frame: pd.DataFrame, schema: Schema, *, errors: str = "raise") -> pd.DataFrame:
    """Convert new rows to a saved schema: the feature columns in schema order, then the target.

    Missing feature columns raise ``SchemaMismatch``; extra columns are ignored (left out of the
    result); the target is converted when present and may be absent (serving). ``errors='raise'``
    rejects a value that does not convert to its column's kind, ``'coerce'`` makes it missing.
    """
    if errors not in ("raise", "coerce"):
        raise DataError(
            f"errors must be 'raise' or 'coerce', got {errors!r}",
            hint="use errors='coerce' to turn unconvertible values into missing ones",
        )
    frame = _string_labels(frame)
    missing = [name for name in schema.names if name not in frame.columns]
    if missing:
        raise SchemaMismatch(
            f"{len(missing)} column(s) the model expects are missing: {missing}; "
            f"expected columns: {schema.names}; received: {list(frame.columns)}",
            hint="send every expected column (extra columns are ignored)",
        )
    out: dict[str, pd.Series] = {}
    for col in schema.columns:
        values, _, _ = convert_column(
            frame[col.name], col.kind, name=col.name, fmt=col.format, errors=errors,
            error_class=SchemaMismatch,
        )
        if col.kind == "numeric" and col.dtype == "float64":
            values = values.astype("float64")
        out[col.name] = values
    if schema.target is not None and schema.target in frame.columns:
        out[schema.target], _, _ = convert_column(
            frame[schema.target], schema.target_kind or "categorical", name=schema.target,
            errors=errors, error_class=SchemaMismatch,
        )
    return pd.DataFrame(out, index=frame.index)


def convert_column(
    series: pd.Series,
    kind: str,
    *,
    name: str,
    fmt: str | None = None,
    errors: str = "raise",
    error_class: type[DataError] = DataError,
) -> tuple[pd.Series, str | None, str | None]:
    """Convert one column to ``kind``'s storage: (values, datetime format used, note or None).

    Blank cells become missing. With ``errors='raise'`` a non-blank value that does not convert
    raises ``error_class`` naming the column and an example; with ``'coerce'`` it becomes missing
    and the note counts it.
    """
    if kind == "numeric":
        values, bad = _to_numeric(series)
    elif kind == "boolean":
        values, bad = _to_boolean(series)
    elif kind == "datetime":
        values, bad, fmt = _to_datetime(series, fmt)
    elif kind in ("categorical", "text", "identifier"):
        values, bad = _to_text(series), pd.Series(False, index=series.index)
    else:
        raise error_class(
            f"unknown kind {kind!r} for column '{name}'; expected one of {list(KINDS)}",
            hint=did_you_mean(str(kind), KINDS),
        )
    values = values.rename(name)
    n_bad = int(bad.sum())
    if n_bad and errors == "raise":
        example = series[bad].iloc[0]
        raise error_class(
            f"column '{name}' cannot be read as {kind}: {n_bad} value(s) do not convert, "
            f"for example {example!r}",
            hint=_KIND_HINTS[kind] + f"; or set another type for '{name}' in data.types",
        )
    notes = []
    blanks = _blank_count(series)
    if blanks and kind in ("numeric", "boolean", "datetime"):
        notes.append(f"{blanks} blank value(s) read as missing")
    if n_bad:
        notes.append(f"{n_bad} value(s) not readable as {kind} read as missing, e.g. {series[bad].iloc[0]!r}")
    if kind == "datetime" and fmt:
        notes.append(f"parsed with format '{fmt}'")
    return values, fmt, "; ".join(notes) or None


_KIND_HINTS = {
    "numeric": "expected numbers (blank cells are read as missing)",
    "boolean": "expected two values such as yes/no, true/false, y/n, t/f or 1/0",
    "datetime": "expected dates in one format (8-digit numbers are read as %Y%m%d)",
}


def suggest_target_map(values: Iterable[object]) -> dict[str, str]:
    """Labels that differ from another label only by leading/trailing punctuation or spaces.

    Maps each such label to the shortest label it contains apart from that stray padding:
    ``['>50K', '<=50K', '>50K.', '<=50K.']`` gives ``{'>50K.': '>50K', '<=50K.': '<=50K'}``.
    """
    labels = sorted({str(v) for v in values if v is not None and not pd.isna(v)})
    mapping: dict[str, str] = {}
    for label in labels:
        cores = []
        for other in labels:
            if other == label or len(other) >= len(label) or not other.strip(_STRAY):
                continue
            start = label.find(other)
            while start != -1:
                head, tail = label[:start], label[start + len(other):]
                if not head.strip(_STRAY) and not tail.strip(_STRAY):
                    cores.append(other)
                    break
                start = label.find(other, start + 1)
        if cores:
            mapping[label] = max(cores, key=lambda c: (len(c), c))
    for label, core in list(mapping.items()):
        while core in mapping:  # resolve chains: 'a..' -> 'a.' -> 'a'
            core = mapping[core]
        mapping[label] = core
    return mapping


def infer_task(series: pd.Series, kind: str) -> str:
    """'binary', 'multiclass' or 'regression' for a target column of the given kind.

    Two distinct labels make a binary task; text labels, or integers with at most 20 distinct
    values, make a multiclass task; other numbers make a regression task.
    """
    name = series.name
    values = series.dropna()
    if values.empty:
        raise DataError(
            f"the target '{name}' is missing in all {len(series)} rows",
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
            f"only one class {labels[0]!r} in target '{name}' ({len(values)} rows with a value); "
            "a classifier needs at least two",
            hint="check the target column and any filter on the rows, or choose another target",
        )
    if len(labels) == 2 or kind == "boolean":
        return "binary"
    if kind != "numeric" or not pd.api.types.is_numeric_dtype(values.dtype):
        return "multiclass"
    numbers = values.to_numpy(dtype="float64")
    integral = bool(np.all(np.mod(numbers, 1.0) == 0.0))
    return "multiclass" if integral and len(labels) <= MAX_CLASSES else "regression"


# ---- inference -------------------------------------------------------------------------------


def _infer_kind(series: pd.Series, name: str, *, allow_identifier: bool) -> tuple[str, str | None, str | None]:
    """(kind, datetime format, note) for one column, following the module rules."""
    n_rows = len(series)
    if pd.api.types.is_bool_dtype(series.dtype):
        return "boolean", None, None
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return "datetime", None, None
    if pd.api.types.is_numeric_dtype(series.dtype) and not isinstance(series.dtype, pd.CategoricalDtype):
        numbers = series.dropna().to_numpy(dtype="float64")
        distinct = np.unique(numbers)
        if len(distinct) == 2 and distinct[0] == 0.0 and distinct[1] == 1.0:
            return "boolean", None, "numbers 0/1"
        integral = bool(np.all(np.mod(numbers, 1.0) == 0.0))
        if allow_identifier and integral and n_rows >= MIN_ID_ROWS and len(numbers) == n_rows:
            ratio = len(distinct) / n_rows
            if _looks_like_id(name) and ratio >= UNIQUE_SHARE:
                return "identifier", None, None
            if len(distinct) == n_rows and distinct[-1] - distinct[0] == n_rows - 1:
                return "identifier", None, None
        return "numeric", None, None
    text = _to_text(series)
    present = text.dropna()
    if present.empty:
        return "categorical", None, "all values missing"
    distinct_count = int(present.nunique())
    if distinct_count == 2:
        lowered = frozenset(present.str.strip().str.lower().unique())
        if any(lowered == frozenset(pair) for pair in _PAIRS):
            return "boolean", None, None
    parsed = pd.to_numeric(present.str.strip(), errors="coerce")
    if parsed.notna().mean() >= NUMERIC_SHARE:
        return "numeric", None, "numbers stored as text"
    fmt = _guess_date_format(present)
    if fmt is not None:
        return "datetime", fmt, "dates stored as text"
    ratio = distinct_count / n_rows if n_rows else 0.0
    if allow_identifier and ratio >= UNIQUE_SHARE:
        if _looks_like_id(name):
            return "identifier", None, None
        short = present.str.len().max() <= MAX_ID_LENGTH
        if n_rows >= MIN_ID_ROWS and short and not present.str.contains(r"\s", regex=True).any():
            return "identifier", None, None
    words = present.str.split().str.len().mean()
    chars = present.str.len().mean()
    if (words >= TEXT_WORDS or chars >= TEXT_CHARS) and distinct_count / len(present) >= 0.5:
        return "text", None, None
    return "categorical", None, None


def _looks_like_id(name: str) -> bool:
    """Whether a column name reads like an identifier: id, UDI, row_id, Product ID, customerID."""
    return bool(_ID_NAME.search(name) or _CAMEL_ID.search(name))


def _guess_date_format(present: pd.Series) -> str | None:
    """The strftime format most of the non-blank cells parse with, or None."""
    sample = present.str.strip()
    first = sample.head(5).tolist()
    if not any(any(ch.isdigit() for ch in v) for v in first):
        return None
    tried = set()
    for dayfirst in (False, True):
        for value in first:
            fmt = guess_datetime_format(value, dayfirst=dayfirst)
            if fmt is None or fmt in tried:
                continue
            tried.add(fmt)
            parsed = pd.to_datetime(sample, format=fmt, errors="coerce")
            if parsed.notna().mean() >= NUMERIC_SHARE:
                return fmt
    return None


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


def _target_notes(raw: pd.Series, values: pd.Series, name: str, kind: str) -> list[str]:
    """Notes about the target: missing rows, labels differing only by stray punctuation."""
    n_missing = int(values.isna().sum())
    if n_missing == len(values):
        raise DataError(
            f"the target column '{name}' is missing in all {len(values)} rows",
            hint="check the target name and the missing-value markers (data.source.missing_values)",
        )
    notes = []
    if n_missing:
        notes.append(
            f"{n_missing} of {len(values)} rows have no value in target '{name}'; they are kept "
            "here, leave them out before training"
        )
    if kind in ("categorical", "text"):
        mapping = suggest_target_map(values.dropna().unique())
        if mapping:
            pairs = ", ".join(f"{k!r} vs {v!r}" for k, v in mapping.items())
            notes.append(
                f"target '{name}' has labels that differ only by punctuation or spaces ({pairs}); "
                f"to merge them set data.target_map: {mapping}"
            )
    return notes


def _check_arguments(frame: pd.DataFrame, target: str | None, types: dict, drop: list) -> None:
    """Unknown names in target/types/drop, unknown kinds, a dropped target: errors with hints."""
    columns = list(frame.columns)
    if len(set(columns)) != len(columns):
        twice = sorted({c for c in columns if columns.count(c) > 1})
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
    if target is not None and target in drop:
        raise DataError(
            f"the target {target!r} is also listed in data.drop",
            hint="remove it from data.drop: the target is never a feature anyway",
        )
    if target is not None and types.get(target) == "identifier":
        raise DataError(
            f"the target {target!r} is typed 'identifier', which is always dropped",
            hint="type the target numeric, categorical or boolean",
        )


# ---- conversion ------------------------------------------------------------------------------


def _string_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with string column labels (files without a header give integers)."""
    if all(isinstance(c, str) for c in frame.columns):
        return frame
    return frame.set_axis([str(c) for c in frame.columns], axis=1)


def _blank_count(series: pd.Series) -> int:
    """Cells holding only whitespace (missing values not counted)."""
    if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_datetime64_any_dtype(series.dtype):
        return 0
    text = series.dropna().astype("str")
    return int((text.str.strip() == "").sum())


def _to_text(series: pd.Series) -> pd.Series:
    """Strings (pandas ``str`` dtype) with NaN for missing or blank cells; 3.0 is written '3'."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    if pd.api.types.is_float_dtype(series.dtype):
        numbers = series.dropna()
        if bool(np.all(np.mod(numbers.to_numpy(dtype="float64"), 1.0) == 0.0)):
            series = series.astype("Int64")
    elif pd.api.types.is_bool_dtype(series.dtype):
        series = series.astype(object)
    text = series.astype("str")
    return text.mask(text.str.strip() == "")


def _to_numeric(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(float64 or int64 values, mask of cells that did not parse)."""
    if pd.api.types.is_bool_dtype(series.dtype):
        values = series.astype("float64")
        bad = pd.Series(False, index=series.index)
    elif pd.api.types.is_numeric_dtype(series.dtype) and not isinstance(series.dtype, pd.CategoricalDtype):
        values = series.astype("float64")
        bad = pd.Series(False, index=series.index)
    else:
        text = _to_text(series).str.strip()
        values = pd.to_numeric(text, errors="coerce").astype("float64")
        bad = text.notna() & values.isna()
    numbers = values.to_numpy()
    if not np.isnan(numbers).any() and np.all(np.mod(numbers, 1.0) == 0.0) and np.all(np.abs(numbers) < 2**62):
        values = values.astype("int64")
    return values, bad


def _to_boolean(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(nullable boolean values, mask of cells that are not a known true/false token)."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("boolean"), pd.Series(False, index=series.index)
    if pd.api.types.is_numeric_dtype(series.dtype) and not isinstance(series.dtype, pd.CategoricalDtype):
        numbers = series.astype("float64")
        bad = numbers.notna() & ~numbers.isin([0.0, 1.0])
        values = (numbers == 1.0).astype("boolean").mask(numbers.isna() | bad)
        return values, bad
    lowered = _to_text(series).str.strip().str.lower()
    is_true, is_false = lowered.isin(_TRUE), lowered.isin(_FALSE)
    bad = lowered.notna() & ~is_true & ~is_false
    values = pd.Series(is_true.to_numpy(), index=series.index, dtype="boolean").mask(~is_true & ~is_false)
    return values, bad


def _to_datetime(series: pd.Series, fmt: str | None) -> tuple[pd.Series, pd.Series, str | None]:
    """(datetime64[ns] values, mask of cells that did not parse, format used)."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series.dt.as_unit("ns"), pd.Series(False, index=series.index), fmt
    text = _to_text(series).str.strip()
    present = text.dropna()
    if pd.api.types.is_numeric_dtype(series.dtype) and fmt is None:
        if present.empty or present.str.fullmatch(r"\d{8}").all():
            fmt = "%Y%m%d"
        else:
            example = present[~present.str.fullmatch(r"\d{8}")].iloc[0]
            raise DataError(
                f"column '{series.name}' holds numbers such as {example!r}; only 8-digit numbers "
                "(yyyymmdd) can be read as dates",
                hint="type the column numeric, or convert it to date strings before reading",
            )
    if fmt is None and not present.empty:
        fmt = _guess_date_format(present)
    if fmt is None:
        values = pd.to_datetime(text, errors="coerce", format="mixed")
    else:
        values = pd.to_datetime(text, errors="coerce", format=fmt)
    if getattr(values.dt, "tz", None) is None:
        values = values.astype("datetime64[ns]")
    else:
        values = values.dt.as_unit("ns")
    return values, text.notna() & values.isna(), fmt
