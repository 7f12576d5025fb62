"""Where a dataset's rows come from: ``open_source(spec)`` picks the ``Source`` for a spec.

* files (``FileSource``): csv, tsv, whitespace, parquet, jsonl and idx images; one path, a list of
  paths or glob patterns concatenated in order into one table;
* a SQL database through any SQLAlchemy URL (``SqlSource``);
* a DuckDB query over local files (``DuckDBSource``);
* a dataset bundled with scikit-learn (``format: sklearn``, ``BundledSource`` in ``bundled.py``).

Every source returns a plain pandas DataFrame with pandas' normal type inference; schema inference
decides column kinds later. Nothing here reads environment variables or writes files.
"""

from __future__ import annotations

import glob
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from modelyard.data.bundled import BundledSource
from modelyard.data.images import read_idx_images
from modelyard.data.readers_base import (
    ReadLog,
    Source,
    check_file,
    check_unique,
    python_encoding,
)
from modelyard.data.readers_sql import DuckDBSource, SqlSource
from modelyard.data.readers_structured import read_jsonl, read_parquet
from modelyard.data.readers_text import head_bytes, read_delimited, strip_compression
from modelyard.errors import DataError
from modelyard.spec.models import FILE_FORMATS, FORMATS, ReadOptions, SourceSpec

__all__ = [
    "DuckDBSource",
    "FileSource",
    "Source",
    "SqlSource",
    "infer_format",
    "open_source",
]

DELIMITED = ("csv", "tsv", "whitespace")
# extension -> format; "sniff" means: look at the first lines (whitespace or csv)
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "sniff",
    ".dat": "sniff",
    ".data": "sniff",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
_IDX_NAME = re.compile(r"(-ubyte|\.idx\d*)$", re.IGNORECASE)
_SNIFF_LINES = 20


def open_source(spec: SourceSpec) -> Source | BundledSource:
    """The ``Source`` that reads what ``spec`` describes; nothing is read until ``read()``."""
    if spec.format == "sklearn":
        if not isinstance(spec.path, str):
            raise DataError(
                f"format 'sklearn' needs path to be the name of one bundled dataset, got "
                f"{spec.path!r}",
                hint="write e.g. source: {format: sklearn, path: iris}",
            )
        return BundledSource(spec.path)
    if spec.format == "duckdb":
        return DuckDBSource(spec.query or "")
    if spec.url is not None or spec.format == "sql":
        return SqlSource(spec.url or "", table=spec.table, query=spec.query)
    if isinstance(spec.path, dict):
        # hint: python-api: only code that calls modelyard directly meets it
        raise DataError(
            f"data.source.path maps split parts {sorted(spec.path)} to files; open_source reads "
            "one table, expected a path or a list of paths",
            hint="open each part on its own: open_source(spec.model_copy(update={'path': part}))",
        )
    if spec.path is None or (isinstance(spec.path, list) and not spec.path):
        raise DataError(
            "data.source.path is empty; expected a file, a list of files or a glob pattern",
            hint="set data.source.path, e.g. path: data/train.csv",
        )
    paths = [spec.path] if isinstance(spec.path, str) else list(spec.path)
    return FileSource(paths, spec)


def infer_format(path: str) -> str:
    """The file format implied by the name of ``path`` (looking at its first lines for .txt/.dat).

    ``.gz``/``.bz2``/``.xz``/``.zip`` compression suffixes are looked through. Raises ``DataError``
    listing the valid formats when the extension is unknown.
    """
    name, compression = strip_compression(Path(path).name)
    if _IDX_NAME.search(name):
        return "idx"
    suffix = Path(name).suffix.lower()
    fmt = EXTENSIONS.get(suffix)
    if fmt is None or (fmt == "parquet" and compression):
        raise DataError(
            f"cannot tell the format of {path} from its extension {suffix or '(none)'!r}; "
            f"known extensions: {', '.join(sorted(EXTENSIONS))}",
            hint=f"set data.source.format to one of {', '.join(FORMATS)}",
        )
    if fmt == "sniff":
        return sniff_text_format(Path(path))
    return fmt


def sniff_text_format(path: Path) -> str:
    """``'whitespace'`` when the first lines split on runs of spaces into the same number (>1) of
    fields and hold no comma or tab; ``'csv'`` otherwise."""
    check_file(path)
    head = head_bytes(path)
    lines = head.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()
    if len(head) == 8192 and lines:
        lines = lines[:-1]  # the last line may be cut off
    lines = [line for line in lines if line.strip()][:_SNIFF_LINES]
    if not lines or any("," in line or "\t" in line for line in lines):
        return "csv"
    counts = {len(line.split()) for line in lines}
    return "whitespace" if len(counts) == 1 and counts.pop() > 1 else "csv"


