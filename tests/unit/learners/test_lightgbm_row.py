"""LightGBM's single-row C API path (``lightgbm_row.RowPredictor``) answers what
``Booster.predict`` answers, to the last bit, for binary, multiclass and regression boosters,
early-stopped ones, saved and loaded ones, and from many threads at once.

Data: ``row_data.py`` (the committed telco and california housing slices).
"""

from __future__ import annotations

import copy
import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from row_data import housing, layout_matrix, rows

from modelyard.learners.gbdt_lightgbm import LightGBMLearner
from modelyard.learners.lightgbm_row import RowPredictor


def fitted(task: str, early_stopped: bool = False) -> tuple[LightGBMLearner, np.ndarray]:
    frame, y = rows(task)
    learner = LightGBMLearner(n_estimators=120, num_leaves=15, seed=1)
    if early_stopped:
        learner.set_params(early_stopping_rounds=5, learning_rate=0.3)
        cut = len(frame) * 3 // 4
        learner.fit(frame.iloc[:cut], y[:cut], eval_set=(frame.iloc[cut:], y[cut:]))
    else:
        learner.fit(frame, y)
    return learner, layout_matrix(learner, frame)


def booster_answer(learner: LightGBMLearner, rows: np.ndarray) -> np.ndarray:
    """What the learner answered before the single-row path: the booster's own predict."""
    saved = learner.row_predictor_ if hasattr(learner, "row_predictor_") else None
    learner.row_predictor_ = False  # (False: no single-row path)
    try:
        return learner.predict_matrix(rows)
    finally:
        if saved is None:
            del learner.row_predictor_
        else:
            learner.row_predictor_ = saved


@pytest.mark.parametrize(("task", "early_stopped"),
                         [("binary", False), ("binary", True), ("multiclass", False),
                          ("regression", False), ("regression", True)])
def test_every_row_matches_the_boosters_predict_to_the_last_bit(task, early_stopped):
    learner, matrix = fitted(task, early_stopped)
    if early_stopped:
        assert learner.best_iteration_ < learner.n_trees_
    assert np.isnan(matrix).any() or task != "binary"
    expected = [booster_answer(learner, matrix[i : i + 1]) for i in range(len(matrix))]
    got = [learner.predict_matrix(matrix[i : i + 1]) for i in range(len(matrix))]
    assert isinstance(learner.row_predictor_, RowPredictor)
    assert all(e.shape == g.shape for e, g in zip(expected, got, strict=True))
    assert [i for i, (e, g) in enumerate(zip(expected, got, strict=True))
            if not np.array_equal(e, g)] == []


def test_a_loaded_learner_answers_the_same(tmp_path):
    learner, matrix = fitted("binary", early_stopped=True)
    learner.save(tmp_path / "model")
    loaded = LightGBMLearner.load(tmp_path / "model")
    for i in range(0, len(matrix), 7):
        row = matrix[i : i + 1]
        assert np.array_equal(loaded.predict_matrix(row), learner.predict_matrix(row))
        assert np.array_equal(loaded.predict_matrix(row), booster_answer(learner, row))


def test_threads_at_once_get_their_own_rows_answers():
    learner, matrix = fitted("multiclass")
    expected = [booster_answer(learner, matrix[i : i + 1]) for i in range(len(matrix))]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda i: learner.predict_matrix(matrix[i : i + 1]),
                            [i for _ in range(4) for i in range(len(matrix))]))
    n = len(matrix)
    assert all(np.array_equal(got[k], expected[k % n]) for k in range(len(got)))


def test_a_row_of_the_wrong_width_is_refused():
    learner, matrix = fitted("regression")
    learner.predict_matrix(matrix[:1])
    with pytest.raises(ValueError, match="expected 8 features"):
        learner.row_predictor_.predict(matrix[0, :5])


def test_refitting_sets_up_a_new_predictor():
    learner, matrix = fitted("regression")
    learner.predict_matrix(matrix[:1])
    frame, y = housing("regression")
    learner.set_params(n_estimators=5)
    learner.fit(frame, y)
    assert not hasattr(learner, "row_predictor_")
    row = matrix[:1]
    assert np.array_equal(learner.predict_matrix(row), booster_answer(learner, row))


def test_a_learner_with_a_row_predictor_pickles_and_copies():
    """scikit-learn's convention: estimators pickle. The predictor (a C handle and a lock) is
    left out and set up again."""
    learner, matrix = fitted("binary")
    row = matrix[:1]
    expected = learner.predict_matrix(row)
    assert isinstance(learner.row_predictor_, RowPredictor)
    for other in (pickle.loads(pickle.dumps(learner)), copy.deepcopy(learner)):
        assert not hasattr(other, "row_predictor_")
        assert np.array_equal(other.predict_matrix(row), expected)
