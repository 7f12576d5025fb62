"""Evidently's data-drift preset on the tables of bench/drift.py, run by bench/.evidently-venv's
Python (Evidently needs pandas < 3), never by modelyard's.

    bench/.evidently-venv/bin/python bench/drift_peer.py JOB_DIR

``JOB_DIR/job.json`` names the reference Parquet file, the prediction-log folder (the server's
Parquet files, columns ``input.<name>``) and each column's kind (numerical or categorical, as
modelyard typed it). The peer reads both tables with pandas, as a user of Evidently would, runs
``Report([DataDriftPreset()])`` with its default per-column tests and thresholds, and writes
``JOB_DIR/result.json``: per column the method, threshold, value and verdict, and the seconds of
each phase.
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
import time
from pathlib import Path

START = time.perf_counter()

import pandas as pd  # noqa: E402
from evidently import DataDefinition, Dataset, Report  # noqa: E402
from evidently.presets import DataDriftPreset  # noqa: E402

# methods whose value is a p-value (drift below the threshold); the others are distances
P_VALUE_METHODS = ("p_value", "p-value")


def main() -> None:
    job_dir = Path(sys.argv[1])
    job = json.loads((job_dir / "job.json").read_text())
    imported = time.perf_counter()
    kinds: dict[str, str] = job["kinds"]
    names = list(kinds)
    reference = pd.read_parquet(job["reference"], columns=names)
    current = pd.read_parquet(job["log"], columns=[f"input.{n}" for n in names])
    current.columns = names
    read = time.perf_counter()
    definition = DataDefinition(
        numerical_columns=[n for n in names if kinds[n] == "numerical"],
        categorical_columns=[n for n in names if kinds[n] == "categorical"])
    snapshot = Report([DataDriftPreset()]).run(
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference, data_definition=definition))
    done = time.perf_counter()
    columns, share = {}, None
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if config["type"].endswith("DriftedColumnsCount"):
            share = metric["value"]["share"]
            continue
        method, threshold, value = config["method"], config["threshold"], metric["value"]
        p_value = any(word in method.lower() for word in P_VALUE_METHODS)
        columns[config["column"]] = {
            "method": method, "threshold": threshold, "value": value,
            "drifted": bool(value < threshold if p_value else value >= threshold)}
    result = {
        "columns": columns, "drifted_share": share, "drift_share_threshold": 0.5,
        "rows": {"reference": len(reference), "current": len(current)},
        "seconds": {"imports": round(imported - START, 2), "read": round(read - imported, 2),
                    "report": round(done - read, 2)},
        "versions": {name: importlib.metadata.version(name)
                     for name in ("evidently", "pandas", "numpy", "scipy", "pyarrow")},
    }
    (job_dir / "result.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
