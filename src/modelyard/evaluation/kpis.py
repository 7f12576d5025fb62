"""Operational KPIs: prediction latency, batch throughput, and what predictions and training cost.

Costs are priced per CPU-hour. :data:`DEFAULT_CPU_HOUR` is USD 0.05: roughly what one
general-purpose cloud vCPU costs per hour on demand in 2026 (a 4-vCPU general-purpose instance
lists at about USD 0.15-0.20 an hour at the large providers; spot and reserved capacity cost less,
so this is a round, slightly conservative figure). The spec's ``costs.cpu_hour`` overrides it.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from modelyard.errors import DataError, SpecError

DEFAULT_CPU_HOUR = 0.05  # USD per CPU-hour; see the module docstring
CURRENCY = "USD"
# shares of measure_latency's max_seconds: warm-up ends by the first, single rows by the second
WARMUP_SHARE = 0.1
SINGLE_SHARE = 0.7
MIN_SINGLE = 5  # single rows timed however slow the model (a 30-model ensemble: 0.45 s each)


def _positive_int(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SpecError(f"{name} must be an integer >= {minimum}; got {value!r}",
                        hint=f"pass {name}={max(minimum, 1)} or more")
    return value


def cpus_available() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def measure_latency(predict: Callable[[pd.DataFrame], Any], rows: pd.DataFrame, *,
                    n_single: int = 200, batch_size: int = 1000, repeats: int = 3,
                    warmup: int = 10, seed: int = 0, max_seconds: float | None = 5.0,
                    min_single: int = MIN_SINGLE, cpus: int | None = None) -> dict[str, Any]:
    """Time ``predict`` on single rows and on batches of raw input rows.

    Single-row latency: ``predict(rows.iloc[[i]])`` for up to ``n_single`` rows (cycling through
    ``rows`` when it has fewer), each timed with ``time.perf_counter``, after ``warmup`` untimed
    calls. Throughput: ``predict`` on one batch of ``batch_size`` rows (the first ``batch_size``
    rows, or rows drawn with replacement using ``seed`` when there are fewer), timed up to
    ``repeats`` times; rows per second uses the median time.

    ``max_seconds`` caps the whole measurement for slow models (a search's time budget holds that
    much for it): the warm-up stops after ``WARMUP_SHARE`` of it (one call at least), the
    single-row loop at ``SINGLE_SHARE`` of it from the start once it has measured at least
    ``min_single`` rows (or ``n_single``, when smaller), and the batch loop at ``max_seconds``
    after at least one batch. Only those minimums can take it past the cap. ``None`` turns the
    cap off. ``n_single`` and ``repeats`` in the result are the counts actually measured.

    ``cpus`` is how many CPUs ``predict`` was limited to (the caller pins the thread pools, e.g.
    with ``learners.threads.pinned_threads``); None means it could use every CPU this process may
    run on. It is recorded as ``cpus``: the cores a cost per prediction must be priced at. The
    process CPU time of the batches is recorded too (``batch_cpu_seconds``, median), which shows
    how busy those cores were.

    Returns ``{"p50_ms", "p95_ms", "p99_ms", "mean_ms", "n_single", "batch_size", "repeats",
    "batch_seconds" (median), "batch_cpu_seconds" (median), "throughput_rows_per_s", "cpus"}``.
    """
    n_single = _positive_int("n_single", n_single)
    batch_size = _positive_int("batch_size", batch_size)
    repeats = _positive_int("repeats", repeats)
    warmup = _positive_int("warmup", warmup, minimum=0)
    min_single = _positive_int("min_single", min_single)
    cpus = cpus_available() if cpus is None else _positive_int("cpus", cpus)
    if max_seconds is not None and (isinstance(max_seconds, bool)
                                    or not isinstance(max_seconds, (int, float))
                                    or not max_seconds > 0):  # also rejects NaN
        raise SpecError(f"max_seconds must be a positive number of seconds or None; got "
                        f"{max_seconds!r}", hint="pass max_seconds=5.0, or None for no cap")
    if not isinstance(rows, pd.DataFrame) or len(rows) == 0:
        size = len(rows) if hasattr(rows, "__len__") else 0
        raise DataError("latency needs a non-empty DataFrame of raw input rows; got "
                        f"{type(rows).__name__} with {size} rows",
                        hint="pass the test rows' feature columns")
    cap = math.inf if max_seconds is None else float(max_seconds)
    n = len(rows)
    began = time.perf_counter()
    for i in range(warmup):
        predict(rows.iloc[[i % n]])
        if time.perf_counter() - began >= WARMUP_SHARE * cap:
            break
    times = []
    for i in range(n_single):
        one = rows.iloc[[i % n]]
        started = time.perf_counter()
        predict(one)
        ended = time.perf_counter()
        times.append(ended - started)
        if len(times) >= min_single and ended - began >= SINGLE_SHARE * cap:
            break
    if n >= batch_size:
        batch = rows.iloc[:batch_size]
    else:
        picks = np.random.default_rng(seed).integers(0, n, size=batch_size)
        batch = rows.iloc[picks]
    batch_times, batch_cpu = [], []
    for _ in range(repeats):
        cpu_started, started = time.process_time(), time.perf_counter()
        predict(batch)
        ended = time.perf_counter()
        batch_cpu.append(time.process_time() - cpu_started)
        batch_times.append(ended - started)
        if ended - began >= cap:
            break
    median_batch = float(np.median(batch_times))
    ms = np.asarray(times) * 1000.0
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return {
        "p50_ms": float(p50),
        "p95_ms": float(p95),
        "p99_ms": float(p99),
        "mean_ms": float(ms.mean()),
        "n_single": len(times),
        "batch_size": batch_size,
        "repeats": len(batch_times),
        "batch_seconds": median_batch,
        "batch_cpu_seconds": float(np.median(batch_cpu)),
        "throughput_rows_per_s": batch_size / max(median_batch, 1e-9),
        "cpus": cpus,
    }


def check_price(cpu_hour_price: float) -> float:
    """``cpu_hour_price`` as a float; a negative or non-finite price is a :class:`SpecError`."""
    if isinstance(cpu_hour_price, bool) or not isinstance(cpu_hour_price, (int, float)) \
            or not math.isfinite(cpu_hour_price) or cpu_hour_price < 0:
        raise SpecError(f"cpu_hour_price must be a non-negative number; got {cpu_hour_price!r}",
                        hint=f"costs.cpu_hour in the spec, e.g. {DEFAULT_CPU_HOUR} ({CURRENCY})")
    return float(cpu_hour_price)


def cost_per_1000(throughput_rows_per_s: float, cpu_hour_price: float = DEFAULT_CPU_HOUR,
                  cpus: int = 1) -> float:
    """Price of 1,000 predictions at this throughput on ``cpus`` CPUs.

    ``1000 / throughput`` seconds of ``cpus`` CPUs, at ``cpu_hour_price`` per CPU-hour:
    ``cpu_hour_price * cpus * (1000 / throughput) / 3600``.
    """
    price = check_price(cpu_hour_price)
    cpus = _positive_int("cpus", cpus)
    throughput = throughput_rows_per_s
    if not isinstance(throughput, (int, float)) or not math.isfinite(throughput) or throughput <= 0:
        # hint: python-api: only code that calls modelyard directly meets it
        raise DataError(f"throughput must be a positive number of rows per second; got "
                        f"{throughput_rows_per_s!r}", hint="measure it with measure_latency")
    return price * cpus * (1000.0 / throughput) / 3600.0


def training_cost(cpu_seconds: float, cpu_hour_price: float = DEFAULT_CPU_HOUR) -> float:
    """Price of ``cpu_seconds`` of CPU time (summed over CPUs) at ``cpu_hour_price``."""
    price = check_price(cpu_hour_price)
    if not isinstance(cpu_seconds, (int, float)) or not math.isfinite(cpu_seconds) \
            or cpu_seconds < 0:
        # hint: python-api: only code that calls modelyard directly meets it
        raise DataError(f"cpu_seconds must be a non-negative number; got {cpu_seconds!r}",
                        hint="pass the training run's CPU time, e.g. time.process_time() deltas")
    return price * cpu_seconds / 3600.0
