"""How list_runs scales: first page and a metric search, with 10,000 and 100,000 runs stored.

For each backend (a SQLite file; a fresh schema on a PostgreSQL server) and each size, the runs
are bulk-inserted through the store's tables (each with 3 params and 3 final metrics), the
statistics are refreshed (ANALYZE, as autovacuum or an operator would), and then two calls are
timed, median of ``--repeats`` after a warm-up:

- ``list_runs()``: the first page (50 runs), newest first, with its total;
- ``list_runs(metric_filter="roc_auc > 0.9", order_by="metric.roc_auc DESC")``: the first page.

Both include everything a call does (dead-run check, page, count, params and metrics of the page).
The target is a 100k/10k ratio of at most 2.

    .venv/bin/python bench/registry.py
    .venv/bin/python bench/registry.py --sizes 10000 100000 --backends sqlite --repeats 50

Adds one record per backend and query (every timed call, the medians, the ratio, the database
server's version) to ``bench/results/registry.json`` through ``bench/record.py``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import record
import sqlalchemy as sa

from modelyard.registry import MetadataStore, store_url_for
from modelyard.registry.tables import run_metrics, run_params, runs

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CHUNK = 5_000  # rows per INSERT batch
QUERIES: dict[str, Callable[[MetadataStore], object]] = {
    "list_runs first page": lambda s: s.list_runs(limit=50),
    "roc_auc > 0.9 by roc_auc": lambda s: s.list_runs(
        metric_filter="roc_auc > 0.9", order_by="metric.roc_auc DESC", limit=50
    ),
}


@contextmanager
def sqlite_store(n_runs: int) -> Iterator[MetadataStore]:
    with tempfile.TemporaryDirectory(prefix="modelyard-bench-") as home:
        with MetadataStore(store_url_for(Path(home))) as store:
            yield store


@contextmanager
def postgres_store(pg_url: str) -> Iterator[MetadataStore]:
    admin = sa.create_engine(pg_url)
    schema = "modelyard_bench_" + uuid.uuid4().hex[:10]
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = f"{pg_url}{'&' if '?' in pg_url else '?'}options=-csearch_path%3D{schema}"
    try:
        store = MetadataStore(url)
        store.migrate()
        with store.open():
            yield store
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def fill(store: MetadataStore, n_runs: int, seed: int = 0) -> float:
    """Insert ``n_runs`` finished runs with 3 params and 3 metrics each; returns seconds taken."""
    rng = random.Random(seed)
    start = time.perf_counter()
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    with store.engine.begin() as conn:
        for first in range(0, n_runs, CHUNK):
            run_rows, param_rows, metric_rows = [], [], []
            for i in range(first, min(n_runs, first + CHUNK)):
                run_id = uuid.UUID(int=rng.getrandbits(128)).hex
                began = t0 + timedelta(seconds=60 * i)
                run_rows.append(
                    {
                        "run_id": run_id,
                        "name": f"experiment-{i % 20}",
                        "status": "finished" if i % 10 else "failed",
                        "start_time": began,
                        "end_time": began + timedelta(seconds=30),
                        "seed": i,
                        "host": "bench-host",
                        "pid": 1,
                        "python_version": "CPython 3.11",
                        "library_versions": {"numpy": "2.0"},
                        "spec": {"learner": "gbdt"},
                        "data_fingerprint": None,
                        "data": {},
                        "tags": {},
                        "cpu_seconds": 30.0,
                    }
                )
                for key, value in (("learner", "gbdt"), ("lr", rng.random()), ("depth", i % 9)):
                    param_rows.append({"run_id": run_id, "key": key, "value": json.dumps(value)})
                auc = rng.uniform(0.5, 1.0)
                for key, value in (
                    ("roc_auc", auc),
                    ("accuracy", auc - 0.1),
                    ("log_loss", 1 - auc),
                ):
                    metric_rows.append(
                        {"run_id": run_id, "key": key, "value": value, "timestamp": began}
                    )
            conn.execute(runs.insert(), run_rows)
            conn.execute(run_params.insert(), param_rows)
            conn.execute(run_metrics.insert(), metric_rows)
    refresh_statistics(store)
    return time.perf_counter() - start


def refresh_statistics(store: MetadataStore) -> None:
    if store.backend == "postgresql":
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def time_query(
    store: MetadataStore, query: Callable[[MetadataStore], object], repeats: int
) -> list[float]:
    """Milliseconds of each of ``repeats`` calls of ``query``, after 3 warm-up calls."""
    for _ in range(3):
        query(store)
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        query(store)
        samples.append(time.perf_counter() - start)
    return [round(t * 1000, 4) for t in samples]


def server_version(store: MetadataStore) -> str:
    with store.engine.connect() as conn:
        if store.backend == "postgresql":
            return "PostgreSQL " + str(conn.exec_driver_sql("SHOW server_version").scalar())
        return "SQLite " + str(conn.exec_driver_sql("select sqlite_version()").scalar())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[10_000, 100_000])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    stamper = record.Stamper(("sqlalchemy", "psycopg"))

    results: dict[tuple[str, str, int], list[float]] = {}
    fills: dict[tuple[str, int], float] = {}
    servers: dict[str, str] = {}
    for backend in args.backends:
        for size in args.sizes:
            opened = sqlite_store(size) if backend == "sqlite" else postgres_store(args.pg_url)
            with opened as store:
                seconds = fills[backend, size] = fill(store, size)
                servers[backend] = server_version(store)
                print(f"{backend:<10} {size:>7} runs inserted in {seconds:5.1f} s", flush=True)
                page = store.list_runs(
                    metric_filter="roc_auc > 0.9", order_by="metric.roc_auc DESC"
                )
                assert page.total > 0 and len(page) == 50, "the benchmark data is not as expected"
                for label, query in QUERIES.items():
                    results[backend, label, size] = time_query(store, query, args.repeats)

    small, large = args.sizes
    print()
    print(f"{'backend':<10} {'query':<26} {small:>8} ms {large:>8} ms {'ratio':>6}  (target <= 2)")
    done = []
    stamp = stamper.stamp()
    for backend in args.backends:
        for label in QUERIES:
            a = statistics.median(results[backend, label, small])
            b = statistics.median(results[backend, label, large])
            print(f"{backend:<10} {label:<26} {a:>11.2f} {b:>11.2f} {b / a:>6.2f}")
            done.append({
                "backend": backend, "server": servers[backend], "query": label,
                "sizes": [small, large], "repeats": args.repeats,
                "median_ms": [round(a, 4), round(b, 4)], "ratio": round(b / a, 4),
                "samples_ms": [results[backend, label, small], results[backend, label, large]],
                "fill_seconds": [round(fills[backend, small], 2), round(fills[backend, large], 2)],
                "stamp": stamp,
            })  # fmt: skip
    record.add("registry", done, key=lambda r: (r["backend"], r["query"], tuple(r["sizes"])))


if __name__ == "__main__":
    main()
