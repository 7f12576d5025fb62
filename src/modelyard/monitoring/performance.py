"""Live performance: a version's metrics per time window on its labelled predictions.

``live_performance`` joins the version's logged predictions to the labels fed back for them
(``monitoring.labelled``), cuts them into windows aligned to UTC multiples of the window length
(a ``1d`` window runs from midnight to midnight UTC), and computes per window the task's metrics
(the version's primary metric first), each with a 95 % percentile-bootstrap interval
(``evaluation.bootstrap``), beside the metrics the version scored on its test rows. A window
whose interval lies wholly on the worse side of the test value is a significant drop: the test
value is not a plausible value of the live metric. A window with fewer than ``MIN_LABELS`` labels
shows its counts and no metric, and is never flagged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from modelyard.durations import parse_duration, parse_since
from modelyard.errors import DataError
from modelyard.evaluation.bootstrap import bootstrap_ci
from modelyard.evaluation.metrics import DEFAULT_METRICS, get_metric, score
from modelyard.monitoring.labelled import PREDICTION, PROBA_PREFIX, joined, log_glob, scan
from modelyard.registry.records import VersionInfo
from modelyard.registry.registry import Registry

MIN_LABELS = 30  # labelled predictions a window needs before its metrics mean anything
N_BOOT, SEED = 1000, 0  # bootstrap resamples per window, and their fixed seed
DEFAULT_WINDOWS = 30  # without --since, look back this many windows


@dataclass(frozen=True)
class Window:
    """One time window: its counts and, with enough labels, its metrics."""

    start: datetime
    end: datetime
    logged: int  # predictions the version logged in the window
    rows: int  # of those, the ones with a label
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> value, low, ...
    dropped: bool = False  # the primary metric dropped significantly below the test value

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(),
                "logged": self.logged, "rows": self.rows, "metrics": self.metrics,
                "dropped": self.dropped}  # fmt: skip


@dataclass(frozen=True)
class PerformanceReport:
    """A version's live metrics per window, and its test-set metrics."""

    model: str
    version: int
    task: str
    primary: str
    window: str
    since: datetime
    test_metrics: dict[str, float]
    windows: tuple[Window, ...]
    min_labels: int = MIN_LABELS

    @property
    def dropped(self) -> bool:
        """Whether any window's primary metric dropped significantly."""
        return any(w.dropped for w in self.windows)

    def latest(self, metric: str | None = None) -> float | None:
        """The newest window's value of ``metric`` (default: the primary), None without one."""
        name = metric or self.primary
        for window in reversed(self.windows):
            if name in window.metrics:
                return window.metrics[name]["value"]
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model, "version": self.version, "task": self.task,
            "primary_metric": self.primary, "window": self.window,
            "since": self.since.isoformat(), "min_labels": self.min_labels,
            "test_metrics": self.test_metrics, "dropped": self.dropped,
            "windows": [w.to_dict() for w in self.windows],
        }  # fmt: skip


def live_performance(
    registry: Registry,
    name: str,
    *,
    window: str = "1d",
    since: str | datetime | None = None,
    ref: str | None = None,
    home: Path | None = None,
    now: datetime | None = None,
) -> PerformanceReport:
    """Live metrics of ``ref`` (default ``name``: 'churn', 'churn@production', 'churn:3') per
    ``window`` since ``since`` (a duration back from now such as '30d', or a time; default 30
    windows). ``home`` holds the prediction log and the feedback (default: the settings' home).
    """
    if home is None:
        from modelyard.settings import load_settings

        home = load_settings().home
    length = parse_duration(window, "--window")
    now = now or datetime.now(UTC)
    if since is None:
        start = now - length * DEFAULT_WINDOWS
    else:
        start = since if isinstance(since, datetime) else parse_since(since, "--since", now)
    version = registry.store.resolve(ref or name)
    task, primary = _task_and_primary(registry, version)
    names = list(dict.fromkeys([primary, *DEFAULT_METRICS[task]]))
    classes = _classes(registry, version) if task != "regression" else None
    outputs = [PREDICTION] + [PROBA_PREFIX + c for c in classes or []]
    con = duckdb.connect()
    pairs = joined(home, version.model, version=version.version, since=start, con=con,
                   outputs=None)  # fmt: skip
    logged = _logged(con, home, version, start, length)
    test = {k: float(v) for k, v in version.metrics.items() if isinstance(v, int | float)}
    seconds = length.total_seconds()
    buckets = (pairs["timestamp"].map(lambda t: math.floor(t.timestamp() / seconds))
               if len(pairs) else pd.Series(dtype="int64"))  # fmt: skip
    windows = []
    for bucket in sorted(set(logged) | set(buckets)):
        rows = pairs[buckets == bucket] if len(pairs) else pairs
        begin = datetime.fromtimestamp(bucket * seconds, UTC)
        metrics = _metrics(task, rows, outputs, classes, names, test) \
            if len(rows) >= MIN_LABELS else {}  # fmt: skip
        windows.append(Window(begin, begin + length, logged.get(bucket, 0), len(rows), metrics,
                              bool(metrics.get(primary, {}).get("drop"))))  # fmt: skip
    return PerformanceReport(version.model, version.version, task, primary, window, start, test,
                             tuple(windows))  # fmt: skip


