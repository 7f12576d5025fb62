"""The search end to end on real slices: every trial on the leaderboard, an ensemble no worse
than the best single model, the time budget kept, reproducible with max_trials, parallel trials,
and nothing but the rows it was given."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from modelyard.data.infer import infer_schema
from modelyard.features import rows_digest
from modelyard.model import EnsembleBundle, encode_target
from modelyard.search import search
from modelyard.search.bagging import plan_validation
from modelyard.search.scoring import search_metric, utility

DATA = Path(__file__).parents[1] / "data"


def _table(name: str, target: str, task: str):
    frame, schema = infer_schema(pd.read_csv(DATA / name), target=target)
    y, labels = encode_target(frame[target], task)
    return frame[schema.names], y, schema, labels


@pytest.fixture(scope="module")
def telco():
    return _table("telco_churn.csv", "Churn", "binary")


@pytest.fixture(scope="module")
def housing():
    return _table("california_housing.csv", "median_house_value", "regression")


def _predictions(model, frame):
    return model.predict_proba(frame) if model.task != "regression" else model.predict(frame)


@pytest.mark.parametrize("dataset,task,metric", [("telco", "binary", "roc_auc"),
                                                 ("housing", "regression", "rmse")])
def test_search_with_max_trials_records_every_trial_and_ensembles(request, dataset, task, metric):
    frame, y, schema, labels = request.getfixturevalue(dataset)
    seen = []
    result = search(frame, y, schema=schema, task=task, max_trials=8, folds=3, seed=11,
                    labels=labels, on_trial=seen.append)
    records = result.leaderboard.to_records()
    assert len(records) == len(seen) == 8 and [r["trial"] for r in records] == list(range(8))
    assert result.metric == metric and result.validation == "kfold"
    m = search_metric(metric, task)
    assert utility(m, result.oof_score) >= utility(m, result.best_single["score"])
    assert sum(result.ensemble_weights.values()) == pytest.approx(1.0)
    assert isinstance(result.model, EnsembleBundle)  # two refit members at least
    predictions = _predictions(result.model, frame)
    assert len(predictions) == len(y) and np.isfinite(predictions).all()
    summary = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    # exact: stored values read back (JSON keeps every float's digits)
    assert summary["leaderboard"] == records and summary["oof_score"] == result.oof_score


def test_two_runs_with_the_same_seed_and_max_trials_are_identical(telco):
    frame, y, schema, labels = telco
    runs = [search(frame, y, schema=schema, task="binary", max_trials=7, folds=3, seed=2,
                   labels=labels, learners=["lightgbm", "logistic", "mlp", "random_forest"])
            for _ in range(2)]
    boards = [[(r["learner"], r["params"], r["score"], r["status"])
               for r in run.leaderboard.to_records()] for run in runs]
    assert boards[0] == boards[1]  # exact: same computation twice (reproducibility)
    assert runs[0].ensemble_weights == runs[1].ensemble_weights  # exact: same, twice
    # exact: same computation twice (reproducibility)
    np.testing.assert_array_equal(_predictions(runs[0].model, frame),
                                  _predictions(runs[1].model, frame))


def test_parallel_trials_give_the_same_results_as_sequential_ones(housing):
    frame, y, schema, _ = housing
    kwargs = dict(schema=schema, task="regression", max_trials=4, folds=3, seed=4,
                  learners=["lightgbm", "linear", "extra_trees"])
    sequential = search(frame, y, parallel=1, **kwargs)
    parallel = search(frame, y, parallel=2, **kwargs)
    # each trial is fitted and scored in a worker process: compared with a tolerance
    assert [(r["learner"], r["score"]) for r in sequential.leaderboard.to_records()] == \
        [(r["learner"], pytest.approx(r["score"], rel=1e-9))
         for r in parallel.leaderboard.to_records()]
    np.testing.assert_allclose(sequential.model.predict(frame), parallel.model.predict(frame))
    built = [n for n in parallel.notes if n.startswith("trial ") and "weight" in n]
    assert built and all(n.endswith("fold models, saved by the worker") for n in built), built
    left = list(Path(tempfile.gettempdir()).glob(f"modelyard-trials-{os.getpid()}-*"))
    assert not left, left  # the workers' saved models went with the search


def test_a_time_budget_is_kept(telco):
    frame, y, schema, labels = telco
    budget = 20.0
    started = time.monotonic()
    result = search(frame, y, schema=schema, task="binary", time_budget=budget, seed=0,
                    labels=labels)
    elapsed = time.monotonic() - started
    # the search ends by itself on a time budget alone and accounts for its own time; how close
    # to the budget it lands depends on the machine and its load: bench/train_budget.py
    # measures that, a test does not assert it
    assert len(result.leaderboard) >= 1 and 0 < result.seconds <= elapsed


@pytest.mark.parametrize("deploy", ["bagged", "refit"])
def test_only_the_rows_given_reach_the_search(telco, deploy):
    frame, y, schema, labels = telco
    test_rows = np.arange(len(y)) % 5 == 0  # held back by the caller, never passed
    train, y_train = frame[~test_rows], y[~test_rows]
    result = search(train, y_train, schema=schema, task="binary", max_trials=3, folds=3, seed=9,
                    labels=labels, learners=["lightgbm", "logistic"], deploy=deploy)
    plan = plan_validation(y_train, "binary", folds=3, seed=9)
    fold_digests = {rows_digest(train.index[fit]) for fit, _ in plan.folds}
    # bagged: each member's fold models; refit: each member fitted once on every row given
    allowed = fold_digests if deploy == "bagged" else {rows_digest(train.index)}
    members = result.model.members if isinstance(result.model, EnsembleBundle) \
        else [result.model]
    for member in members:
        assert member.preprocessor.fit_rows_digest_ in allowed
        assert member.preprocessor.n_fit_rows_ <= len(train)
    assert not set(train.index) & set(frame.index[test_rows])
