"""Converting a column to a kind's storage, by the rules ``infer.py`` documents for each kind.

``convert_column`` is the rule book: blank cells become missing, and a value that does not convert
is an error or, with ``errors='coerce'``, missing. ``infer_schema`` runs it on freshly read columns;
``check_schema`` applies a saved schema through ``convert_frame`` (``convert_frame.py``), which
gives the same result as running it on every column in turn.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from modelyard.data.schema import KINDS
from modelyard.errors import DataError, did_you_mean

__all__ = ["LARGEST_FLOAT32", "PARSE_SHARE", "convert_column"]

PARSE_SHARE = 0.95  # share of non-blank text cells that must parse for a column to be numbers/dates
# The largest single-precision float (about 3.4e38): the preprocessing clips numeric features to
# +-this, so that learners computing in float32 never see a finite value turn infinite
# (``features/numeric.py``); a column holding larger values gets a note saying how many.
LARGEST_FLOAT32 = float(np.finfo(np.float32).max)

_TRUE = frozenset({"yes", "true", "y", "t", "1", "1.0"})
_FALSE = frozenset({"no", "false", "n", "f", "0", "0.0"})
_KIND_HINTS = {
    "numeric": "expected numbers (blank cells are read as missing)",
    "boolean": "expected two values such as yes/no, true/false, y/n, t/f or 1/0",
    "datetime": "expected dates in one format (8-digit numbers are read as %Y%m%d)",
}
_TEXT_KINDS = ("categorical", "text", "identifier")


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
    values, bad, fmt = _convert(series, kind, name, fmt, error_class)
    n_bad = int(bad.sum())
    example = series[bad].iloc[0] if n_bad else None
    if n_bad and errors == "raise":
        raise _conversion_error(name, kind, n_bad, example, error_class)
    notes = []
    blanks = _blank_count(series)
    if blanks and kind in ("numeric", "boolean", "datetime"):
        notes.append(f"{blanks} blank value(s) read as missing")
    if n_bad:
        notes.append(f"{n_bad} value(s) not readable as {kind} read as missing, e.g. {example!r}")
    if kind == "numeric":
        notes.extend(_extreme_notes(values))
    if kind == "datetime" and fmt:
        notes.append(f"parsed with format '{fmt}'")
    return values.rename(name), fmt, "; ".join(notes) or None


def _extreme_notes(values: pd.Series) -> list[str]:
    """Notes on infinite values (read as missing) and on finite values beyond +-3.4e38."""
    numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
    infinite = np.isinf(numbers)
    huge = np.isfinite(numbers) & (np.abs(numbers) > LARGEST_FLOAT32)
    notes = []
    if infinite.any():
        notes.append(f"{int(infinite.sum())} infinite value(s) read as missing")
    if huge.any():
        largest = numbers[huge][np.argmax(np.abs(numbers[huge]))]
        notes.append(
            f"{int(huge.sum())} value(s) beyond +-3.4e38 (the largest: {largest:g}) are used as "
            "+-3.4e38, the largest single-precision number"
        )
    return notes


def _convert(
    series: pd.Series, kind: str, name: str, fmt: str | None, error_class: type[DataError]
) -> tuple[pd.Series, pd.Series, str | None]:
    """(converted values, mask of values that did not convert, datetime format used)."""
    if kind == "numeric":
        values, bad = _to_numeric(series)
    elif kind == "boolean":
        values, bad = _to_boolean(series)
    elif kind == "datetime":
        values, bad, fmt = _to_datetime(series, fmt, name, error_class)
    elif kind in _TEXT_KINDS:
        values, bad = _to_text(series), pd.Series(False, index=series.index)
    else:
        raise error_class(
            f"unknown kind {kind!r} for column '{name}'; expected one of {list(KINDS)}",
            hint=did_you_mean(str(kind), KINDS),
        )
    return values, bad, fmt


def _conversion_error(
    name: str, kind: str, n_bad: int, example: object, error_class: type[DataError]
) -> DataError:
    return error_class(
        f"column '{name}' cannot be read as {kind}: {n_bad} value(s) do not convert, "
        f"for example {example!r}",
        hint=_KIND_HINTS[kind] + f"; or set another type for '{name}' in data.types",
    )


# ---- one column ----------------------------------------------------------------------------------


def _string_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with string column labels (files without a header give integers)."""
    if all(isinstance(c, str) for c in frame.columns.tolist()):  # (iterating the Index is slow)
        return frame
    return frame.set_axis([str(c) for c in frame.columns], axis=1)


