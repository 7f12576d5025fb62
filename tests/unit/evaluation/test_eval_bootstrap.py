"""Bootstrap intervals: each vectorised weighted metric equals scikit-learn with sample_weight."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression, Ridge

from modelyard.errors import DataError, SpecError
from modelyard.evaluation.bootstrap import VECTORISED, bootstrap_ci, weighted_metric_values
from modelyard.evaluation.metrics import METRICS, score


def _weights(n: int, m: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(m)])


@pytest.fixture(scope="module")
def kc1(data_dir):
    """Binary with tied scores: a logistic regression on kc1 with probabilities rounded."""
    frame = pd.read_csv(data_dir / "kc1.csv")
    y = frame.pop("Class").astype(str).str.lower().eq("true").astype(int)
    X = frame.select_dtypes("number").fillna(0.0)
    model = LogisticRegression(max_iter=2000).fit(np.log1p(X.clip(lower=0)), y)
    proba = np.round(model.predict_proba(np.log1p(X.clip(lower=0))), 2)  # ties on purpose
    return y.to_numpy(), (proba[:, 1] >= 0.3).astype(int), proba


@pytest.fixture(scope="module")
def iris():
    data = load_iris()
    model = LogisticRegression(max_iter=1000).fit(data.data[::2], data.target[::2])
    proba = model.predict_proba(data.data[1::2])
    return data.target[1::2], proba.argmax(axis=1), proba


def test_every_registered_metric_is_vectorised():
    assert set(VECTORISED) == set(METRICS)


def test_weighted_binary_metrics_equal_sklearn_sample_weight(kc1):
    y, pred, proba = kc1
    assert len(np.unique(y)) == 2
    W = _weights(len(y), 4, seed=1)
    names = [m for m, s in METRICS.items() if "binary" in s.tasks]
    got = weighted_metric_values("binary", y, pred, proba, names, W)
    for i, w in enumerate(W):
        expected = {
            "accuracy": skm.accuracy_score(y, pred, sample_weight=w),
            "balanced_accuracy": skm.balanced_accuracy_score(y, pred, sample_weight=w),
            "f1": skm.f1_score(y, pred, sample_weight=w, zero_division=0),
            "precision": skm.precision_score(y, pred, sample_weight=w, zero_division=0),
            "recall": skm.recall_score(y, pred, sample_weight=w, zero_division=0),
            "macro_f1": skm.f1_score(y, pred, average="macro", sample_weight=w),
            "weighted_precision": skm.precision_score(y, pred, average="weighted",
                                                      sample_weight=w, zero_division=0),
            "roc_auc": skm.roc_auc_score(y, proba[:, 1], sample_weight=w),
            "average_precision": skm.average_precision_score(y, proba[:, 1], sample_weight=w),
            "log_loss": skm.log_loss(y, proba, sample_weight=w),
            "brier": skm.brier_score_loss(y, proba[:, 1], sample_weight=w),
        }
        for name, value in expected.items():
            assert got[name][i] == pytest.approx(value, rel=1e-9), name


def test_weighted_multiclass_and_regression_equal_resampled_registry(iris, data_dir):
    y, pred, proba = iris
    W = _weights(len(y), 3, seed=2)
    names = [m for m, s in METRICS.items() if "multiclass" in s.tasks]
    got = weighted_metric_values("multiclass", y, pred, proba, names, W)
    for i, w in enumerate(W):
        idx = np.repeat(np.arange(len(y)), w)
        expected = score("multiclass", y[idx], pred[idx], proba[idx], names)
        for name in names:
            if name in expected:
                assert got[name][i] == pytest.approx(expected[name], rel=1e-9), name
    frame = pd.read_csv(data_dir / "california_housing.csv")
    target = frame.pop("median_house_value").to_numpy(copy=True)
    X = frame.select_dtypes("number").fillna(0.0)
    reg_pred = Ridge().fit(X, target).predict(X)
    target[:4] = 0.0  # zero targets: MAPE must skip them in every resample
    W = _weights(len(target), 3, seed=3)
    got = weighted_metric_values("regression", target, reg_pred, None,
                                 ["rmse", "mae", "r2", "mape"], W)
    for i, w in enumerate(W):
        idx = np.repeat(np.arange(len(target)), w)
        expected = score("regression", target[idx], reg_pred[idx], None,
                         ["rmse", "mae", "r2", "mape"])
        for name, value in expected.items():
            assert got[name][i] == pytest.approx(value, rel=1e-9), name


def test_interval_contains_estimate_and_is_reproducible(kc1):
    y, pred, proba = kc1
    names = ["roc_auc", "accuracy", "f1", "log_loss"]
    point = score("binary", y, pred, proba, names)
    first = bootstrap_ci("binary", y, pred, proba, names, n_boot=400, seed=7)
    # exact: same computation twice (reproducibility)
    assert first == bootstrap_ci("binary", y, pred, proba, names, n_boot=400, seed=7)
    assert first != bootstrap_ci("binary", y, pred, proba, names, n_boot=400, seed=8)
    for name in names:
        low, high = first[name]
        assert low <= point[name] <= high, name
        assert low < high


def test_wider_alpha_gives_narrower_interval(iris):
    y, pred, proba = iris
    wide = bootstrap_ci("multiclass", y, pred, proba, ["accuracy"], n_boot=300, alpha=0.05)
    narrow = bootstrap_ci("multiclass", y, pred, proba, ["accuracy"], n_boot=300, alpha=0.5)
    assert wide["accuracy"][0] <= narrow["accuracy"][0] <= narrow["accuracy"][1] \
        <= wide["accuracy"][1]


def test_one_class_resamples_are_skipped_for_auc():
    y = np.zeros(30, dtype=int)
    y[0] = 1  # a resample misses the only positive about a third of the time
    proba = np.column_stack([np.linspace(0.9, 0.1, 30), np.linspace(0.1, 0.9, 30)])
    values = weighted_metric_values("binary", y, proba.argmax(axis=1), proba, ["roc_auc"],
                                    _weights(30, 200, seed=0))["roc_auc"]
    assert np.isnan(values).any() and np.isfinite(values).any()
    intervals = bootstrap_ci("binary", y, proba.argmax(axis=1), proba, ["roc_auc"], n_boot=200)
    low, high = intervals["roc_auc"]
    assert np.isfinite(low) and np.isfinite(high)


def test_proba_metrics_left_out_without_proba_and_bad_arguments_fail():
    y = np.array([0, 1, 1, 0])
    intervals = bootstrap_ci("binary", y, y, None, ["accuracy", "roc_auc"], n_boot=10)
    assert set(intervals) == {"accuracy"}
    with pytest.raises(SpecError, match="n_boot"):
        bootstrap_ci("binary", y, y, None, ["accuracy"], n_boot=0)
    with pytest.raises(SpecError, match="unknown metric"):
        bootstrap_ci("binary", y, y, None, ["acc"], n_boot=10)
    with pytest.raises(DataError, match="class codes"):
        bootstrap_ci("binary", y.astype(float), y, None, ["accuracy"], n_boot=10)
