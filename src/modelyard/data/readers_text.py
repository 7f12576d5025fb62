"""Delimited text files (csv, tsv, whitespace) read with pandas, with the checks pandas skips.

pandas renames duplicate header names to ``x.1``, turns surplus leading fields into an index when
fewer names than fields are given, and reads a ``;``-separated file as one column without a word.
This module reads the first row itself to catch those cases before the real read.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import lzma
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

from modelyard.data.readers_base import ReadLog, check_unique, python_encoding
from modelyard.data.readers_fields import find_bad_rows, handle_bad_rows
from modelyard.errors import DataError
from modelyard.spec.models import ReadOptions

SEPARATORS = {"csv": ",", "tsv": "\t", "whitespace": r"\s+"}
COMPRESSIONS = (".gz", ".bz2", ".xz", ".zip")
# separator seen in a one-column first line -> (how to name it, the setting that fixes it)
_OTHER_SEPARATORS = {
    ";": ("';'", "data.source.separator: ';'"),
    "\t": ("a tab", "data.source.format: tsv"),
    "|": ("'|'", "data.source.separator: '|'"),
    ",": ("','", "data.source.format: csv"),
}


def strip_compression(name: str) -> tuple[str, str | None]:
    """``('x.csv', '.gz')`` for ``'x.csv.gz'``; the suffix is ``None`` for an uncompressed name."""
    lowered = name.lower()
    for suffix in COMPRESSIONS:
        if lowered.endswith(suffix):
            return name[: -len(suffix)], suffix
    return name, None


def head_bytes(path: Path, size: int = 8192) -> bytes:
    """The first ``size`` bytes of the file, decompressed if its name ends in .gz/.bz2/.xz/.zip."""
    _, suffix = strip_compression(path.name)
    try:
        if suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                return fh.read(size)
        if suffix == ".bz2":
            with bz2.open(path, "rb") as fh:
                return fh.read(size)
        if suffix == ".xz":
            with lzma.open(path, "rb") as fh:
                return fh.read(size)
        if suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                members = archive.namelist()
                if not members:
                    return b""
                with archive.open(members[0]) as fh:
                    return fh.read(size)
        with open(path, "rb") as fh:
            return fh.read(size)
    except (OSError, EOFError, lzma.LZMAError, zipfile.BadZipFile) as err:
        raise DataError(
            f"cannot decompress {path}: {err}; its name says {suffix} but its bytes do not",
            hint="rename the file to match its real compression (or drop the suffix if it is "
            "plain text)",
        ) from err


def check_text(path: Path, head: bytes, fmt: str, encoding: str = "utf-8") -> None:
    """Raise ``DataError`` when the file is empty or is clearly not text (parquet, gzip, binary).

    NUL bytes mean binary data, except in UTF-16/UTF-32 text (``encoding`` is a Python codec name).
    """
    if not head.strip():
        raise DataError(
            f"the file is empty: {path} holds no data (expected a {fmt} table)",
            hint="check that the file was written completely, or point at the right file",
        )
    if head.startswith(b"PAR1"):
        raise DataError(
            f"{path} does not parse as {fmt}: it is a parquet file",
            hint="set data.source.format: parquet (or give the file a .parquet extension)",
        )
    if head.startswith(b"\x1f\x8b"):
        raise DataError(
            f"{path} does not parse as {fmt}: it is gzip-compressed but its name lacks .gz",
            hint=f"rename it to {path.name}.gz so it is decompressed while reading",
        )
    wide = "16" in encoding or "32" in encoding or head.startswith((b"\xff\xfe", b"\xfe\xff"))
    if b"\x00" in head and not wide:
        raise DataError(
            f"{path} does not parse as {fmt}: it holds binary data (NUL bytes), not text",
            hint="set data.source.format to the file's real format "
            "(parquet, idx, ...), or export the data as csv",
        )


def read_delimited(path: Path, fmt: str, options: ReadOptions,
                   log: ReadLog | None = None) -> pd.DataFrame:
    """Read a csv, tsv or whitespace-separated file according to ``options``.

    Column names come from ``options.columns`` when given (replacing the header when
    ``header`` is true), else from the header, else ``c0..cN-1``. Every row must have as many
    fields as the header (or the first row): see ``readers_fields``; with ``on_bad_lines: skip``
    the other rows are left out and counted in ``log``.
    """
    kwargs = _pandas_options(fmt, options)
    check_text(path, head_bytes(path), fmt, kwargs["encoding"])
    first = _first_row(path, fmt, kwargs)
    _check_separator(path, fmt, options, first)
    if options.header:
        check_unique([n for n in first if n != ""], where=f"the header of {path}")
    if options.columns is not None:
        check_unique(options.columns, where="data.source.columns")
        if len(options.columns) != len(first):
            raise DataError(
                f"data.source.columns names {len(options.columns)} columns but the first row of "
                f"{path} has {len(first)} fields: {_preview(first)}",
                hint=f"list exactly {len(first)} names, or check separator/format if the field "
                "count looks wrong",
            )
    names = options.columns
    if names is None and not options.header:
        names = [f"c{i}" for i in range(len(first))]
    kwargs.update(header=0 if options.header else None, names=names, index_col=False)
    frame = _read_watching(path, fmt, kwargs)
    if frame is not None and not frame.iloc[:, -1].isna().any():
        return frame  # no row had fields to spare (pandas would have said) or to miss
    bad = find_bad_rows(path, kwargs["sep"], options, kwargs["encoding"], len(first))
    handle_bad_rows(bad, path, options, log, "the header" if options.header else "the first row")
    if frame is not None and not bad.count:
        return frame
    # read again, leaving out the bad rows and the empty fields some rows end with
    skipped, top = set(bad.records), options.skip_rows
    kwargs.update(skiprows=lambda row: row < top or row in skipped,
                  usecols=list(range(len(first))))
    return _call_pandas(path, fmt, **kwargs)


def _read_watching(path: Path, fmt: str, kwargs: dict[str, Any]) -> pd.DataFrame | None:
    """The table as pandas reads it, or None when pandas met a row with extra fields (it stops,
    or, for the first data row, drops them with a warning)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        try:
            frame = _call_pandas(path, fmt, field_errors=False, **kwargs)
        except _FieldCountError:
            return None
    lost = [w for w in caught if issubclass(w.category, pd.errors.ParserWarning)
            and "length of header or names does not match" in str(w.message).lower()]
    for w in caught:  # anything else goes on to whoever collects warnings
        if w not in lost:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return None if lost else frame


