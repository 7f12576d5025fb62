"""The line of a text file each data row starts on, so that a message can name it.

pandas numbers rows from 0 and forgets lines: the header, skipped lines, blank and comment lines,
and quoted fields that span lines all move a row away from its line. ``data_lines`` reads the file
again the way the reader does (csv/tsv with the csv module and the same separator and quoting,
whitespace and JSON Lines line by line) and returns the 1-based line each data row starts on:
'line 58' is what an editor or ``sed -n 58p`` finds. It reads the whole file, so it is meant for
the rare moment a message names rows. When it cannot tell (Parquet, idx, a zip archive, a file it
cannot reopen, or a count of rows that differs from what was read) it returns None, and messages
count data rows instead (``row_label``).
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import lzma
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from modelyard.data.readers_base import python_encoding
from modelyard.data.readers_text import SEPARATORS, strip_compression
from modelyard.data.sources import infer_format
from modelyard.errors import DataError
from modelyard.spec.models import ReadOptions

_OPENERS = {None: open, ".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


def data_lines(path: Path, options: ReadOptions, n_rows: int) -> list[int] | None:
    """The 1-based line each of the ``n_rows`` data rows of ``path`` starts on, or None."""
    try:
        fmt = options.format or infer_format(str(path))
        with _open_text(path, options.encoding) as handle:
            if handle is None:
                return None
            if fmt in ("csv", "tsv"):
                starts = _delimited(handle, options, options.separator or SEPARATORS[fmt])
            elif fmt == "whitespace" or fmt == "jsonl":
                starts = _plain(handle, options if fmt == "whitespace" else None)
            else:
                return None
    except (OSError, UnicodeError, EOFError, lzma.LZMAError, csv.Error, DataError, ValueError):
        return None
    return starts if len(starts) == n_rows else None


def row_label(positions: Sequence[int], lines: Sequence[int] | None, limit: int = 5) -> str:
    """'line 4', 'lines 4, 9 and 12' or 'rows 3, 8 (counting data rows from 1)', at most
    ``limit`` of them, then how many more."""
    shown = [int(p) for p in positions[:limit]]
    if lines is not None:
        word, numbers, note = "line", [lines[p] for p in shown], ""
    else:
        word, numbers, note = "row", [p + 1 for p in shown], " (counting data rows from 1)"
    more = len(positions) - len(shown)
    text = ", ".join(str(n) for n in numbers)
    if more:
        text += f" and {more} more"
    elif len(numbers) > 1:
        head, _, last = text.rpartition(", ")
        text = f"{head} and {last}"
    return f"{word}{'s' if len(positions) > 1 else ''} {text}{note}"


@contextmanager
def _open_text(path: Path, encoding: str) -> Iterator[IO[str] | None]:
    """The file as text (decompressed by its suffix; a UTF-8 BOM dropped); None for a zip."""
    _, suffix = strip_compression(path.name)
    if suffix not in _OPENERS:
        yield None
        return
    codec = python_encoding(encoding)
    codec = "utf-8-sig" if codec.replace("_", "-").lower() in ("utf-8", "utf8") else codec
    with _OPENERS[suffix](path, "rb") as raw:
        with io.TextIOWrapper(raw, encoding=codec, newline="") as text:
            yield text


def _delimited(handle: IO[str], options: ReadOptions, separator: str) -> list[int]:
    """Start lines of the data records of a csv/tsv file, as pandas counts records."""
    for _ in range(options.skip_rows):
        handle.readline()
    quoting = csv.QUOTE_NONE if options.quoting == "none" else csv.QUOTE_MINIMAL
    reader = csv.reader(handle, delimiter=separator, quoting=quoting,
                        skipinitialspace=options.skip_initial_space)
    header, consumed, starts = options.header, 0, []
    for record in reader:
        start = options.skip_rows + consumed + 1
        consumed = reader.line_num
        blank = not record or (len(record) == 1 and not record[0].strip())
        if blank or (options.comment and record[0].startswith(options.comment)):
            continue  # pandas skips blank lines and comment lines
        if header:
            header = False
            continue
        starts.append(start)
    return starts


def _plain(handle: IO[str], options: ReadOptions | None) -> list[int]:
    """Start lines of the non-blank lines (whitespace tables after their header; JSON Lines)."""
    skip = options.skip_rows if options is not None else 0
    header = options.header if options is not None else False
    comment = options.comment if options is not None else None
    starts = []
    for number, line in enumerate(handle, start=1):
        if number <= skip or not line.strip() or (comment and line.lstrip().startswith(comment)):
            continue
        if header:
            header = False
            continue
        starts.append(number)
    return starts