def _task_and_primary(registry: Registry, version: VersionInfo) -> tuple[str, str]:
    run = registry.store.get_run(version.run_id)
    task = version.params.get("task") or run.data.get("task")
    if task not in DEFAULT_METRICS:
        # hint: python-api: only code that calls modelyard directly meets it
        raise DataError(f"{version.ref} has no task this command measures (got {task!r})",
                        hint="live performance covers binary, multiclass and regression models")
    result = run.data.get("result") or {}
    primary = result.get("primary_metric") or (run.spec.get("evaluation") or {}).get("metric")
    return task, primary or DEFAULT_METRICS[task][0]


def _classes(registry: Registry, version: VersionInfo) -> list[str]:
    """The version's class labels as text, in class-code order."""
    import modelyard.model  # noqa: F401 - registers the bundle format the registry loads

    return [str(c) for c in registry.load(version.ref).model.classes or []]


def _logged(con: duckdb.DuckDBPyConnection, home: Path, version: VersionInfo, start: datetime,
            length: timedelta) -> dict[int, int]:
    """Predictions the version logged since ``start``, counted per window bucket."""
    pattern = log_glob(home, version.model, version.version)
    if not list(Path(pattern).parent.glob("*.parquet")):
        return {}
    rows = con.execute(
        f"SELECT CAST(floor(epoch(timestamp) / $s) AS BIGINT) AS b, count(*) FROM {scan(pattern)} "
        "WHERE timestamp >= $start GROUP BY b", {"s": length.total_seconds(), "start": start},
    ).fetchall()  # fmt: skip
    return {int(b): int(n) for b, n in rows}


def _metrics(task: str, rows: pd.DataFrame, outputs: list[str], classes: list[str] | None,
             names: list[str], test: dict[str, float]) -> dict[str, dict[str, Any]]:
    """Each metric's value, 95 % interval, test value and whether it dropped significantly."""
    if classes is None:
        y = pd.to_numeric(rows["label"], errors="coerce").to_numpy(dtype=np.float64)
        pred = pd.to_numeric(rows[PREDICTION], errors="coerce").to_numpy(dtype=np.float64)
        ok = np.isfinite(y) & np.isfinite(pred)
        y, pred, proba = y[ok], pred[ok], None
    else:
        code = {c: i for i, c in enumerate(classes)}
        y_all = rows["label"].map(code)
        p_all = rows[PREDICTION].map(lambda v: code.get(str(v)))
        ok = (y_all.notna() & p_all.notna()).to_numpy()
        y, pred = y_all[ok].astype(np.int64).to_numpy(), p_all[ok].astype(np.int64).to_numpy()
        columns = [c for c in outputs[1:] if c in rows.columns]
        proba = rows.loc[ok, columns].to_numpy(dtype=np.float64) \
            if len(columns) == len(classes) and len(classes) > 1 else None  # fmt: skip
        if proba is not None and not np.isfinite(proba).all():
            proba = None
    if len(y) < MIN_LABELS:
        return {}
    values = score(task, y, pred, proba, names)
    intervals = bootstrap_ci(task, y, pred, proba, list(values), n_boot=N_BOOT, seed=SEED)
    out = {}
    for name, value in values.items():
        low, high = intervals[name]
        reference = test.get(name)
        better_up = get_metric(name).greater_is_better
        drop = reference is not None and math.isfinite(low) and (
            high < reference if better_up else low > reference)
        out[name] = {"value": value, "low": low, "high": high, "test": reference,
                     "drop": bool(drop)}  # fmt: skip
    return out
