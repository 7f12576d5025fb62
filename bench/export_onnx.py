"""An exported ONNX graph in onnxruntime against the model it came from (issue 19, item 5).

Models are trained on the full data sets (telco churn with logistic regression, LightGBM and
XGBoost of 100 trees, the MLP and an ensemble of LightGBM and logistic; california housing with
LightGBM), saved and loaded as the server loads them, and exported with ``to_onnx``. Each graph
runs in an onnxruntime session on one thread (the boosters in modelyard predict one row on one
thread too). For each model, in the same run:

* agreement: the largest difference between onnxruntime's probabilities (or values) and the
  model's on every row (relative for regression values), and the share of equal labels;
* one row, timed one call at a time over ``--rows`` JSON records (p50 and p99):
  ``predict_row``: ``model.predict_row(record)``, modelyard's single-row path;
  ``ort``: the graph on inputs built from the record in plain Python (a float or NaN per number,
  1/0 per boolean, the stripped string per category), what a server without modelyard does;
  ``ort graph``: the session alone on inputs built beforehand;
* a batch of every row: ``model.predict_proba`` (or ``predict``) on the frame against the session
  on inputs built beforehand (best of 3, rows per second);
* the export's seconds and the file's size.

    .venv/bin/python bench/export_onnx.py [--data ../shared/data] [--rows 500]

Adds one record per model to ``bench/results/export_onnx.json`` through ``bench/record.py``.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pandas as pd
import record
from bench_models import DATA, MODELS, add_times, build, timed

from modelyard.features.boolean import FALSE_TOKENS, TRUE_TOKENS
from modelyard.model.export import onnx_feeds, to_onnx

EXPORTABLE = [m for m in MODELS if not any(name == "catboost" for name, _ in m[2])]


def plain_feeds(kinds: dict[str, str]) -> Callable[[dict], dict]:
    """A record -> the graph's inputs, in plain Python (what a server without modelyard does)."""
    booleans = {**dict.fromkeys(TRUE_TOKENS, 1.0), **dict.fromkeys(FALSE_TOKENS, 0.0)}

    def number(value) -> float:
        try:
            out = float(value)
        except (TypeError, ValueError):
            return math.nan
        return out if math.isfinite(out) else math.nan

    def convert(record_: dict) -> dict:
        feeds = {}
        for name, kind in kinds.items():
            value = record_.get(name)
            if kind == "categorical":
                text = "" if value is None else str(value).strip()
                feeds[name] = np.array([[text]], dtype=object)
            elif kind == "boolean":
                flag = booleans.get(str(value).strip().lower(), math.nan)
                feeds[name] = np.array([[flag]], dtype=np.float64)
            else:
                feeds[name] = np.array([[number(value)]], dtype=np.float64)
        return feeds

    return convert


def rate(call: Callable[[], object], rows: int) -> float:
    """Rows per second of ``call()`` on ``rows`` rows, best of 3."""
    best = math.inf
    for _ in range(3):
        begin = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - begin)
    return rows / best


def measure(model, frame: pd.DataFrame, rows: int) -> dict:
    started = time.perf_counter()
    proto = to_onnx(model)
    export_s = time.perf_counter() - started
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(proto.SerializeToString(), options)
    feeds = onnx_feeds(model, frame)
    outputs = dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds),
                       strict=True))
    if model.task == "regression":
        ours = model.predict(frame)
        difference = float(np.max(np.abs(outputs["prediction"] - ours) / np.abs(ours)))
        batch_ours = lambda: model.predict(frame)  # noqa: E731
    else:
        difference = float(np.max(np.abs(outputs["probabilities"] - model.predict_proba(frame))))
        batch_ours = lambda: model.predict_proba(frame)  # noqa: E731
    same = None  # regression values are compared by max_difference
    if model.task != "regression":
        same = float(np.mean(outputs["prediction"] == model.predict(frame)))
    kinds = {c.name: c.kind for c in model.schema.columns if c.kind != "identifier"}
    convert = plain_feeds(kinds)
    records = json.loads(frame.to_json(orient="records"))
    picks = [records[i] for i in np.random.default_rng(0).permutation(len(records))[:rows]]
    built = [convert(r) for r in picks]
    times = {
        "predict_row": timed(lambda i: model.predict_row(picks[i]), len(picks)),
        "ort": timed(lambda i: session.run(None, convert(picks[i])), len(picks)),
        "ort_graph": timed(lambda i: session.run(None, built[i]), len(picks)),
    }
    return {
        "times": times,
        "max_difference": difference,
        "difference_kind": "relative" if model.task == "regression" else "absolute",
        "same_predictions": same,
        "batch_rows": len(frame),
        "batch_model_rows_per_s": rate(batch_ours, len(frame)),
        "batch_ort_rows_per_s": rate(lambda: session.run(None, feeds), len(frame)),
        "export_s": round(export_s, 3),
        "onnx_bytes": len(proto.SerializeToString()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--rows", type=int, default=500, help="records timed per model")
    args = parser.parse_args()
    stamper = record.Stamper(libraries=("onnx", "onnxruntime", "onnxmltools", "onnxscript"))
    done = []
    print(f"{'model':<18} {'row p50':>8} {'p99':>7} {'ort p50':>8} {'p99':>7} {'graph p50':>9} "
          f"{'batch rows/s':>12} {'ort rows/s':>11} {'max diff':>9} {'same':>5}")
    with tempfile.TemporaryDirectory() as tmp:
        for label, (path, target, task), learners in EXPORTABLE:
            model, frame = build(args.data / path, target, task, learners,
                                 Path(tmp) / label.replace(" ", "_"))
            stamper.start()
            result = measure(model, frame, args.rows)
            times = result.pop("times")
            entry = {"model": label, "data": path, "task": task,
                     "learners": [[n, prm] for n, prm in learners], "rows": len(times["ort"]),
                     **result}
            p = add_times(entry, times)
            print(f"{label:<18} {p['predict_row'][0]:8.3f} {p['predict_row'][1]:7.3f} "
                  f"{p['ort'][0]:8.3f} {p['ort'][1]:7.3f} {p['ort_graph'][0]:9.3f} "
                  f"{result['batch_model_rows_per_s']:12,.0f} "
                  f"{result['batch_ort_rows_per_s']:11,.0f} {result['max_difference']:9.1e} "
                  + ("    –" if result["same_predictions"] is None
                     else f"{result['same_predictions']:5.3f}"))
            entry["stamp"] = stamper.stamp()
            done.append(entry)
    record.add("export_onnx", done, key=lambda r: (r["model"], r["rows"]))


if __name__ == "__main__":
    main()