def _is_number(dtype: object) -> bool:
    """Numbers proper: bool and categorical dtypes excluded."""
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _is_empty(series: pd.Series) -> bool:
    """Whether no cell holds a value (missing or blank everywhere)."""
    if series.notna().any() and (_is_number(series.dtype) or not _blank_count(series)):
        return False
    return bool(_to_text(series).isna().all())


def _blank_count(series: pd.Series) -> int:
    """Cells holding only whitespace (missing values not counted)."""
    if _is_number(series.dtype) or pd.api.types.is_datetime64_any_dtype(series.dtype):
        return 0
    return int((series.dropna().astype("str").str.strip() == "").sum())


def _to_text(series: pd.Series) -> pd.Series:
    """Strings (pandas ``str`` dtype) with NaN for missing or blank cells; 3.0 is written '3'."""
    if isinstance(series.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(series.dtype):
        series = series.astype(object)
    elif pd.api.types.is_float_dtype(series.dtype):
        numbers = series.dropna().to_numpy(dtype="float64")
        with np.errstate(invalid="ignore"):  # inf % 1 is NaN: not integral, as intended
            integral = bool(np.all(np.mod(numbers, 1.0) == 0.0))
        if integral and np.all(np.abs(numbers) < 2**62):
            series = series.astype("Int64")
    text = series.astype("str")
    return text.mask(text.str.strip() == "")


def _to_numeric(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(float64 or int64 values, mask of cells that did not parse)."""
    bad = pd.Series(False, index=series.index)
    if series.dtype == np.int64:
        return series, bad
    if _is_number(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        values = series.astype("float64")
    else:
        text = _to_text(series).str.strip()
        values = pd.to_numeric(text, errors="coerce").astype("float64")
        bad = text.notna() & values.isna()
    numbers = values.to_numpy()
    with np.errstate(invalid="ignore"):  # inf % 1 is NaN: not integral, as intended
        integral = np.all(np.mod(numbers, 1.0) == 0.0) and np.all(np.abs(numbers) < 2**62)
    return (values.astype("int64") if integral else values), bad  # NaN fails the integral test


def _to_boolean(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(nullable boolean values, mask of cells that are not a known true/false token)."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("boolean"), pd.Series(False, index=series.index)
    if _is_number(series.dtype):
        numbers = series.astype("float64")
        bad = numbers.notna() & ~numbers.isin([0.0, 1.0])
        return (numbers == 1.0).astype("boolean").mask(numbers.isna() | bad), bad
    lowered = _to_text(series).str.strip().str.lower()
    is_true, is_false = lowered.isin(_TRUE), lowered.isin(_FALSE)
    values = pd.Series(is_true.to_numpy(), index=series.index, dtype="boolean")
    return values.mask(~is_true & ~is_false), lowered.notna() & ~is_true & ~is_false


def _to_datetime(
    series: pd.Series, fmt: str | None, name: str, error_class: type[DataError]
) -> tuple[pd.Series, pd.Series, str | None]:
    """(datetime64[ns] values, mask of cells that did not parse, format used)."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series.dt.as_unit("ns"), pd.Series(False, index=series.index), fmt
    text = _to_text(series).str.strip()
    present = text.dropna()
    if _is_number(series.dtype) and fmt is None:
        not_dates = present[~present.str.fullmatch(r"\d{8}")]
        if not not_dates.empty:
            raise error_class(
                f"column '{name}' holds numbers such as {not_dates.iloc[0]!r}; only 8-digit "
                "numbers (yyyymmdd) can be read as dates",
                hint="type the column numeric, or store the dates as text in one format",
            )
        fmt = "%Y%m%d"
    if fmt is None and not present.empty:
        fmt = _guess_date_format(present)
    values = pd.to_datetime(text, errors="coerce", format=fmt or "mixed")
    aware = values.dt.tz is not None
    values = values.dt.as_unit("ns") if aware else values.astype("datetime64[ns]")
    return values, text.notna() & values.isna(), fmt


def _guess_date_format(present: pd.Series) -> str | None:
    """The strftime format that at least 95% of the non-blank cells parse with, or None."""
    sample = present.str.strip()
    first = sample.head(5).tolist()
    if not any(ch.isdigit() for value in first for ch in value):
        return None
    tried = set()
    for dayfirst in (False, True):
        for value in first:
            fmt = guess_datetime_format(value, dayfirst=dayfirst)
            if fmt is None or fmt in tried:
                continue
            tried.add(fmt)
            if pd.to_datetime(sample, format=fmt, errors="coerce").notna().mean() >= PARSE_SHARE:
                return fmt
    return None
