"""The prediction log: every prediction's inputs, outputs, model version and time, as Parquet.

Requests hand their rows to ``PredictionLog.append``, which only puts them on a bounded queue (a
full queue drops the rows and counts them: logging never slows or fails a request). One writer
thread groups rows by model and version and writes a file when a group reaches ``batch_rows`` rows,
when its oldest row has waited ``flush_s`` seconds, and on ``close()`` (server shutdown). Losing the
process loses at most the rows not yet written.

Layout, under ``<home>/predictions``::

    <model>/v<version>/<UTC time>-<pid>-<seq>.parquet   one batch (written to .tmp, then renamed)
    <model>/index.jsonl                                 one line per file: path, rows, versions, times

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
    """The rows of one answered request."""

    model: str
    version: int
    ref: str
    request_id: str
    at: datetime
    inputs: pd.DataFrame
    outputs: pd.DataFrame


class PredictionLog:
    """Batched, off-request-path Parquet writer. ``start()`` before use, ``close()`` to flush."""

    def __init__(
        self, root: Path, *, batch_rows: int, flush_s: float, metrics: ServingMetrics | None = None
    ) -> None:
        self.root = Path(root)
        self.batch_rows = batch_rows
        self.flush_s = flush_s
        self.metrics = metrics
        self._queue: queue.Queue[LoggedBatch | None] = queue.Queue(maxsize=QUEUE_BATCHES)
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
                self.metrics.log_dropped.inc(len(batch.inputs))
            return False

    def close(self, timeout: float = 30.0) -> None:
        """Write everything queued so far and stop the writer thread."""
        if self._thread is None:
            return
        self._queue.put(None)  # blocks while the queue is full: the writer is draining it
        self._thread.join(timeout)
        self._thread = None

    # -- writer thread ------------------------------------------------------------------------
    def _run(self) -> None:
        pending: dict[tuple[str, int], list[LoggedBatch]] = {}
        oldest: dict[tuple[str, int], float] = {}
        while True:
            try:
                item = self._queue.get(timeout=POLL_S)
            except queue.Empty:
                item = False  # nothing new: only check for batches that waited long enough
            if item is None:
                for key in list(pending):
                    self._write(pending.pop(key))
                return
            if item is not False:
                key = (item.model, item.version)
                pending.setdefault(key, []).append(item)
                oldest.setdefault(key, time.monotonic())
            now = time.monotonic()
            for key in list(pending):
                rows = sum(len(b.inputs) for b in pending[key])
                if rows >= self.batch_rows or now - oldest[key] >= self.flush_s:
                    self._write(pending.pop(key))
                    oldest.pop(key)

    def _write(self, batches: list[LoggedBatch]) -> None:
        try:
            self._write_file(batches)
        except Exception:  # noqa: BLE001 - a disk problem must not kill the writer thread
            rows = sum(len(b.inputs) for b in batches)
            log.exception("could not write %d prediction-log rows", rows)
            if self.metrics is not None:
                self.metrics.log_dropped.inc(rows)

    def _write_file(self, batches: list[LoggedBatch]) -> None:
        first = batches[0]
        frame = pd.concat([_rows(b) for b in batches], ignore_index=True)
        folder = self.root / first.model / f"v{first.version}"
        folder.mkdir(parents=True, exist_ok=True)
        self._seq += 1
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = folder / f"{stamp}-{os.getpid()}-{self._seq:06d}.parquet"
        tmp = path.with_suffix(".parquet.tmp")
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp)
        os.replace(tmp, path)
        entry = {
            "file": str(path.relative_to(self.root / first.model)),
            "rows": len(frame),
            "model": first.model,
            "version": first.version,
            "first": frame["timestamp"].min().isoformat(),
            "last": frame["timestamp"].max().isoformat(),
        }
        with (self.root / first.model / INDEX_FILE).open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry) + "\n")
        if self.metrics is not None:
            self.metrics.log_rows.labels(first.model).inc(len(frame))


def _rows(batch: LoggedBatch) -> pd.DataFrame:
    """One request's rows as log columns."""
    n = len(batch.inputs)
    columns: dict[str, object] = {
        "timestamp": pd.Series([batch.at] * n, dtype="datetime64[us, UTC]"),
        "request_id": [batch.request_id] * n,
        "model": [batch.model] * n,
        "version": pd.Series([batch.version] * n, dtype="int64"),
        "ref": [batch.ref] * n,
    }
    for name in batch.inputs.columns:
        columns[INPUT_PREFIX + str(name)] = batch.inputs[name].reset_index(drop=True)
    for name in batch.outputs.columns:
        columns[OUTPUT_PREFIX + str(name)] = batch.outputs[name].reset_index(drop=True)
    return pd.DataFrame(columns)


def read_log(root: Path, model: str) -> pd.DataFrame:
    """Every logged row of ``model`` (for monitoring and tests), in the order written."""
    index = Path(root) / model / INDEX_FILE
    if not index.is_file():
        return pd.DataFrame()
    entries = [json.loads(line) for line in index.read_text(encoding="utf-8").splitlines() if line]
    frames = [pd.read_parquet(Path(root) / model / e["file"]) for e in entries]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
