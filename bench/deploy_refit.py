"""search.deploy: the refit ensemble against the bagged one it comes from (issue 19, item 1).

For each data set, ``modelyard train DATA --target T --time-budget 60`` through the Python API
(``pipeline.train``, default ``deploy: refit``, seed 0): that one search yields both variants of
its ensemble, the refit (registered) and the bagged fold models (``TrainResult.deployment``). Both
are scored on the same sealed test rows of the run's split (the report's metric: roc_auc for
credit_g and telco, rmse for california_housing), timed one row at a time in process
(``predict_row`` on up to ``--rows`` test rows, median and p99) and measured saved (bytes).
With ``--bagged-run`` the same command with ``--deploy bagged`` runs too, and its registered test
score is recorded beside (a second search: its trials differ with the clock). With ``--http`` the
registered version is served by a real ``modelyard serve`` (no prediction log) and ``--rows`` test
rows are sent one request each, in sequence, on one keep-alive connection: the HTTP p50 and p99
(target: p50 at most 5 ms with ``deploy: refit``). ``--max-latency-ms`` gives the search that
single-row limit; what it cost is in the record's ``deployment.latency_limit``.

Target (issue 19): the refit's test score within 0.3% of the bagged ensemble's. A paired
bootstrap of the test rows (both variants on the same resampled rows) gives a 95% interval of the
relative difference, to tell it from the noise of a small test split.

    .venv/bin/python bench/deploy_refit.py [--data ../shared/data] [--budget 60] [--rows 50]
        [--only telco_churn] [--bagged-run] [--http] [--max-latency-ms 3]

Adds one record per data set to ``bench/results/deploy_refit.json`` through ``bench/record.py``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import record
import yaml
from serve import free_port, running

from modelyard.evaluation.metrics import score
from modelyard.model.latency import measure_row_latency, request_records
from modelyard.pipeline import prepare, train
from modelyard.settings import load_settings
from modelyard.spec import validate_spec

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ("telco_churn", "credit_g", "california_housing")
SOURCE_KEYS = ("format", "header", "columns")  # catalog keys that are data.source keys too
BOOTSTRAP = 1000  # paired resamples of the test rows for the interval of the difference
HTTP_REQUESTS = 200  # single-record requests timed over HTTP (fewer when the test split is smaller)


def _spec(data: Path, name: str, budget: float, deploy: str, seed: int,
          max_latency_ms: float | None = None) -> dict:
    entry = yaml.safe_load((data / "catalog.yaml").read_text())[name]
    source = {"path": str(data / entry["path"])}
    source.update({k: entry[k] for k in SOURCE_KEYS if k in entry})
    drop = list(entry.get("id_columns") or [])
    spec = {
        "name": f"bench-{name.replace('_', '-')}",
        "data": {"source": source, "target": entry["target"], **({"drop": drop} if drop else {})},
        "search": {"time_budget": budget, "deploy": deploy,
                   **({"max_latency_ms": max_latency_ms} if max_latency_ms else {})},
        "seed": seed,
    }
    return spec


def _test_score(model, metric: str, task: str, rows, y: np.ndarray) -> tuple[float, tuple]:
    """The report's metric on the test rows (class codes in ``y`` for classifiers), and the
    predictions it came from."""
    predicted, proba = model.codes_and_proba(model.transform(rows))
    return float(score(task, y, predicted, proba, [metric])[metric]), (predicted, proba)


def _resampled(task: str, metric: str, y: np.ndarray, predictions: tuple, idx) -> float:
    predicted, proba = predictions
    proba = None if proba is None else proba[idx]
    return score(task, y[idx], predicted[idx], proba, [metric]).get(metric, np.nan)


def _paired_interval(
    task: str,
    metric: str,
    y: np.ndarray,
    refit: tuple,
    bagged: tuple,
    seed: int,
    n_boot: int = BOOTSTRAP,
) -> list[float]:
    """95% percentile interval of (refit - bagged) / |bagged| over paired resamples of the
    test rows: both variants scored on the same resampled rows."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(y), len(y))
        a, b = (_resampled(task, metric, y, p, idx) for p in (refit, bagged))
        out.append((a - b) / abs(b))
    return [float(np.nanpercentile(out, 2.5)), float(np.nanpercentile(out, 97.5))]