class FileSource(Source):
    """One or more local files read as one table (files concatenated in order)."""

    def __init__(self, paths: list[str], options: ReadOptions) -> None:
        self.paths = list(paths)
        self.options = options

    def describe(self) -> str:
        label = self.options.format or _format_label(self.paths[0])
        if len(self.paths) == 1 and not glob.has_magic(self.paths[0]):
            return f"{label} file {self.paths[0]}"
        return f"{label} files {', '.join(self.paths)}"

    def files(self) -> list[Path]:
        """The files to read, in order: each glob pattern expanded and sorted."""
        found: list[Path] = []
        for entry in self.paths:
            entry = os.path.expanduser(entry)
            if not glob.has_magic(entry):
                found.append(Path(entry))
                continue
            matches = sorted(Path(m) for m in glob.glob(entry, recursive=True))
            matches = [m for m in matches if m.is_file()]
            if not matches:
                where = "" if Path(entry).is_absolute() else \
                    f"; relative patterns are read from {Path.cwd()}"
                raise DataError(
                    f"no files match the pattern {entry!r}",
                    hint=f"check the folder and the pattern{where}",
                )
            found.extend(matches)
        return found

    def _read(self, columns: list[str] | None) -> pd.DataFrame:
        frames = [(path, read_file(path, self.options, columns, self.log))
                  for path in self.files()]
        if len(frames) == 1:
            return frames[0][1]
        return concat_frames(frames)


def read_file(path: Path, options: ReadOptions, columns: list[str] | None = None,
              log: ReadLog | None = None) -> pd.DataFrame:
    """Read one file according to ``options`` (``columns`` only prunes parquet reads); what the
    read leaves out (rows with another number of fields, when skipped) is recorded in ``log``."""
    check_file(path)
    fmt = options.format or infer_format(str(path))
    if fmt not in FILE_FORMATS:
        raise DataError(
            f"format {fmt!r} does not read a file ({path}); file formats: "
            f"{', '.join(FILE_FORMATS)}",
            hint="format 'sql' needs data.source.url; format 'duckdb' needs data.source.query",
        )
    if fmt in DELIMITED:
        return read_delimited(path, fmt, options, log)
    python_encoding(options.encoding)  # report a bad encoding name the same way for every format
    if fmt == "parquet":
        frame = read_parquet(path, None if options.columns else columns)
    elif fmt == "jsonl":
        frame = read_jsonl(path, options)
    else:
        frame = read_idx_images(path)
    return _rename_and_mark_missing(frame, path, options)


def concat_frames(frames: list[tuple[Path, pd.DataFrame]]) -> pd.DataFrame:
    """Stack the files' tables; their column sets must agree (order follows the first file)."""
    first_path, first = frames[0]
    reference = [str(c) for c in first.columns]
    aligned = [first]
    for path, frame in frames[1:]:
        names = [str(c) for c in frame.columns]
        if set(names) != set(reference):
            missing = [c for c in reference if c not in names]
            extra = [c for c in names if c not in reference]
            raise DataError(
                f"the files have different columns: {path} lacks {_names(missing)} and has extra "
                f"{_names(extra)} compared with {first_path}",
                hint="concatenated files need the same columns; rename them in the files, or "
                "read the files as separate sources",
            )
        aligned.append(frame.loc[:, reference] if names != reference else frame)
    return pd.concat(aligned, ignore_index=True)


def _rename_and_mark_missing(frame: pd.DataFrame, path: Path, options: ReadOptions) -> pd.DataFrame:
    """Apply ``columns`` (names) and ``missing_values`` to formats that carry their own names."""
    if options.columns is not None:
        check_unique(options.columns, where="data.source.columns")
        if len(options.columns) != frame.shape[1]:
            raise DataError(
                f"data.source.columns names {len(options.columns)} columns but {path} has "
                f"{frame.shape[1]}: {[str(c) for c in frame.columns][:12]}",
                hint=f"list exactly {frame.shape[1]} names, or drop data.source.columns to keep "
                "the file's own names",
            )
        frame = frame.set_axis(list(options.columns), axis=1)
    if options.missing_values:
        markers = set(options.missing_values)
        text_columns = [
            c
            for c in frame.columns
            if pd.api.types.is_string_dtype(frame[c]) or frame[c].dtype == object
        ]
        for column in text_columns:
            frame[column] = frame[column].where(~frame[column].isin(markers), np.nan)
    return frame


def _names(names: list[str], limit: int = 10) -> str:
    """``['a', 'b', ... (5 more)]`` for messages."""
    shown = ", ".join(repr(n) for n in names[:limit])
    more = f", ... ({len(names) - limit} more)" if len(names) > limit else ""
    return f"[{shown}{more}]" if names else "none"


def _format_label(path: str) -> str:
    """The format for a description, without failing (describe must never raise)."""
    if glob.has_magic(path):
        path = next(iter(sorted(glob.glob(path))), path)
    try:
        return infer_format(path)
    except DataError:
        return "data"
