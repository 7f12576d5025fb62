"""The metric registry and the structured metrics, held against scikit-learn on real slices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from modelyard.errors import DataError, SpecError
from modelyard.evaluation.metrics import (
    METRICS,
    calibration_curve_data,
    confusion,
    get_metric,
    mape_detail,
    score,
)


@pytest.fixture(scope="module")
def telco(data_dir):
    """Binary: logistic regression on the telco churn slice; (y_test, pred, proba)."""
    frame = pd.read_csv(data_dir / "telco_churn.csv")
    frame["TotalCharges"] = pd.to_numeric(frame["TotalCharges"], errors="coerce").fillna(0.0)
    y = (frame.pop("Churn") == "Yes").astype(int).to_numpy()
    X = pd.get_dummies(frame.drop(columns="customerID"), dtype=float)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(X.iloc[:200], y[:200])
    proba = model.predict_proba(X.iloc[200:])
    return y[200:], proba.argmax(axis=1), proba


@pytest.fixture(scope="module")
def iris():
    data = load_iris()
    order = np.random.default_rng(0).permutation(len(data.target))
    train, test = order[:90], order[90:]
    model = LogisticRegression(max_iter=1000).fit(data.data[train], data.target[train])
    proba = model.predict_proba(data.data[test])
    return data.target[test], proba.argmax(axis=1), proba


@pytest.fixture(scope="module")
def housing(data_dir):
    frame = pd.read_csv(data_dir / "california_housing.csv")
    y = frame.pop("median_house_value").to_numpy()
    X = pd.get_dummies(frame, dtype=float).fillna(0.0)
    model = Ridge(alpha=1.0).fit(X.iloc[:350], y[:350])
    return y[350:], model.predict(X.iloc[350:])


def test_binary_metrics_equal_sklearn(telco):
    y, pred, proba = telco
    got = score("binary", y, pred, proba, [m for m, s in METRICS.items() if "binary" in s.tasks])
    expected = {
        "accuracy": skm.accuracy_score(y, pred),
        "balanced_accuracy": skm.balanced_accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred),
        "recall": skm.recall_score(y, pred),
        "f1": skm.f1_score(y, pred),
        "macro_f1": skm.f1_score(y, pred, average="macro"),
        "weighted_f1": skm.f1_score(y, pred, average="weighted"),
        "macro_precision": skm.precision_score(y, pred, average="macro"),
        "macro_recall": skm.recall_score(y, pred, average="macro"),
        "weighted_precision": skm.precision_score(y, pred, average="weighted"),
        "weighted_recall": skm.recall_score(y, pred, average="weighted"),
        "roc_auc": skm.roc_auc_score(y, proba[:, 1]),
        "average_precision": skm.average_precision_score(y, proba[:, 1]),
        "log_loss": skm.log_loss(y, proba),
        "brier": skm.brier_score_loss(y, proba[:, 1]),
    }
    assert got.keys() == expected.keys()
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, rel=1e-12), name
    assert 0.6 < got["roc_auc"] <= 1.0  # the model learned something


def test_multiclass_metrics_equal_sklearn(iris):
    y, pred, proba = iris
    got = score("multiclass", y, pred, proba,
                [m for m, s in METRICS.items() if "multiclass" in s.tasks])
    assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(y, proba, multi_class="ovr"))
    assert got["log_loss"] == pytest.approx(skm.log_loss(y, proba))
    assert got["macro_f1"] == pytest.approx(skm.f1_score(y, pred, average="macro"))
    assert got["weighted_recall"] == pytest.approx(skm.recall_score(y, pred, average="weighted"))
    assert got["macro_precision"] == pytest.approx(skm.precision_score(y, pred, average="macro"))
    assert got["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y, pred))
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))


def test_regression_metrics_equal_sklearn(housing):
    y, pred = housing
    got = score("regression", y, pred, None, ["rmse", "mae", "r2", "mape"])
    assert got["rmse"] == pytest.approx(skm.root_mean_squared_error(y, pred))
    assert got["mae"] == pytest.approx(skm.mean_absolute_error(y, pred))
    assert got["r2"] == pytest.approx(skm.r2_score(y, pred))
    assert got["mape"] == pytest.approx(skm.mean_absolute_percentage_error(y, pred))


def test_mape_ignores_zero_targets_and_counts_them():
    y = np.array([0.0, 100.0, 0.0, 50.0])
    pred = np.array([5.0, 110.0, -3.0, 40.0])
    detail = mape_detail(y, pred)
    assert detail == {"value": pytest.approx((0.1 + 0.2) / 2), "n_used": 2,
                      "n_zero_targets_ignored": 2}
    assert detail["value"] == pytest.approx(
        skm.mean_absolute_percentage_error(y[[1, 3]], pred[[1, 3]]))
    assert score("regression", y, pred, None, ["mape"])["mape"] == pytest.approx(0.15)
    all_zero = mape_detail(np.zeros(3), np.ones(3))
    assert np.isnan(all_zero["value"]) and all_zero["n_zero_targets_ignored"] == 3


def test_confusion_matches_sklearn_with_names(iris):
    y, pred, _ = iris
    result = confusion(y, pred, labels=[0, 1, 2], names=["setosa", "versicolor", "virginica"])
    assert result["labels"] == ["setosa", "versicolor", "virginica"]
    assert result["matrix"] == skm.confusion_matrix(y, pred, labels=[0, 1, 2]).tolist()
    normalized = skm.confusion_matrix(y, pred, labels=[0, 1, 2], normalize="true")
    np.testing.assert_allclose(result["normalized"], normalized)


def test_confusion_row_without_rows_is_zero_and_names_must_match():
    result = confusion([0, 0, 1], [0, 1, 1], labels=[0, 1, 2])
    assert result["matrix"][2] == [0, 0, 0]
    assert result["normalized"][2] == pytest.approx([0.0, 0.0, 0.0], abs=1e-12)
    with pytest.raises(DataError, match="2 names for 3 labels"):
        confusion([0, 1], [0, 1], labels=[0, 1, 2], names=["a", "b"])


def test_calibration_matches_sklearn(telco):
    y, _, proba = telco
    data = calibration_curve_data(y, proba[:, 1], bins=10)
    prob_true, prob_pred = calibration_curve(y, proba[:, 1], n_bins=10, strategy="uniform")
    filled = np.asarray(data["counts"]) > 0
    observed = np.asarray(data["observed_frequency"], dtype=object)
    predicted = np.asarray(data["mean_predicted"], dtype=object)
    np.testing.assert_allclose(observed[filled].astype(float), prob_true)
    np.testing.assert_allclose(predicted[filled].astype(float), prob_pred)
    assert sum(data["counts"]) == len(y)
    assert len(data["bin_edges"]) == 11
    assert all(v is None for v in predicted[~filled])


def test_calibration_rejects_bad_input():
    with pytest.raises(DataError, match="0/1 targets"):
        calibration_curve_data([0, 2], [0.1, 0.2])
    with pytest.raises(SpecError, match="bins"):
        calibration_curve_data([0, 1], [0.1, 0.2], bins=0)


def test_unknown_metric_lists_the_valid_ones():
    with pytest.raises(SpecError) as err:
        get_metric("acuracy")
    assert "accuracy" in err.value.message and "rmse" in err.value.message
    assert "accuracy" in err.value.hint
    with pytest.raises(SpecError, match="does not apply to regression"):
        get_metric("roc_auc", "regression")


def test_score_leaves_out_undefined_ranking_metrics():
    proba = np.array([[0.7, 0.2, 0.1], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1]])
    y = np.array([0, 1, 0])  # class 2 absent: one-vs-rest AUC undefined
    got = score("multiclass", y, proba.argmax(axis=1), proba, ["roc_auc", "accuracy", "log_loss"])
    assert "roc_auc" not in got and got["accuracy"] == pytest.approx(1.0, rel=1e-9)
    assert "log_loss" in got
    assert score("binary", [0, 1], [0, 1], None, ["roc_auc", "accuracy"]) == \
        pytest.approx({"accuracy": 1.0}, rel=1e-9)


def test_score_rejects_mismatched_lengths():
    with pytest.raises(DataError, match="y_pred has 2 rows but y_true has 3"):
        score("binary", [0, 1, 1], [0, 1], None, ["accuracy"])
