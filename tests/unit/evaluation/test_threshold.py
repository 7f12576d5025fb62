"""Decision-threshold tuning: exact on small cases, agrees with scikit-learn, ties go to 0.5."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    matthews_corrcoef,
    roc_curve,
)

from modelyard.errors import DataError, SpecError
from modelyard.evaluation.threshold import THRESHOLD_METRICS, apply_threshold, tune_threshold

SKLEARN = {
    "f1": lambda y, p: f1_score(y, p, zero_division=0),
    "balanced_accuracy": balanced_accuracy_score,
    "accuracy": accuracy_score,
    "mcc": matthews_corrcoef,
}


def test_f1_threshold_on_a_small_case():
    threshold, score = tune_threshold([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    assert threshold == pytest.approx(0.35, abs=1e-12) and score == pytest.approx(0.8)


def test_ties_go_to_the_threshold_closest_to_one_half():
    # accuracy is 0.75 at both 0.3 and 0.8; 0.3 is closer to 0.5
    threshold, score = tune_threshold([0, 1, 0, 1], [0.2, 0.3, 0.7, 0.8], metric="accuracy")
    assert threshold == pytest.approx(0.3, abs=1e-12) and score == pytest.approx(0.75)


def test_a_probability_matrix_is_accepted():
    proba = np.array([[0.9, 0.1], [0.6, 0.4], [0.65, 0.35], [0.2, 0.8]])
    by_column = tune_threshold([0, 0, 1, 1], proba[:, 1])
    assert tune_threshold([0, 0, 1, 1], proba) == pytest.approx(by_column, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(
        st.tuples(st.integers(0, 1), st.sampled_from([i / 20 for i in range(21)])),
        min_size=2,
        max_size=40,
    ),
    metric=st.sampled_from(sorted(SKLEARN)),
)
def test_agrees_with_scikit_learn_brute_force(data, metric):
    y = np.array([d[0] for d in data])
    proba = np.array([d[1] for d in data])
    if len(np.unique(y)) < 2:
        with pytest.raises(DataError):
            tune_threshold(y, proba, metric=metric)
        return
    threshold, score = tune_threshold(y, proba, metric=metric)
    reference = SKLEARN[metric]
    assert score == pytest.approx(reference(y, apply_threshold(proba, threshold)), abs=1e-9)
    scores = {t: reference(y, (proba >= t).astype(int)) for t in np.unique(proba)}
    best = max(scores.values())
    assert score == pytest.approx(best, abs=1e-9)
    tied = [t for t, s in scores.items() if s >= best - 1e-9]
    assert abs(threshold - 0.5) == pytest.approx(min(abs(t - 0.5) for t in tied))


def test_many_distinct_probabilities_are_thinned_but_stay_near_the_best():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 5000)
    proba = np.clip(0.35 * y + rng.uniform(0, 0.65, 5000), 0, 1)
    threshold, score = tune_threshold(y, proba, metric="balanced_accuracy")
    assert threshold in set(proba)
    exact = balanced_accuracy_score(y, apply_threshold(proba, threshold))
    assert score == pytest.approx(exact)
    fpr, tpr, _ = roc_curve(y, proba)  # every distinct threshold, for the exact optimum
    assert score >= np.max((tpr + 1 - fpr) / 2) - 0.005


def test_unknown_metric_lists_the_valid_ones():
    with pytest.raises(SpecError) as info:
        tune_threshold([0, 1], [0.2, 0.8], metric="f2")
    for name in THRESHOLD_METRICS:
        assert name in str(info.value)
    assert {"f1", "balanced_accuracy"} <= set(THRESHOLD_METRICS)


@pytest.mark.parametrize(
    ("y", "proba"),
    [
        ([1, 1, 1], [0.2, 0.5, 0.9]),  # one class only
        ([0, 1, 2], [0.2, 0.5, 0.9]),  # not binary codes
        ([0, 1], [0.2, 0.5, 0.9]),  # lengths differ
        ([0, 1], [-0.2, 0.5]),  # not a probability
        ([0, 1], [np.nan, 0.5]),
        ([], []),
    ],
)
def test_bad_inputs_are_data_errors(y, proba):
    with pytest.raises(DataError) as info:
        tune_threshold(y, proba)
    assert info.value.hint


def test_apply_threshold_gives_int_codes():
    codes = apply_threshold(np.array([0.1, 0.5, 0.49, 0.9]), 0.5)
    assert codes.dtype == np.int64 and codes.tolist() == [0, 1, 0, 1]
    assert apply_threshold([[0.3, 0.7], [0.8, 0.2]], 0.6).tolist() == [1, 0]
    for bad in (1.5, -0.1, "0.5", None, True):
        with pytest.raises(SpecError):
            apply_threshold([0.2], bad)
