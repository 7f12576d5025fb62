"""Single-row prediction in process: ``predict_row`` (the fast path) against the batch path on a
one-row frame and against the floor, the learner's library on a NumPy row (issue 19, item 3).

Models are trained on the full data set (telco churn with logistic regression, LightGBM of 100
trees, XGBoost, CatBoost, the MLP and an ensemble of LightGBM and logistic; california housing
with LightGBM), saved and loaded as the server loads them. The records are the data's rows as a
JSON request carries them (read raw from the file, through ``to_json``). For each model, the same
``--rows`` records are timed one call at a time (p50 and p99), in three ways:

* ``fast``: ``model.predict_row(record)``: the compiled check, preprocessing and learner input
  (``model/fastpath.py``), the output columns as plain values;
* ``batch``: ``model.predict_checked(check_schema(pd.DataFrame([record]), schema))``: what
  ``predict_row`` did before (a one-row DataFrame through the vectorised path);
* ``floor``: the learner alone on the row already encoded as a NumPy array
  (``learner.predict_matrix``: LightGBM's ``Booster.predict``, XGBoost's ``inplace_predict``,
  CatBoost on a Pool of one row, the logistic dot product, the network's forward pass); for an
  ensemble, every member's. For LightGBM the bare ``Booster.predict`` is timed as well.

Every fast answer is checked equal to the batch answer before timing (bit for bit). Target
(issue): the in-process path close to the floor, well under 1 ms, so that HTTP p50 <= 2 ms.

    .venv/bin/python bench/single_row.py [--data ../shared/data] [--rows 500]

Adds one record per model to ``bench/results/single_row.json`` through ``bench/record.py``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import record
from bench_models import DATA, MODELS, add_times, build, timed

from modelyard.data.infer import check_schema
from modelyard.model.fastpath import row_path


def records_of(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON carries them."""
    return json.loads(frame.to_json(orient="records"))


def batch_answer(model, record_: dict) -> dict:
    checked = check_schema(pd.DataFrame([record_]), model.schema)
    return {k: v[0].item() if isinstance(v[0], np.generic) else v[0]
            for k, v in model.predict_checked(checked).items()}


def measure(model, records: list[dict], rows: int) -> dict[str, np.ndarray]:
    picks = [records[i] for i in np.random.default_rng(0).permutation(len(records))[:rows]]
    path = row_path(model)
    assert path is not None, "the model should have a compiled row path"
    for r in picks[:100]:  # exact: the fast path answers bit for bit as the batch path
        assert path.output(r) is not None and model.predict_row(r) == batch_answer(model, r)
    encoded = [[(enc.row(path.check.check(r)), learner) for enc, learner in path.members]
               for r in picks]
    out = {
        "fast": timed(lambda i: model.predict_row(picks[i]), len(picks)),
        "batch": timed(lambda i: batch_answer(model, picks[i]), len(picks)),
        "floor": timed(lambda i: [lrn.predict_matrix(x) for x, lrn in encoded[i]], len(picks)),
    }
    learner = path.members[0][1]
    if len(path.members) == 1 and hasattr(learner, "booster_") and learner.name == "lightgbm":
        booster = learner.booster_
        out["booster"] = timed(lambda i: booster.predict(encoded[i][0][0], num_threads=1),
                               len(picks))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--rows", type=int, default=500, help="records timed per model")
    args = parser.parse_args()
    stamper = record.Stamper()
    done = []
    print(f"{'model':<18} {'fast p50':>8} {'p99':>7} {'batch p50':>9} {'p99':>7} "
          f"{'floor p50':>9} {'p99':>7} {'fast/floor':>10} {'batch/fast':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        for label, (path, target, task), learners in MODELS:
            model, frame = build(args.data / path, target, task, learners,
                                 Path(tmp) / label.replace(" ", "_"))
            stamper.start()
            times = measure(model, records_of(frame), args.rows)
            entry = {"model": label, "data": path, "task": task,
                     "learners": [[n, prm] for n, prm in learners], "rows": len(times["fast"])}
            p = add_times(entry, times)
            print(f"{label:<18} {p['fast'][0]:8.3f} {p['fast'][1]:7.3f} {p['batch'][0]:9.3f} "
                  f"{p['batch'][1]:7.3f} {p['floor'][0]:9.3f} {p['floor'][1]:7.3f} "
                  f"{p['fast'][0] / p['floor'][0]:10.2f} {p['batch'][0] / p['fast'][0]:10.1f}"
                  + (f"   booster p50 {p['booster'][0]:.3f}" if "booster" in p else ""))
            entry["fast_over_floor"] = round(float(p["fast"][0] / p["floor"][0]), 3)
            entry["batch_over_fast"] = round(float(p["batch"][0] / p["fast"][0]), 2)
            entry["stamp"] = stamper.stamp()
            done.append(entry)
    record.add("single_row", done, key=lambda r: (r["model"], r["rows"]))


if __name__ == "__main__":
    main()
