"""Greedy ensemble selection (Caruana et al., 2004) on made-up out-of-fold predictions."""

from __future__ import annotations

import numpy as np
import pytest

from modelyard.errors import SpecError
from modelyard.evaluation.metrics import get_metric
from modelyard.search.ensemble import blend, select_ensemble
from modelyard.search.scoring import score_predictions


def _noisy_regressors(seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=400)
    # independent errors: averaging helps; the third candidate is poor
    return y, [y + rng.normal(scale=s, size=400) for s in (0.5, 0.55, 3.0)]


def test_the_ensemble_is_never_worse_than_the_best_single_candidate():
    y, predictions = _noisy_regressors()
    rmse = get_metric("rmse", "regression")
    selection = select_ensemble(predictions, y, metric=rmse, task="regression")
    singles = [score_predictions(rmse, "regression", y, p) for p in predictions]
    assert selection.score <= min(singles)
    assert selection.score < min(singles) * 0.9  # two independent errors: a real gain
    assert selection.weights.sum() == pytest.approx(1.0)
    assert selection.history[0] == pytest.approx(min(singles))  # round one picks the best
    blended = blend(predictions, selection.weights)
    assert score_predictions(rmse, "regression", y, blended) == pytest.approx(selection.score)


def test_weights_are_selection_counts_and_a_useless_candidate_gets_none():
    y, predictions = _noisy_regressors(1)
    selection = select_ensemble(predictions, y, metric=get_metric("rmse", "regression"),
                                task="regression", rounds=20)
    sizes = [n for n in range(1, 21) if np.allclose(selection.weights * n,
                                                       np.round(selection.weights * n))]
    assert sizes, "weights must be selection counts over the ensemble size (at most 20)"
    assert selection.weights[2] == pytest.approx(0, abs=1e-12) and selection.members == [0, 1]


def test_classification_probabilities_are_averaged_and_selection_is_reproducible():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, size=300)
    def candidate(noise):
        p = np.clip(0.5 + (y - 0.5) * 0.4 + rng.normal(scale=noise, size=300), 0.01, 0.99)
        return np.column_stack([1 - p, p])
    predictions = [candidate(0.3), candidate(0.3), candidate(0.6)]
    auc = get_metric("roc_auc", "binary")
    first = select_ensemble(predictions, y, metric=auc, task="binary")
    second = select_ensemble(predictions, y, metric=auc, task="binary")
    # exact: same computation twice (reproducibility)
    assert np.array_equal(first.weights, second.weights) and first.score == second.score
    assert first.score >= max(score_predictions(auc, "binary", y, p) for p in predictions)


def test_no_candidates_is_an_error():
    with pytest.raises(SpecError, match="at least one candidate"):
        select_ensemble([], np.zeros(3), metric=get_metric("rmse"), task="regression")
