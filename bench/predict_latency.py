"""Prediction latency of a saved ModelBundle against its learner alone (the floor).

``bundle.predict`` = schema check + fitted preprocessing + learner; the floor is the learner's own
``predict`` on rows already transformed. Three models are trained quickly and saved, then loaded
as serving loads them: logistic regression and LightGBM on Telco churn (19 feature columns of
numbers, yes/no and categories), logistic regression on mnist_5k (784 pixel columns). Each is
timed on the test rows as read from the file (the serving path: strings, numbers) and as typed
by modelyard (the path of the latency KPI): one row at a time (p50/p99 over up to ``--rows``
rows, at most ``--seconds`` each) and one batch of ``--batch`` rows (best of 3, rows per second).
Target (issue): Telco one-row p50 under ~5 ms, a 784-column row under ~20 ms, large batches no
slower than before.

    .venv/bin/python bench/predict_latency.py [--data ../shared/data] [--rows 200] [--batch 1000]

Adds one record per model and input (every single-row time, both batch rates, the ratios to the
floor) to ``bench/results/predict_latency.json`` through ``bench/record.py``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import record

from modelyard.data.dataset import read_table
from modelyard.model import ModelBundle, fit_model
from modelyard.pipeline import prepare
from modelyard.spec import validate_spec

ROOT = Path(__file__).resolve().parent.parent
MODELS = [  # (label, data set, source options, target, learner, parameters)
    ("telco logistic", "telco_churn/Telco-Customer-Churn.csv", {}, "Churn", "logistic", {}),
    (
        "telco lightgbm",
        "telco_churn/Telco-Customer-Churn.csv",
        {},
        "Churn",
        "lightgbm",
        {"n_estimators": 100},
    ),
    (
        "mnist logistic",
        "mnist_5k/mnist_5k.csv.gz",
        {"header": False},
        "c784",
        "logistic",
        {"max_iter": 50},
    ),
]


def train_and_load(
    data: Path, source: dict, target: str, learner: str, params: dict, directory: Path
) -> tuple[ModelBundle, pd.DataFrame, pd.DataFrame]:
    """(bundle loaded from disk, raw test rows as read, typed test rows) for one model."""
    spec = validate_spec(
        {"data": {"source": {"path": str(data), **source}, "target": target}, "seed": 0}
    )
    prepared = prepare(spec)
    dataset, split, y = prepared.dataset, prepared.split, prepared.y
    train = dataset.frame.iloc[split.train][dataset.features]
    fitted = fit_model(train, y[split.train], schema=dataset.schema, task=dataset.task,
                       learner=learner, params=params, labels=prepared.labels)
    fitted.bundle.save(directory)
    test = split.open_test("latency benchmark")
    raw = read_table(spec.data.source)[0]
    raw = raw.set_axis([str(c) for c in raw.columns], axis=1)
    return (
        ModelBundle.load(directory),
        raw.iloc[test].drop(columns=[target]),
        dataset.frame.iloc[test][dataset.features],
    )


def single_rows(
    call: Callable[[int], object], n_rows: int, rows: int, seconds: float
) -> np.ndarray:
    """Milliseconds per call of ``call(i)`` over up to ``rows`` rows and ``seconds`` seconds."""
    for i in range(5):  # warm-up
        call(i % n_rows)
    times, started = [], time.perf_counter()
    for i in range(rows):
        begin = time.perf_counter()
        call(i % n_rows)
        end = time.perf_counter()
        times.append(end - begin)
        if end - started > seconds and len(times) >= 20:
            break
    return np.asarray(times) * 1000.0


def best_of(call: Callable[[], object], repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        begin = time.perf_counter()
        call()
        times.append(time.perf_counter() - begin)
    return min(times)


def measure(bundle: ModelBundle, rows: pd.DataFrame, args: argparse.Namespace) -> dict:
    """One-row and batch timings of ``bundle.predict`` and of the learner on transformed rows."""
    n = min(len(rows), args.rows)
    singles = [rows.iloc[[i]] for i in range(n)]
    transformed = [bundle.transform(one) for one in singles]
    full = bundle.predict_codes(bundle.transform(rows.iloc[:n]))
    for i in range(min(n, 20)):  # the timed paths predict the same thing
        assert bundle.predict_codes(transformed[i])[0] == full[i], "one row differs from a batch"
    picks = np.random.default_rng(0).integers(0, len(rows), size=args.batch)
    batch = rows.iloc[picks]
    x_batch = bundle.transform(batch)
    model = bundle.learner
    return {
        "pipeline_ms": single_rows(lambda i: bundle.predict(singles[i]), n, n, args.seconds),
        "floor_ms": single_rows(lambda i: model.predict(transformed[i]), n, n, args.seconds),
        "pipeline_rps": args.batch / best_of(lambda: bundle.predict(batch)),
        "floor_rps": args.batch / best_of(lambda: model.predict(x_batch)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--rows", type=int, default=200, help="single rows timed per model")
    parser.add_argument("--seconds", type=float, default=5.0, help="cap per single-row loop")
    parser.add_argument("--batch", type=int, default=1000, help="rows in the timed batch")
    args = parser.parse_args()
    stamper = record.Stamper()
    done = []
    header = (
        f"{'model':<16} {'input':<6} {'p50 ms':>8} {'p99 ms':>8} {'floor p50':>9} "
        f"{'floor p99':>9} {'x floor':>7} {'batch rows/s':>12} {'floor rows/s':>12} "
        f"{'x floor':>7}"
    )
    print(header)
    with tempfile.TemporaryDirectory() as tmp:
        for label, path, source, target, learner, params in MODELS:
            bundle, raw, typed = train_and_load(
                args.data / path,
                source,
                target,
                learner,
                params,
                Path(tmp) / label.replace(" ", "_"),
            )
            for kind, rows in (("raw", raw), ("typed", typed)):
                stamper.start()
                r = measure(bundle, rows, args)
                p50, p99 = np.percentile(r["pipeline_ms"], [50, 99])
                f50, f99 = np.percentile(r["floor_ms"], [50, 99])
                print(
                    f"{label:<16} {kind:<6} {p50:8.2f} {p99:8.2f} {f50:9.2f} {f99:9.2f} "
                    f"{p50 / f50:7.2f} {r['pipeline_rps']:12.0f} {r['floor_rps']:12.0f} "
                    f"{r['floor_rps'] / r['pipeline_rps']:7.2f}"
                )
                done.append({
                    "model": label, "learner": learner, "params": params, "input": kind,
                    "data": path, "rows": args.rows, "seconds_cap": args.seconds,
                    "batch": args.batch,
                    "p50_ms": round(float(p50), 4), "p99_ms": round(float(p99), 4),
                    "floor_p50_ms": round(float(f50), 4), "floor_p99_ms": round(float(f99), 4),
                    "p50_over_floor": round(float(p50 / f50), 4),
                    "batch_rows_per_s": round(r["pipeline_rps"], 1),
                    "floor_batch_rows_per_s": round(r["floor_rps"], 1),
                    "pipeline_ms": [round(float(t), 4) for t in r["pipeline_ms"]],
                    "floor_ms": [round(float(t), 4) for t in r["floor_ms"]],
                    "stamp": stamper.stamp(),
                })  # fmt: skip
    key_fields = ("model", "input", "batch")
    record.add("predict_latency", done, key=lambda r: tuple(r[k] for k in key_fields))


if __name__ == "__main__":
    main()