def http_latency(home: Path, model: str, records: list[dict]) -> tuple[float, float, int]:
    """(p50 ms, p99 ms, requests): ``records`` sent one per request to a ``modelyard serve`` of
    ``model`` on a free loopback port, after 20 warm-up requests."""
    port = free_port()
    command = [sys.executable, "-m", "modelyard", "serve", "--port", str(port), "--model", model,
               "--no-prediction-log", "--log-level", "warning"]
    env = {**os.environ, "MODELYARD_HOME": str(home)}
    with running(command, f"http://127.0.0.1:{port}", "/readyz", "modelyard serve", env=env,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as url, \
            httpx.Client(base_url=url, timeout=60) as client:  # fmt: skip
        path = f"/v1/models/{model}/predict"
        for record_ in records[:20]:
            client.post(path, json=record_).raise_for_status()
        times = []
        for record_ in records:
            started = time.perf_counter()
            client.post(path, json=record_).raise_for_status()
            times.append(time.perf_counter() - started)
    ms = np.asarray(times) * 1000.0
    return float(np.median(ms)), float(np.percentile(ms, 99)), len(times)


def measure(
    data: Path, name: str, budget: float, rows: int, seed: int, bagged_run: bool, home: Path,
    http: bool = False, max_latency_ms: float | None = None,
) -> dict:
    settings = load_settings(home)
    spec = validate_spec(_spec(data, name, budget, "refit", seed, max_latency_ms))
    prepared = prepare(spec)
    dataset, split, y = prepared.dataset, prepared.split, prepared.y
    test_pos = split.open_test("deploy_refit benchmark")
    test_rows = dataset.frame.iloc[test_pos][dataset.features]
    result = train(spec, settings)
    metric = result.primary_metric
    out = {
        "dataset": name,
        "budget_s": budget,
        "seed": seed,
        "max_latency_ms": max_latency_ms,
        "task": dataset.task,
        "metric": metric,
        "test_rows": len(test_pos),
        "registered_test_score": result.metrics.to_dict()["test"][metric],
        "deployment": result.deployment.to_dict(),
        "deploy_notes": [n for n in result.notes if " refit " in n or "stays bagged" in n],
        "variants": {},
    }
    predictions: dict[str, tuple] = {}
    for variant in result.deployment.variants:
        score, predictions[variant.name] = _test_score(
            variant.model, metric, dataset.task, test_rows, y[test_pos]
        )
        p50, p99, timed = measure_row_latency(
            variant.model, test_rows, seed=seed, rows=rows, max_seconds=30.0
        )
        out["variants"][variant.name] = {
            "models": variant.models,
            "test_score": score,
            "oof_score": variant.score,
            "p50_ms": p50,
            "p99_ms": p99,
            "rows_timed": timed,
            "size_bytes": variant.size_bytes,
        }
        print(
            f"{name}: {variant.name} {variant.models} models, test {metric} {score:.5f}, "
            f"p50 {p50:.2f} ms, p99 {p99:.2f} ms ({timed} rows), {variant.size_bytes:,} bytes",
            flush=True,
        )
    refit, bagged = out["variants"].get("refit"), out["variants"].get("bagged")
    if refit and bagged:
        out["relative_difference"] = (refit["test_score"] - bagged["test_score"]) / abs(
            bagged["test_score"]
        )
        out["p50_ratio"] = refit["p50_ms"] / bagged["p50_ms"]
        out["relative_difference_ci95"] = _paired_interval(
            dataset.task, metric, y[test_pos], predictions["refit"], predictions["bagged"], seed
        )
    if http:
        records = request_records(test_rows.iloc[: max(rows, HTTP_REQUESTS)])
        p50, p99, sent = http_latency(home, spec.name, records)
        out["http"] = {"p50_ms": p50, "p99_ms": p99, "requests": sent,
                       "registered": result.deployment.registered}
        print(f"{name}: {result.deployment.registered} registered, over HTTP p50 {p50:.2f} ms, "
              f"p99 {p99:.2f} ms ({sent} requests)", flush=True)
    if bagged_run:
        other = train(validate_spec(_spec(data, name, budget, "bagged", seed)), settings)
        out["bagged_run_test_score"] = other.metrics.to_dict()["test"][metric]
        out["bagged_run_models"] = other.deployment.variants[0].models
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", action="append", choices=DATASETS)
    parser.add_argument("--bagged-run", action="store_true")
    parser.add_argument("--http", action="store_true", help="time the registered version over "
                        "HTTP through modelyard serve")
    parser.add_argument("--max-latency-ms", type=float, help="search.max_latency_ms of the "
                        "search (its cost in score is in the record's deployment)")
    args = parser.parse_args()
    stamper = record.Stamper(libraries=("pyyaml",))
    with tempfile.TemporaryDirectory(prefix="modelyard-bench-deploy-") as home:
        for name in args.only or DATASETS:
            stamper.start()
            out = measure(
                args.data, name, args.budget, args.rows, args.seed, args.bagged_run, Path(home),
                args.http, args.max_latency_ms,
            )
            out["stamp"] = stamper.stamp()
            record.add(
                "deploy_refit", [out],
                key=lambda r: (r["dataset"], r["budget_s"], r["seed"], r.get("max_latency_ms")),
            )


if __name__ == "__main__":
    main()
