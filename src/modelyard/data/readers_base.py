"""The ``Source`` base class and the checks every reader shares.

A source is cheap to build (no I/O in the constructor); ``read`` does the work and returns a plain
pandas DataFrame with pandas' normal type inference. Schema inference, fingerprinting and splitting
happen elsewhere, on that frame.
"""

from __future__ import annotations

import codecs
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from modelyard.errors import DataError, closest, did_you_mean


@dataclass
class ReadLog:
    """What a read left out, for the notes of the profile, the run and the report."""

    notes: list[str] = field(default_factory=list)
    skipped_rows: int = 0  # rows left out for having another number of fields (on_bad_lines)


class Source(ABC):
    """Where rows come from: ``read(columns=None) -> DataFrame`` and ``describe() -> str``.

    After ``read``, ``log`` says what the read left out (rows skipped, with notes).
    """

    log: ReadLog

    def read(self, columns: list[str] | None = None) -> pd.DataFrame:
        """Read the table, keeping only ``columns`` (in that order) when given.

        Raises ``DataError`` when the table cannot be read, a requested column does not exist, or
        the table has no rows.
        """
        if columns is not None:
            check_unique(columns, where="the requested columns")
        self.log = ReadLog()
        frame = self._read(columns)
        frame = select_columns(frame, columns, self.describe())
        check_not_empty(frame, self.describe())
        return frame

    @abstractmethod
    def _read(self, columns: list[str] | None) -> pd.DataFrame:
        """Read the table; ``columns`` is a pruning hint, the caller selects and checks them."""

    @abstractmethod
    def describe(self) -> str:
        """A short human description, such as ``'csv file data/x.csv'``."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()!r})"


def select_columns(frame: pd.DataFrame, columns: list[str] | None, what: str) -> pd.DataFrame:
    """The frame restricted to ``columns`` in order; ``DataError`` naming any unknown ones."""
    if columns is None:
        return frame
    present = [str(c) for c in frame.columns]
    missing = [c for c in columns if c not in present]
    if missing:
        hints = [f"{name!r}: {did_you_mean(name, present)}" for name in missing]
        raise DataError(
            f"column(s) {missing} not found in {what}; it has {len(present)} columns: "
            f"{_short_list(present)}",
            hint="; ".join(hints),
        )
    return frame.loc[:, list(columns)]


def check_not_empty(frame: pd.DataFrame, what: str) -> None:
    """Raise ``DataError`` when the table has no rows (or no columns)."""
    if len(frame) == 0 or frame.shape[1] == 0:
        raise DataError(
            f"the table is empty: {what} has {len(frame)} rows and {frame.shape[1]} columns; "
            "expected at least one row of data",
            hint="check that the source points at the right data (a header-only file, an empty "
            "table or a query whose WHERE clause matches nothing all give zero rows)",
        )


def check_unique(names: Iterable[object], *, where: str) -> None:
    """Raise ``DataError`` when column names repeat (pandas would silently rename them x.1)."""
    counts = Counter(str(n) for n in names)
    dups = sorted(name for name, n in counts.items() if n > 1)
    if dups:
        raise DataError(
            f"duplicate column name(s) in {where}: {dups}; each column needs a unique name",
            hint="rename the repeated columns in the file, or give unique names with "
            "data.source.columns (with header: true they replace the header)",
        )


def python_encoding(encoding: str) -> str:
    """The codec to decode with: any spelling of UTF-8 becomes ``utf-8-sig`` so a BOM is dropped."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError as err:
        raise DataError(
            f"unknown text encoding {encoding!r} in data.source.encoding",
            hint="use a Python codec name such as 'utf-8', 'latin-1', 'cp1252' or 'utf-16'",
        ) from err
    return "utf-8-sig" if name in {"utf-8", "utf-8-sig"} else name


def check_file(path: Path) -> None:
    """Raise ``DataError`` when ``path`` is missing or is a directory, hinting at similar names."""
    if path.is_dir():
        raise DataError(
            f"{path} is a directory; expected a data file",
            hint=f"name a file inside it, or a glob pattern such as '{path / '*.csv'}'",
        )
    if path.exists():
        return
    folder = path.parent
    # a spec's paths arrive absolute (resolved against its folder); the CLI's are as typed
    where = "" if path.is_absolute() else f"; relative paths are read from {Path.cwd()}"
    if not folder.is_dir():
        raise DataError(
            f"file not found: {path} (the folder {folder} does not exist either)",
            hint=f"check the spelling{where}",
        )
    near = closest(path.name, [p.name for p in folder.iterdir()])
    if near:
        hint = "similar files in that folder: " + ", ".join(repr(str(folder / n)) for n in near)
    else:
        hint = f"no similarly named file in {folder}{where}"
    raise DataError(f"file not found: {path}", hint=hint)


def _short_list(names: list[str], limit: int = 12) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")