def _pandas_options(fmt: str, options: ReadOptions) -> dict[str, Any]:
    """pandas.read_csv keyword arguments shared by the peek and the full read."""
    sep = options.separator or SEPARATORS[fmt]
    kwargs: dict[str, Any] = {
        "sep": sep,
        "encoding": python_encoding(options.encoding),
        "skipinitialspace": options.skip_initial_space,
        "skiprows": options.skip_rows or None,
        "comment": options.comment,
        "quoting": csv.QUOTE_NONE if options.quoting == "none" else csv.QUOTE_MINIMAL,
        "na_values": list(options.missing_values) or None,
    }
    if len(sep) == 1 or sep == r"\s+":
        kwargs["low_memory"] = False  # type each column from all its rows, not per chunk
    else:
        kwargs["engine"] = "python"  # a longer separator is a regular expression: pandas' own
    return kwargs


def _first_row(path: Path, fmt: str, kwargs: dict[str, Any]) -> list[str]:
    """The first row's raw fields (header or data), as the full read will split them."""
    peek_kwargs = dict(kwargs, na_values=None)
    peek = _call_pandas(
        path,
        fmt,
        header=None,
        nrows=1,
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        **peek_kwargs,
    )
    if len(peek) == 0:
        raise DataError(
            f"the file is empty: {path} has no rows after skipping "
            f"{kwargs['skiprows'] or 0} line(s) and comment lines",
            hint="check data.source.skip_rows and data.source.comment",
        )
    return [str(v) for v in peek.iloc[0].tolist()]


def _check_separator(path: Path, fmt: str, options: ReadOptions, first: list[str]) -> None:
    """One field that visibly holds another separator means the separator guess is wrong."""
    if options.separator is not None or fmt == "whitespace" or len(first) != 1:
        return
    line = first[0]
    current = SEPARATORS[fmt]
    for candidate, (label, fix) in _OTHER_SEPARATORS.items():
        if candidate != current and candidate in line:
            raise DataError(
                f"{path} read as {fmt} gives a single column, but its first line contains "
                f"{label}: {_preview([line])}",
                hint=f"set {fix}; if the file really has one column, set data.source.separator "
                "explicitly",
            )


class _FieldCountError(Exception):
    """pandas stopped at a row with more fields than the header."""


_FIELD_COUNT = re.compile(r"expected \d+ fields in line \d+, saw \d+", re.IGNORECASE)


def _call_pandas(path: Path, fmt: str, field_errors: bool = True, **kwargs: Any) -> pd.DataFrame:
    """pandas.read_csv with its exceptions translated into ``DataError`` (a row with extra fields
    raises ``_FieldCountError`` instead when ``field_errors`` is false)."""
    try:
        return pd.read_csv(path, **kwargs)
    except pd.errors.ParserError as err:
        if not field_errors and _FIELD_COUNT.search(str(err)):
            raise _FieldCountError(str(err)) from err
        raise _parse_error(path, fmt, err) from err
    except pd.errors.EmptyDataError as err:
        raise DataError(
            f"the file is empty: {path} has no columns to read (expected a {fmt} table)",
            hint="check that the file was written completely, and data.source.skip_rows",
        ) from err
    except UnicodeDecodeError as err:
        raise DataError(
            f"{path} is not valid {kwargs.get('encoding')} text: {err.reason} at byte {err.start}",
            hint="set data.source.encoding to the file's encoding, e.g. 'latin-1' or 'cp1252'",
        ) from err
    except (csv.Error, ValueError) as err:
        raise _parse_error(path, fmt, err) from err


def _parse_error(path: Path, fmt: str, err: Exception) -> DataError:
    return DataError(
        f"{path} does not parse as {fmt}: {' '.join(str(err).split())}",
        hint="check data.source.format and data.source.separator; for text with stray "
        "quotes set data.source.quoting: none",
    )


def _preview(fields: list[str], limit: int = 80) -> str:
    text = " | ".join(fields)
    return repr(text if len(text) <= limit else text[:limit] + "...")
