"""The rows a drift check reads, batch by batch: a model version's prediction log (Parquet files
under ``<home>/predictions/<model>/v<version>/``, written by the server) within a time window, or
a batch file. Each batch is (inputs, outputs) as two DataFrames with the plain column names;
memory holds one batch at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from modelyard.errors import DataError
from modelyard.serving.predlog import INDEX_FILE, INPUT_PREFIX, OUTPUT_PREFIX

Batch = tuple[pd.DataFrame, pd.DataFrame | None]


@dataclass
class LogScan:
    """What reading the log found besides the rows: rows left out, and the columns seen."""

    files: int = 0
    other_versions: int = 0  # rows of the window logged for another version (left out)
    outside_window: int = 0  # rows of this version logged before ``since``
    input_columns: set[str] = field(default_factory=set)
    output_columns: set[str] = field(default_factory=set)


def version_files(root: Path, model: str) -> dict[int, list[Path]]:
    """The log's Parquet files of ``model`` by the version folder they sit in, in written order."""
    folder = Path(root) / model
    out: dict[int, list[Path]] = {}
    for sub in sorted(folder.glob("v*")):
        if sub.is_dir() and sub.name[1:].isdigit():
            out[int(sub.name[1:])] = sorted(sub.glob("*.parquet"))
    return out


def _window_of(root: Path, model: str) -> dict[str, str]:
    """File (relative to the model's folder) -> time of its last row, from the log's index."""
    index = Path(root) / model / INDEX_FILE
    if not index.is_file():
        return {}
    out = {}
    for line in index.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
            out[entry["file"]] = entry["last"]
        except (ValueError, KeyError, TypeError):
            continue  # a torn last line of a killed writer: the file is still read
    return out


def log_batches(root: Path, model: str, version: int, scan: LogScan, *,
                since: datetime | None = None, batch_rows: int = 65_536) -> Iterator[Batch]:
    """The logged rows of ``model`` version ``version`` since ``since``, ``batch_rows`` at a time.

    Rows of other versions, in their own folders or misplaced in this one, are counted in
    ``scan.other_versions`` (within the window) and left out.
    """
    files = version_files(root, model)
    if not files:
        raise DataError(
            f"there is no prediction log for model {model!r} under {Path(root) / model}",
            hint=f"serve the model (modelyard serve {model}) so its predictions are logged, "
            "or compare a file instead: modelyard monitor drift NAME --data FILE")
    last = _window_of(root, model)
    for number, paths in files.items():
        for path in paths:
            ends = last.get(str(path.relative_to(Path(root) / model)))
            if since is not None and ends is not None and datetime.fromisoformat(ends) < since:
                if number == version:
                    scan.outside_window += pq.ParquetFile(path).metadata.num_rows
                continue  # every row of the file is older than the window
            if number != version:
                scan.other_versions += _count(path, since)
                continue
            scan.files += 1
            yield from _file_batches(path, version, scan, since, batch_rows)


def _count(path: Path, since: datetime | None) -> int:
    stamps = pq.read_table(path, columns=["timestamp"])["timestamp"]
    if since is None:
        return len(stamps)
    return int(pc.sum(pc.greater_equal(stamps, pa.scalar(since, stamps.type))).as_py() or 0)


def _file_batches(path: Path, version: int, scan: LogScan, since: datetime | None,
                  batch_rows: int) -> Iterator[Batch]:
    reader = pq.ParquetFile(path)
    names = reader.schema_arrow.names
    scan.input_columns.update(n[len(INPUT_PREFIX):] for n in names if n.startswith(INPUT_PREFIX))
    scan.output_columns.update(n[len(OUTPUT_PREFIX):] for n in names
                               if n.startswith(OUTPUT_PREFIX))
    for record in reader.iter_batches(batch_size=batch_rows):
        keep = pc.equal(record["version"], pa.scalar(version, record["version"].type))
        keep = pc.fill_null(keep, False)
        scan.other_versions += len(record) - int(pc.sum(keep).as_py() or 0)
        if since is not None:
            recent = pc.greater_equal(record["timestamp"], pa.scalar(since,
                                                                   record["timestamp"].type))
            recent = pc.fill_null(recent, False)
            scan.outside_window += int(pc.sum(pc.and_(keep, pc.invert(recent))).as_py() or 0)
            keep = pc.and_(keep, recent)
        rows = record.filter(keep)
        if len(rows) == 0:
            continue
        frame = rows.to_pandas()
        yield _split_columns(frame)


def _split_columns(frame: pd.DataFrame) -> Batch:
    inputs = {c[len(INPUT_PREFIX):]: frame[c] for c in frame.columns if c.startswith(INPUT_PREFIX)}
    outputs = {c[len(OUTPUT_PREFIX):]: frame[c] for c in frame.columns
               if c.startswith(OUTPUT_PREFIX)}
    return (pd.DataFrame(inputs, index=frame.index),
            pd.DataFrame(outputs, index=frame.index) if outputs else None)


def frame_batches(frame: pd.DataFrame, batch_rows: int) -> Iterator[pd.DataFrame]:
    """``frame`` in slices of at most ``batch_rows`` rows."""
    for start in range(0, len(frame), batch_rows):
        yield frame.iloc[start:start + batch_rows]
