"""Single-row latency of a fitted model, measured as a server meets it.

``measure_row_latency(model, frame)`` times ``model.predict_row`` on seeded real rows of ``frame``
one at a time, each as a JSON request would carry it (``request_records``: plain Python values,
None where a value is missing), after one warm-up row that compiles the model's single-row path.
The search uses it for every candidate (one fold model, what a refit member costs) and for the
deployment variants at its end.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pandas as pd

from modelyard.model.base import FittedModel

LATENCY_ROWS = 50  # rows timed one by one, at most
LATENCY_MIN_ROWS = 5  # timed even past max_seconds (a bagged ensemble can take 0.5 s a row)
LATENCY_SECONDS = 2.0  # after the warm-up row


def request_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as a JSON request carries them: Python values, None for a missing one."""
    out = []
    for record in frame.to_dict(orient="records"):
        out.append({str(k): json_value(v) for k, v in record.items()})
    return out


def json_value(value: Any) -> Any:
    """A value as JSON carries it: numpy scalars as Python values, None for a missing or
    non-finite one (JSON has no NaN)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def measure_row_latency(
    model: FittedModel,
    frame: pd.DataFrame,
    *,
    seed: int,
    rows: int = LATENCY_ROWS,
    max_seconds: float = LATENCY_SECONDS,
    min_rows: int = LATENCY_MIN_ROWS,
) -> tuple[float, float, int]:
    """(p50 ms, p99 ms, rows timed): ``model.predict_row`` on up to ``rows`` seeded real rows of
    ``frame``, one at a time after one warm-up row; at least ``min_rows``, then until
    ``max_seconds`` is spent."""
    picked = np.random.default_rng(seed).permutation(len(frame))[: rows + 1]
    records = request_records(frame.iloc[picked])
    model.predict_row(records[0])  # warm-up: lazy imports, the compiled single-row path
    times: list[float] = []
    started = time.perf_counter()
    for record in records[1:] or records:
        t0 = time.perf_counter()
        model.predict_row(record)
        times.append(time.perf_counter() - t0)
        if len(times) >= min_rows and time.perf_counter() - started > max_seconds:
            break
    ms = np.asarray(times) * 1000.0
    return float(np.median(ms)), float(np.percentile(ms, 99)), len(times)
