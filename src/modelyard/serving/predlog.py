"""The prediction log: every prediction's inputs, outputs, model version and time, as Parquet.

Requests hand their rows to ``PredictionLog.append``, which only puts them on a bounded queue (a
full queue drops the rows and counts them: logging never slows or fails a request). One writer
thread groups rows by model and version and writes a file when a group reaches ``batch_rows`` rows,
when its oldest row has waited ``flush_s`` seconds, and on ``close()`` (server shutdown). Losing the
process loses at most the rows not yet written.

Layout, under ``<home>/predictions``::

    <model>/v<version>/<UTC time>-<pid>-<seq>.parquet   one batch (written to .tmp, then renamed)
    <model>/index.jsonl                                 a line per file: path, rows, version, times

Columns: ``timestamp`` (UTC), ``request_id``, ``model``, ``version``, ``ref``, then each input as
``input.<column>`` and each output as ``output.prediction`` / ``output.proba_<label>``.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from modelyard.serving.metrics import ServingMetrics

log = logging.getLogger("modelyard.serving.predlog")

INDEX_FILE = "index.jsonl"
INPUT_PREFIX, OUTPUT_PREFIX = "input.", "output."
QUEUE_BATCHES = 10_000  # appended requests waiting for the writer, at most
POLL_S = 0.2  # how often the writer wakes up to look for batches that waited long enough


@dataclass(frozen=True)
class LoggedBatch:
    """The rows of one answered request: ``inputs`` and ``outputs`` as frames, or (the
    single-record path, which builds no frame) as column -> list of values."""

    model: str
    version: int
    ref: str
    request_id: str
    at: datetime
    inputs: pd.DataFrame | dict[str, list[Any]]
    outputs: pd.DataFrame | dict[str, list[Any]]

    @property
    def rows(self) -> int:
        if isinstance(self.inputs, pd.DataFrame):
            return len(self.inputs)
        return len(next(iter(self.inputs.values()), ()))


class PredictionLog:
    """Batched, off-request-path Parquet writer. ``start()`` before use, ``close()`` to flush."""

    def __init__(
        self,
        root: Path,
        *,
        batch_rows: int,
        flush_s: float,
        metrics: ServingMetrics | None = None,
        max_queued: int = QUEUE_BATCHES,
    ) -> None:
        self.root = Path(root)
        self.batch_rows = batch_rows
        self.flush_s = flush_s
        self.metrics = metrics
        self._queue: queue.Queue[LoggedBatch | None] = queue.Queue(maxsize=max_queued)
        self._thread: threading.Thread | None = None
        self._seq = 0

    def start(self) -> PredictionLog:
        self._thread = threading.Thread(target=self._run, name="modelyard-predlog", daemon=True)
        self._thread.start()
        return self

    def append(self, batch: LoggedBatch) -> bool:
        """Queue a request's rows for the log; False (and counted) when the queue is full."""
        try:
            self._queue.put_nowait(batch)
            return True
        except queue.Full:
            if self.metrics is not None:
                self.metrics.log_dropped.inc(batch.rows)
            return False

    def close(self, timeout: float = 30.0) -> None:
        """Write everything queued so far and stop the writer thread."""
        if self._thread is None:
            return
        try:
            self._queue.put(None, timeout=timeout)  # waits while the writer drains a full queue
        except queue.Full:
            log.error("the prediction-log writer is stuck; %d queued requests are not written",
                      self._queue.qsize())  # fmt: skip
        self._thread.join(timeout)
        self._thread = None

    # -- writer thread ------------------------------------------------------------------------
    def _run(self) -> None:
        pending: dict[tuple[str, int], _Pending] = {}
        while True:
            try:
                item = self._queue.get(timeout=POLL_S)
            except queue.Empty:
                item = False  # nothing new: only look for batches that waited long enough
            if item is None:
                for key in list(pending):
                    self._write(pending.pop(key))
                return
            if item is not False:
                group = pending.get((item.model, item.version))
                if group is None:
                    group = pending[(item.model, item.version)] = _Pending(item.model, item.version)
                self._add(group, item)
            now = time.monotonic()
            for key, group in list(pending.items()):
                if group.rows >= self.batch_rows or now - group.since >= self.flush_s:
                    self._write(pending.pop(key))

    def _add(self, group: _Pending, batch: LoggedBatch) -> None:
        try:
            group.add(batch)
        except Exception:  # noqa: BLE001 - one odd request must not kill the writer thread
            log.exception("could not log the rows of request %s", batch.request_id)
            if self.metrics is not None:
                self.metrics.log_dropped.inc(batch.rows)

    def _write(self, group: _Pending) -> None:
        try:
            self._write_file(group)
        except Exception:  # noqa: BLE001 - a disk problem must not kill the writer thread
            log.exception("could not write %d prediction-log rows", group.rows)
            if self.metrics is not None:
                self.metrics.log_dropped.inc(group.rows)

    def _write_file(self, group: _Pending) -> None:
        table = pa.table({name: pa.array(values) for name, values in group.columns.items()})
        folder = self.root / group.model / f"v{group.version}"
        folder.mkdir(parents=True, exist_ok=True)
        self._seq += 1
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = folder / f"{stamp}-{os.getpid()}-{self._seq:06d}.parquet"
        tmp = path.with_suffix(".parquet.tmp")
        pq.write_table(table, tmp)
        os.replace(tmp, path)
        times = group.columns["timestamp"]
        entry = {
            "file": str(path.relative_to(self.root / group.model)),
            "rows": table.num_rows,
            "model": group.model,
            "version": group.version,
            "first": min(times).isoformat(),
            "last": max(times).isoformat(),
        }
        with (self.root / group.model / INDEX_FILE).open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry) + "\n")
        if self.metrics is not None:
            self.metrics.log_rows.labels(group.model).inc(table.num_rows)


class _Pending:
    """The rows of one model version waiting to be written, kept as one list per column.

    Lists, not DataFrames: appending a request costs a few microseconds per column, and the file is
    built once (``pa.table``) when written, so the writer never holds the GIL for long.
    """

    def __init__(self, model: str, version: int) -> None:
        self.model = model
        self.version = version
        self.columns: dict[str, list[Any]] = {}
        self.rows = 0
        self.since = time.monotonic()

    def add(self, batch: LoggedBatch) -> None:
        n = batch.rows
        values: dict[str, list[Any]] = {
            "timestamp": [batch.at] * n,
            "request_id": [batch.request_id] * n,
            "model": [batch.model] * n,
            "version": [batch.version] * n,
            "ref": [batch.ref] * n,
        }
        for prefix, frame in ((INPUT_PREFIX, batch.inputs), (OUTPUT_PREFIX, batch.outputs)):
            columns = frame if isinstance(frame, dict) else frame.to_dict(orient="list")
            for name, column in columns.items():
                values[prefix + str(name)] = column
        for name, column in values.items():
            # a column first seen now is missing (None) in the rows already pending
            self.columns.setdefault(name, [None] * self.rows).extend(column)
        for name, column in self.columns.items():
            if name not in values:
                column.extend([None] * n)
        self.rows += n


def read_log(root: Path, model: str) -> pd.DataFrame:
    """Every logged row of ``model`` (for monitoring and tests), in the order written."""
    index = Path(root) / model / INDEX_FILE
    if not index.is_file():
        return pd.DataFrame()
    entries = [json.loads(line) for line in index.read_text(encoding="utf-8").splitlines() if line]
    frames = [pd.read_parquet(Path(root) / model / e["file"]) for e in entries]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
