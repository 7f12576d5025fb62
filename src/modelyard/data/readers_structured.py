"""Self-describing files: Parquet (through pyarrow) and JSON Lines (through pandas).

Both carry their own types, so no type guessing happens here: parquet columns keep their stored
types and JSON values keep JSON's (numbers, strings, booleans, null).
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from modelyard.data.readers_base import check_unique, python_encoding
from modelyard.data.readers_text import check_text, head_bytes, strip_compression
from modelyard.errors import DataError
from modelyard.spec.models import ReadOptions


def read_parquet(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a parquet file, loading only ``columns`` when all exist (the caller checks them)."""
    try:
        names = pq.read_schema(path).names
    except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as err:
        head = head_bytes(path, 64)
        raise DataError(
            f"{path} does not parse as parquet: {err}",
            hint=_not_parquet_hint(head),
        ) from err
    check_unique(names, where=f"the schema of {path}")
    wanted = columns if columns is not None and set(columns) <= set(names) else None
    try:
        table = pq.read_table(path, columns=wanted)
    except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as err:
        raise DataError(
            f"{path} does not parse as parquet: {err}",
            hint="the file may be truncated or written by an incompatible tool; rewrite it",
        ) from err
    return table.to_pandas()


def _not_parquet_hint(head: bytes) -> str:
    """Say what the file looks like when it is not parquet."""
    if not head:
        return "the file is empty; check that it was written completely"
    if head.startswith(b"\x1f\x8b"):
        return (
            "the file is gzip-compressed; parquet compresses internally, so store it uncompressed"
        )
    if b"\x00" not in head:
        return "it looks like text: set data.source.format to csv, tsv, whitespace or jsonl"
    return "set data.source.format to the file's real format"


def read_jsonl(path: Path, options: ReadOptions) -> pd.DataFrame:
    """Read a JSON Lines file (one JSON object per line); a bad line is reported by number."""
    encoding = python_encoding(options.encoding)
    check_text(path, head_bytes(path), "jsonl", encoding)
    first = head_bytes(path, 4096).decode(encoding, errors="replace").lstrip("\ufeff \t\r\n")
    if first.startswith("["):
        raise DataError(
            f"{path} holds a JSON array; expected JSON Lines (one object per line)",
            hint="convert it to one object per line, e.g. jq -c '.[]' file.json > file.jsonl",
        )
    try:
        frame = pd.read_json(path, lines=True, encoding=encoding, dtype=False, compression="infer")
    except UnicodeDecodeError as err:
        raise DataError(
            f"{path} is not valid {encoding} text: {err.reason} at byte {err.start}",
            hint="set data.source.encoding to the file's encoding, e.g. 'latin-1'",
        ) from err
    except ValueError as err:
        line_no, line_error = _first_bad_line(path, encoding)
        where = f"line {line_no}: {line_error}" if line_no else str(err)
        raise DataError(
            f"{path} does not parse as JSON Lines at {where}",
            hint='each line must be one complete JSON object such as {"a": 1}; fix or remove '
            "that line",
        ) from err
    check_unique(frame.columns, where=f"the keys of {path}")
    return frame


def _first_bad_line(path: Path, encoding: str) -> tuple[int | None, str]:
    """The 1-based number of the first line that is not a JSON object, and why."""
    _, suffix = strip_compression(path.name)
    if suffix == ".zip":
        return None, ""  # pandas' own message is all there is for a zipped file
    opener = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}.get(suffix or "", open)
    with opener(path, "rt", encoding=encoding, errors="replace") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as err:
                return number, f"{err.msg} (column {err.colno})"
            if not isinstance(value, dict):
                return number, f"expected a JSON object, got {type(value).__name__}"
    return None, ""
