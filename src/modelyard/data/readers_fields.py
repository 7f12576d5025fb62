"""Rows of delimited text with too many or too few fields: found by line, then refused or skipped.

pandas reads such rows without a word where it matters most: a row missing a field is padded with
a missing value at its end, so every value after the gap sits one column to the left (numbers in
a text column, text in a number column) and the file trains anyway; extra fields in the first data
row are dropped with a bare ``ParserWarning``; later rows with extra fields stop the read with a
tokenizer message that counts lines its own way. Here the file is tokenized again with the same
separator, quoting, comment and skip settings, counting each row's fields, and every row whose
count differs from the header's is named by its line in the file (1-based, as an editor shows).

A row whose surplus fields are all empty (a separator at the end of the line) loses nothing and
is not a bad row. The scan runs only when the read gives a reason to suspect a bad row (see
``read_delimited``), so a clean file is tokenized once.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import lzma
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from modelyard.data.readers_base import ReadLog
from modelyard.errors import DataError
from modelyard.spec.models import ReadOptions

SHOWN = 5  # bad lines a message names
MAX_SKIPPED_SHARE = 0.5  # skipping more than this share of the rows is refused: wrong separator?


@dataclass(frozen=True)
class BadRows:
    """Rows whose field count differs from ``expected``, in file order."""

    expected: int
    rows: int  # data rows scanned (bad ones included; blank and comment lines not)
    records: list[int] = field(default_factory=list)  # row numbers as pandas' skiprows counts
    lines: list[tuple[int, int]] = field(default_factory=list)  # (line in the file, fields)

    @property
    def count(self) -> int:
        return len(self.records)

    def first(self, limit: int = SHOWN) -> str:
        """``line 7 has 20, line 17 has 22`` and how many more."""
        shown = ", ".join(f"line {line} has {n}" for line, n in self.lines[:limit])
        more = self.count - min(limit, self.count)
        return shown + (f", and {more:,} more" if more else "")


def find_bad_rows(path: Path, sep: str, options: ReadOptions, encoding: str,
                  expected: int) -> BadRows:
    """Every data row of ``path`` whose field count is not ``expected`` (see module docstring)."""
    if len(sep) == 1 and not options.comment:
        quick = _quick_scan(path, sep, options, encoding, expected)
        if quick is not None:
            return quick
    records: list[int] = []
    lines: list[tuple[int, int]] = []
    rows = 0
    header_pending = options.header
    for record, line, fields in _records(path, sep, options, encoding):
        if record < options.skip_rows or _blank(fields):
            continue
        if header_pending:  # the header's count is ``expected`` (checked by the caller)
            header_pending = False
            continue
        rows += 1
        count = len(fields)
        if count > expected and not any(f.strip() for f in fields[expected:]):
            continue  # only empty fields after the last column: nothing is lost
        if count != expected:
            records.append(record)
            lines.append((line, count))
    return BadRows(expected, rows, records, lines)


def _quick_scan(path: Path, sep: str, options: ReadOptions, encoding: str,
                expected: int) -> BadRows | None:
    """``find_bad_rows`` for files where each row is one line: fields counted by separators.

    None when a quote character appears (it may hold a separator or a line break in a value):
    then the full tokenizer counts. Several times faster on large files.
    """
    records: list[int] = []
    lines: list[tuple[int, int]] = []
    rows = 0
    header_pending = options.header
    quotes = options.quoting != "none"
    with _open_text(path, encoding) as text:
        for number, line in enumerate(text):
            if quotes and '"' in line:
                return None
            if number < options.skip_rows or not line.strip():
                continue
            if header_pending:
                header_pending = False
                continue
            rows += 1
            count = line.count(sep) + 1
            if count == expected:
                continue
            if count > expected and not line.rstrip("\r\n").split(sep, expected)[-1].replace(
                    sep, "").strip():
                continue  # only empty fields after the last column: nothing is lost
            records.append(number)
            lines.append((number + 1, count))
    return BadRows(expected, rows, records, lines)


def handle_bad_rows(bad: BadRows, path: Path, options: ReadOptions, log: ReadLog | None,
                    where: str) -> None:
    """Raise for bad rows, or, with ``on_bad_lines: skip``, record the skip in ``log``.

    ``where`` says where ``expected`` comes from ("the header", "the first row").
    """
    if not bad.count:
        return
    rows = f"{bad.count:,} of {bad.rows:,} rows of {path}"
    fields = f"the {bad.expected} field{'s' if bad.expected != 1 else ''} of {where}"
    what = f"{rows} do not have {fields}"
    if options.on_bad_lines == "error":
        raise DataError(
            f"{what}: {bad.first()}; their values would land in the wrong columns",
            hint="fix those lines (a missing or extra separator, or a separator inside an "
            "unquoted value), or leave such rows out with data.source.on_bad_lines: skip "
            "(flag --on-bad-lines skip)",
        )
    if bad.count > MAX_SKIPPED_SHARE * bad.rows:
        raise DataError(
            f"{what} ({bad.first()}); skipping them would leave too little of the file",
            hint="check data.source.separator, data.source.quoting and data.source.header: "
            "when most rows look bad, the file is read with the wrong settings",
        )
    if log is not None:
        log.notes.append(f"skipped {rows} that do not have {fields} ({bad.first()}; "
                         "data.source.on_bad_lines: skip)")
        log.skipped_rows += bad.count


def _blank(fields: list[str]) -> bool:
    """An empty or whitespace-only line, which pandas skips."""
    return not fields or (len(fields) == 1 and not fields[0].strip())


def _records(path: Path, sep: str, options: ReadOptions,
             encoding: str) -> Iterator[tuple[int, int, list[str]]]:
    """(row number as pandas counts rows, first line in the file, fields) for every row."""
    with _open_text(path, encoding) as text:
        lines = _LineCounter(text, options.comment, options.quoting != "none")
        if len(sep) == 1:
            reader = csv.reader(
                lines, delimiter=sep, quotechar='"', doublequote=True, strict=False,
                skipinitialspace=options.skip_initial_space,
                quoting=csv.QUOTE_NONE if options.quoting == "none" else csv.QUOTE_MINIMAL)
            for record, fields in enumerate(reader):
                yield record, lines.record_start, fields
                lines.next_record()
            return
        pattern = None if sep == r"\s+" else re.compile(sep)
        for record, line in enumerate(lines):
            body = line.rstrip("\r\n")
            fields = body.split() if pattern is None else pattern.split(body)
            yield record, lines.record_start, fields if body.strip() else []
            lines.next_record()


class _LineCounter:
    """The lines of a text, each cut at the comment character, counting where records start."""

    def __init__(self, text: IO[str], comment: str | None, quotes: bool) -> None:
        self.text = text
        self.comment = comment
        self.quotes = quotes
        self.read = 0  # lines handed out so far
        self.record_start = 1  # first line of the record being read

    def next_record(self) -> None:
        self.record_start = self.read + 1

    def __iter__(self) -> _LineCounter:
        return self

    def __next__(self) -> str:
        line = next(self.text)
        self.read += 1
        if self.comment and self.comment in line:
            head = line.split(self.comment, 1)[0]
            if not self.quotes or head.count('"') % 2 == 0:  # not inside a quoted value
                return head + "\n"
        return line


def _open_text(path: Path, encoding: str) -> IO[str]:
    """The file as text, decompressed as its name says (.gz, .bz2, .xz, .zip: its first member)."""
    name = path.name.lower()
    if name.endswith(".gz"):
        raw: IO[bytes] = gzip.open(path, "rb")
    elif name.endswith(".bz2"):
        raw = bz2.open(path, "rb")
    elif name.endswith(".xz"):
        raw = lzma.open(path, "rb")
    elif name.endswith(".zip"):
        archive = zipfile.ZipFile(path)
        raw = archive.open(archive.namelist()[0])
    else:
        raw = open(path, "rb")  # noqa: SIM115 - closed by the TextIOWrapper's context
    return io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
