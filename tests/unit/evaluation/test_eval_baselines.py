"""Baselines on the test rows, and error-reduction arithmetic, checked by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from modelyard.errors import DataError, SpecError
from modelyard.evaluation.baselines import (
    baseline_predictions,
    error_reduction,
    error_reductions,
    evaluate_baselines,
    metric_error,
)


def test_majority_and_prior_predictions():
    y_train = np.array([0, 2, 2, 1, 2, 0])  # priors 2/6, 1/6, 3/6
    pred, proba = baseline_predictions("majority", "multiclass", y_train, 3)
    assert pred.tolist() == [2, 2, 2]
    np.testing.assert_allclose(proba, [[0.0, 0.0, 1.0]] * 3, rtol=0, atol=1e-12)
    pred, proba = baseline_predictions("prior", "multiclass", y_train, 2, n_classes=4)
    assert pred.tolist() == [2, 2]
    np.testing.assert_allclose(proba, [[2 / 6, 1 / 6, 3 / 6, 0.0]] * 2)


def test_majority_tie_goes_to_smallest_code():
    pred, _ = baseline_predictions("majority", "binary", np.array([1, 0, 1, 0]), 1)
    assert pred.tolist() == [0]


def test_regression_mean_and_median_from_training_targets(data_dir):
    y = pd.read_csv(data_dir / "california_housing.csv")["median_house_value"].to_numpy()
    pred, proba = baseline_predictions("mean", "regression", y, 4)
    assert proba is None and pred.tolist() == [pytest.approx(y.mean())] * 4
    pred, _ = baseline_predictions("median", "regression", y, 2)
    assert pred.tolist() == [pytest.approx(np.median(y), rel=1e-9)] * 2


def test_evaluate_baselines_by_hand():
    y_train = np.array([0, 0, 0, 1])  # priors 0.75 / 0.25, majority 0
    y_test = np.array([0, 1, 0, 0])
    got = evaluate_baselines("binary", y_train, y_test, ["accuracy", "log_loss", "brier", "f1"])
    assert got["majority"]["accuracy"] == pytest.approx(0.75, rel=1e-9)
    assert got["prior"]["accuracy"] == pytest.approx(0.75, rel=1e-9)
    assert got["majority"]["f1"] == pytest.approx(0.0, abs=1e-12)
    expected_log_loss = -(3 * math.log(0.75) + math.log(0.25)) / 4
    assert got["prior"]["log_loss"] == pytest.approx(expected_log_loss)
    assert got["prior"]["brier"] == pytest.approx((3 * 0.25**2 + 0.75**2) / 4)
    assert got["majority"]["brier"] == pytest.approx(0.25)  # one miss with squared error 1


def test_evaluate_regression_baselines_by_hand():
    got = evaluate_baselines("regression", [1.0, 2.0, 3.0, 10.0], [2.0, 6.0], ["mae", "rmse"])
    assert got["mean"]["mae"] == pytest.approx((2 + 2) / 2)  # mean 4
    assert got["median"]["mae"] == pytest.approx((0.5 + 3.5) / 2)  # median 2.5
    assert got["median"]["rmse"] == pytest.approx(math.sqrt((0.25 + 12.25) / 2))


def test_error_reduction_arithmetic():
    # accuracy: baseline error 0.25, model error 0.1 -> 60 % of the error removed
    assert error_reduction("accuracy", 0.9, 0.75) == pytest.approx(60.0)
    # loss: 0.5 -> 0.2 removes 60 %
    assert error_reduction("log_loss", 0.2, 0.5) == pytest.approx(60.0)
    assert error_reduction("rmse", 120.0, 100.0) == pytest.approx(-20.0)  # worse than baseline
    assert error_reduction("r2", 0.75, 0.0) == pytest.approx(75.0)
    assert error_reduction("r2", 0.5, -1.0) == pytest.approx(75.0)  # baseline error 2, model 0.5
    assert metric_error("roc_auc", 0.8) == pytest.approx(0.2)


def test_error_reduction_guards():
    assert error_reduction("accuracy", 0.9, 1.0) is None  # a perfect baseline leaves nothing
    assert error_reduction("mae", 0.0, 0.0) is None
    assert error_reduction("accuracy", None, 0.5) is None
    assert error_reduction("accuracy", float("nan"), 0.5) is None
    with pytest.raises(SpecError, match="unknown metric"):
        error_reduction("acc", None, 0.5)
    assert error_reductions({"accuracy": 0.9, "f1": 0.5}, {"accuracy": 0.8}) == {
        "accuracy": pytest.approx(50.0)}


def test_bad_baseline_requests_fail_with_the_valid_choices():
    with pytest.raises(SpecError, match="majority, prior"):
        baseline_predictions("mean", "binary", np.array([0, 1]), 2)
    with pytest.raises(SpecError, match="binary, multiclass, regression"):
        evaluate_baselines("ranking", [0], [0], ["accuracy"])
    with pytest.raises(DataError, match="class codes"):
        baseline_predictions("prior", "binary", np.array(["a", "b"]), 2)
    with pytest.raises(DataError, match="empty"):
        baseline_predictions("mean", "regression", np.array([]), 2)
