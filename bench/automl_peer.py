"""Run one peer AutoML system on one prepared dataset; executed inside bench/.peers-venv.

Invoked by ``bench/automl.py`` as ``python automl_peer.py JOB_DIR``. ``JOB_DIR`` holds
``train.parquet``, ``test.parquet`` (features only) and ``job.json`` ({system, task, target,
metric, time_limit, seed, cores}). It writes ``predictions.parquet`` (one column ``prediction``:
the positive-class probability for binary tasks, the value for regression) and ``result.json``
({fit_seconds, predict_seconds, info}). Nothing is pickled across the boundary; AutoGluon's own
model folder stays inside ``JOB_DIR``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pandas as pd

FLAML_METRICS = {"roc_auc": "roc_auc", "average_precision": "ap", "rmse": "rmse"}
AUTOGLUON_METRICS = {"roc_auc": "roc_auc", "average_precision": "average_precision",
                     "rmse": "root_mean_squared_error"}


def run_flaml(train: pd.DataFrame, test: pd.DataFrame, job: dict) -> tuple[pd.Series, dict]:
    from flaml import AutoML

    y = train.pop(job["target"])
    automl = AutoML()
    automl.fit(train, y, task="classification" if job["task"] == "binary" else "regression",
               metric=FLAML_METRICS[job["metric"]], time_budget=job["time_limit"],
               seed=job["seed"], n_jobs=job["cores"], verbose=0)
    started = time.perf_counter()
    if job["task"] == "binary":
        prediction = automl.predict_proba(test)[:, 1]
    else:
        prediction = automl.predict(test)
    info = {"best_estimator": automl.best_estimator,
            "predict_seconds": time.perf_counter() - started}
    return pd.Series(prediction, name="prediction"), info


def run_autogluon(train: pd.DataFrame, test: pd.DataFrame, job: dict,
                  folder: Path) -> tuple[pd.Series, dict]:
    from autogluon.tabular import TabularPredictor

    predictor = TabularPredictor(
        label=job["target"], eval_metric=AUTOGLUON_METRICS[job["metric"]],
        problem_type="binary" if job["task"] == "binary" else "regression",
        path=str(folder / "autogluon"), verbosity=0,
    )
    predictor.fit(train, time_limit=job["time_limit"], presets="medium_quality",
                  num_cpus=job["cores"])
    started = time.perf_counter()
    if job["task"] == "binary":
        proba = predictor.predict_proba(test)
        prediction = proba[predictor.positive_class].to_numpy()
    else:
        prediction = predictor.predict(test).to_numpy()
    info = {"best_model": predictor.model_best,
            "predict_seconds": time.perf_counter() - started}
    return pd.Series(prediction, name="prediction"), info


def main(job_dir: Path) -> None:
    job = json.loads((job_dir / "job.json").read_text())
    train = pd.read_parquet(job_dir / "train.parquet")
    test = pd.read_parquet(job_dir / "test.parquet")
    started = time.perf_counter()
    if job["system"] == "flaml":
        prediction, info = run_flaml(train, test, job)
    elif job["system"] == "autogluon":
        prediction, info = run_autogluon(train, test, job, job_dir)
    else:
        raise SystemExit(f"unknown peer system {job['system']!r}; valid: flaml, autogluon")
    info["seconds"] = time.perf_counter() - started
    prediction.to_frame().to_parquet(job_dir / "predictions.parquet")
    (job_dir / "result.json").write_text(json.dumps(info, default=str))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
