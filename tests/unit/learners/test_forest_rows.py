"""The forests' few-row path (``forest_rows.FlatForest``) answers what scikit-learn answers, to
the last bit, and steps aside for large batches and large forests.

Data: the committed telco (binary) and california housing (regression, and ocean proximity as a
five-class target) slices, with missing values, so that every node's missing-value direction is
taken on some rows.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import row_data

from modelyard.learners import forest_rows
from modelyard.learners.forest import ExtraTreesLearner, RandomForestLearner

DATA = Path(__file__).parents[2] / "data"
FORESTS = (RandomForestLearner, ExtraTreesLearner)


def with_missing(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """About one value in eight set missing, in every column."""
    rng = np.random.default_rng(seed)
    return frame.mask(rng.random(frame.shape) < 0.125)


def telco() -> tuple[pd.DataFrame, np.ndarray]:
    raw = pd.read_csv(DATA / "telco_churn.csv")
    raw["TotalCharges"] = pd.to_numeric(raw["TotalCharges"], errors="coerce")
    columns = ["SeniorCitizen", "tenure", "MonthlyCharges", "TotalCharges"]
    frame = pd.concat(
        [raw[columns], pd.get_dummies(raw[["Contract", "InternetService"]], dtype=float)], axis=1
    )
    return with_missing(frame.astype(float), 0), (raw["Churn"] == "Yes").to_numpy(np.int64)


def housing(target: str) -> tuple[pd.DataFrame, np.ndarray]:
    frame, y = row_data.housing(target)
    return with_missing(frame.astype(float), 1), y


CASES = {
    "binary": (telco, {}),
    "binary-balanced": (telco, {"class_weight": "balanced", "min_samples_leaf": 3}),
    "multiclass": (lambda: housing("multiclass"), {"max_depth": 6}),
    "regression": (lambda: housing("regression"), {}),
}


def fitted(cls, case: str):
    load, params = CASES[case]
    frame, y = load()
    learner = cls(n_estimators=40, seed=3, **params).fit(frame, y)
    return learner, frame.to_numpy(dtype=np.float64)


def sklearn_answer(learner, matrix: np.ndarray) -> np.ndarray:
    """scikit-learn's own prediction, in the learner's output shape."""
    model = learner.model_
    model.n_jobs = 1
    if learner.is_classifier:
        return learner._full_proba(model.predict_proba(matrix), model.classes_)
    return model.predict(matrix)


@pytest.mark.parametrize("cls", FORESTS, ids=lambda c: c.name)
@pytest.mark.parametrize("case", list(CASES))
def test_single_rows_match_scikit_learn_to_the_last_bit(cls, case):
    learner, matrix = fitted(cls, case)
    assert np.isnan(matrix).any()
    mismatched = [
        i
        for i in range(len(matrix))
        if not np.array_equal(
            learner.predict_matrix(matrix[i : i + 1]), sklearn_answer(learner, matrix[i : i + 1])
        )
    ]
    assert mismatched == []
    assert isinstance(learner.flat_forest_, forest_rows.FlatForest)


@pytest.mark.parametrize("cls", FORESTS, ids=lambda c: c.name)
def test_a_small_batch_and_a_large_one_agree_with_scikit_learn(cls):
    learner, matrix = fitted(cls, "binary")
    small = matrix[: forest_rows.MAX_ROWS]
    assert np.array_equal(learner.predict_matrix(small), sklearn_answer(learner, small))
    assert np.array_equal(learner.predict_matrix(matrix), sklearn_answer(learner, matrix))
    # the few-row path walks the trees' own arrays: a row of all-missing values included
    empty = np.full((1, matrix.shape[1]), np.nan)
    assert np.array_equal(learner.predict_matrix(empty), sklearn_answer(learner, empty))


def test_a_forest_too_large_to_copy_keeps_scikit_learns_path(monkeypatch):
    monkeypatch.setattr(forest_rows, "MAX_NODES", 10)
    learner, matrix = fitted(RandomForestLearner, "regression")
    row = matrix[:1]
    assert np.array_equal(learner.predict_matrix(row), sklearn_answer(learner, row))
    assert learner.flat_forest_ is False


def test_refitting_drops_the_flattened_trees_of_the_earlier_fit():
    learner, matrix = fitted(RandomForestLearner, "binary")
    learner.predict_matrix(matrix[:1])
    assert learner.flat_forest_.n_trees == 40
    frame, y = telco()
    learner.set_params(n_estimators=7)
    learner.fit(frame, y)
    assert not hasattr(learner, "flat_forest_")
    row = matrix[:1]
    assert np.array_equal(learner.predict_matrix(row), sklearn_answer(learner, row))
    assert learner.flat_forest_.n_trees == 7


def test_a_pickled_forest_leaves_the_flattened_trees_out():

    learner, matrix = fitted(RandomForestLearner, "binary")
    row = matrix[:1]
    expected = learner.predict_matrix(row)
    assert learner.flat_forest_
    other = pickle.loads(pickle.dumps(learner))
    assert not hasattr(other, "flat_forest_")
    assert np.array_equal(other.predict_matrix(row), expected)
