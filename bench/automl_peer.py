"""Run one peer AutoML system on one prepared dataset; executed inside bench/.peers-venv.

Invoked by ``bench/automl.py`` as ``python automl_peer.py JOB_DIR``. ``JOB_DIR`` holds
``train.parquet``, ``test.parquet`` (features only) and ``job.json`` ({system, task, target,
metric, time_limit, seed, cores}). It writes ``predictions.parquet`` (one column ``prediction``:
the positive-class probability for binary tasks, the value for regression) and ``result.json``
({best_estimator or best_model, predict_seconds, seconds, peer}); ``peer`` holds the versions of
the peer libraries installed in this venv and, for FLAML, the learners it searched and its trials
per learner. Nothing is pickled across the boundary; AutoGluon's own model folder stays inside
``JOB_DIR``.

FLAML searches an explicit learner list: FLAML's own default list with CatBoost installed, so a run
never depends on which optional libraries happen to be in the venv; a missing one is an error.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import sys
import time
from pathlib import Path

import pandas as pd

# FLAML 2.7's default learners ("auto") when CatBoost is installed; lrl1 is classification only
FLAML_LEARNERS = ("lgbm", "rf", "xgboost", "extra_tree", "xgb_limitdepth", "sgd", "catboost")
FLAML_CLASSIFICATION_ONLY = ("lrl1",)
REQUIRED_MODULES = ("flaml", "lightgbm", "xgboost", "catboost", "sklearn", "autogluon.tabular")
PEER_LIBRARIES = ("flaml", "autogluon.tabular", "lightgbm", "xgboost", "xgboost-cpu", "catboost",
                  "scikit-learn", "numpy", "pandas", "torch", "pyarrow")


def versions() -> dict[str, str | None]:
    """Installed versions of the peer libraries in this venv (``None``: not installed)."""
    out: dict[str, str | None] = {}
    for name in PEER_LIBRARIES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    out["python"] = sys.version.split()[0]
    return out


def require_learners() -> None:
    """Fail unless every library the peers search with can be imported."""
    missing = [m for m in REQUIRED_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise SystemExit(f"the peers venv lacks {', '.join(missing)}; expected every learner of "
                         f"bench/peers-requirements.txt; rerun bench/automl.py --setup-peers")


def flaml_learners(task: str) -> list[str]:
    return [*FLAML_LEARNERS, *(FLAML_CLASSIFICATION_ONLY if task == "binary" else ())]

FLAML_METRICS = {"roc_auc": "roc_auc", "average_precision": "ap", "rmse": "rmse"}
AUTOGLUON_METRICS = {"roc_auc": "roc_auc", "average_precision": "average_precision",
                     "rmse": "root_mean_squared_error"}


def run_flaml(train: pd.DataFrame, test: pd.DataFrame, job: dict) -> tuple[pd.Series, dict]:
    from flaml import AutoML

    y = train.pop(job["target"])
    automl = AutoML()
    automl.fit(train, y, task="classification" if job["task"] == "binary" else "regression",
               metric=FLAML_METRICS[job["metric"]], time_budget=job["time_limit"],
               seed=job["seed"], n_jobs=job["cores"], verbose=0,
               estimator_list=flaml_learners(job["task"]))
    started = time.perf_counter()
    if job["task"] == "binary":
        prediction = automl.predict_proba(test)[:, 1]
    else:
        prediction = automl.predict(test)
    info = {"best_estimator": automl.best_estimator,
            "predict_seconds": time.perf_counter() - started,
            "learners": list(automl.estimator_list),
            "trials_per_learner": dict(getattr(automl, "_iter_per_learner", {}))}
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
    require_learners()
    started = time.perf_counter()
    if job["system"] == "flaml":
        prediction, info = run_flaml(train, test, job)
    elif job["system"] == "autogluon":
        prediction, info = run_autogluon(train, test, job, job_dir)
    else:
        raise SystemExit(f"unknown peer system {job['system']!r}; valid: flaml, autogluon")
    info["seconds"] = time.perf_counter() - started
    info["peer"] = {"versions": versions(),
                    **({"learners": info.pop("learners"),
                        "trials_per_learner": info.pop("trials_per_learner")}
                       if "learners" in info else {})}
    prediction.to_frame().to_parquet(job_dir / "predictions.parquet")
    (job_dir / "result.json").write_text(json.dumps(info, default=str))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
