"""modelyard's scikit-learn estimators where scikit-learn users put them: on raw DataFrames, in a
Pipeline, in cross_val_score (also with worker processes) and GridSearchCV, cloned and pickled,
on the committed Telco churn and California housing slices."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.compose import make_column_transformer
from sklearn.exceptions import NotFittedError
from sklearn.impute import SimpleImputer
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from modelyard.errors import DataError, SpecError
from modelyard.model import EnsembleBundle, ModelBundle
from modelyard.sklearn import AutoClassifier, AutoRegressor, Classifier, Regressor


@pytest.fixture(scope="module")
def churn(data_dir) -> tuple[pd.DataFrame, pd.Series]:
    frame = pd.read_csv(data_dir / "telco_churn.csv")
    X = frame.drop(columns=["Churn"])
    X["Contract"] = X["Contract"].astype("category")  # a pandas category column among strings
    return X, frame["Churn"]


@pytest.fixture(scope="module")
def housing(data_dir) -> tuple[pd.DataFrame, pd.Series]:
    frame = pd.read_csv(data_dir / "california_housing.csv")
    return frame.drop(columns=["median_house_value"]), frame["median_house_value"]


def test_a_raw_frame_in_the_original_labels_out(churn):
    X, y = churn
    # blank cells keep TotalCharges text; the schema makes it numeric with missing values
    assert not pd.api.types.is_numeric_dtype(X["TotalCharges"])
    est = Classifier(learner="logistic").fit(X, y)
    assert_array_equal(est.classes_, ["No", "Yes"])
    assert est.n_features_in_ == 20
    assert_array_equal(est.feature_names_in_, X.columns)
    assert "customerID" not in est.model_.schema.names  # an identifier column is left out
    assert set(est.predict(X)) <= {"No", "Yes"}
    majority = y.value_counts(normalize=True).max()
    assert est.score(X, y) > majority


@pytest.mark.parametrize("relabel", [
    {"No": "stay", "Yes": "leave"},  # np.unique order: 'leave', 'stay' (Yes first)
    {"No": 7, "Yes": 3},  # ints: 3 (Yes) first
])
def test_proba_columns_follow_classes(churn, relabel):
    X, y = churn
    y = y.map(relabel).to_numpy()
    est = Classifier(learner="logistic").fit(X, y)
    assert_array_equal(est.classes_, np.unique(y))
    assert est.model_.classes == est.classes_.tolist()
    proba = est.predict_proba(X)
    assert_array_equal(est.classes_[proba.argmax(axis=1)], est.predict(X))
    for i, label in enumerate(est.classes_):  # column i is the probability of classes_[i]
        assert proba[y == label, i].mean() > proba[y != label, i].mean()


def test_three_string_classes(churn):
    X, _ = churn
    y = X["Contract"].astype(str).to_numpy()
    est = Classifier(learner="logistic").fit(X.drop(columns=["Contract"]), y)
    assert_array_equal(est.classes_, ["Month-to-month", "One year", "Two year"])
    assert est.predict_proba(X.drop(columns=["Contract"])).shape == (len(X), 3)


def test_numpy_rows_get_positional_names(housing):
    X, y = housing
    numbers = X.drop(columns=["ocean_proximity"]).to_numpy()  # NaN in total_bedrooms
    est = Regressor(learner="linear").fit(numbers, y)
    assert not hasattr(est, "feature_names_in_")
    assert est.model_.schema.names == [f"x{i}" for i in range(8)]
    assert est.score(numbers, y) > 0.5
    with pytest.raises(ValueError, match="infinity"):
        est.predict(np.where(np.isnan(numbers), np.inf, numbers))


def test_in_a_pipeline_after_column_transformer(housing):
    X, y = housing
    numeric = [c for c in X.columns if c != "ocean_proximity"]
    impute = make_column_transformer((SimpleImputer(), numeric), remainder="passthrough",
                                     verbose_feature_names_out=False).set_output(transform="pandas")
    ratio = FunctionTransformer(lambda f: f.assign(rooms=f.total_rooms / f.households))
    pipe = make_pipeline(impute, ratio, Regressor(learner="linear"))
    scores = cross_val_score(pipe, X, y, cv=KFold(3, shuffle=True, random_state=0))
    assert scores.mean() > 0.4
    fitted = pipe.fit(X, y)
    assert "rooms" in fitted[-1].model_.schema.names


def test_cross_val_score_in_worker_processes(churn):
    X, y = churn
    cv = KFold(3, shuffle=True, random_state=0)
    here = cross_val_score(Classifier(learner="logistic"), X, y, cv=cv)
    workers = cross_val_score(Classifier(learner="logistic"), X, y, cv=cv, n_jobs=2)
    assert_allclose(workers, here)  # the estimator and its model travel pickled, unchanged
    assert here.mean() > 0.7


def test_grid_search_over_the_learner_and_its_params(churn):
    X, y = churn
    grid = [{"learner": ["logistic"], "params": [{"C": 0.01}, {"C": 1.0}]},
            {"learner": ["random_forest"], "params": [{"n_estimators": 20}]}]
    search = GridSearchCV(Classifier(), grid, cv=3, error_score="raise").fit(X, y)
    assert len(search.cv_results_["params"]) == 3
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_estimator_.learner in {"logistic", "random_forest"}
    assert search.score(X, y) > 0.7


def test_clone_keeps_parameters_and_drops_the_fit(churn):
    X, y = churn
    est = AutoClassifier(time_budget=None, max_trials=1, learners=["logistic"], random_state=3)
    twin = clone(est.fit(X, y))
    assert twin.get_params() == est.get_params()
    assert not hasattr(twin, "model_")
    with pytest.raises(NotFittedError):
        twin.predict(X)


def test_auto_classifier_pickles_and_saves(churn, tmp_path):
    X, y = churn
    est = AutoClassifier(time_budget=None, max_trials=3, learners=["logistic", "lightgbm"])
    est.fit(X, y)
    assert len(est.leaderboard_) == 3
    assert set(est.leaderboard_["learner"]) <= {"logistic", "lightgbm"}
    assert est.leaderboard_["score"].is_monotonic_decreasing  # ROC AUC, best first
    expected = est.predict_proba(X)
    assert_allclose(pickle.loads(pickle.dumps(est)).predict_proba(X), expected)
    est.model_.save(tmp_path / "model")  # modelyard's own format: data files, no pickle
    loaded = type(est.model_).load(tmp_path / "model")
    assert isinstance(loaded, ModelBundle | EnsembleBundle)
    assert_allclose(loaded.predict_proba(X), expected)


def test_auto_regressor_on_housing(housing):
    X, y = housing
    est = AutoRegressor(time_budget=None, max_trials=2, learners=["linear"]).fit(X[:400], y[:400])
    assert est.score(X[400:], y[400:]) > 0.4
    assert est.oof_score_ > 0  # rmse of the out-of-fold predictions


def test_errors_are_modelyard_errors_and_value_errors(churn):
    X, y = churn
    with pytest.raises(NotFittedError):
        Classifier().predict(X)
    with pytest.raises(ValueError, match="one class") as caught:
        Classifier(learner="logistic").fit(X, np.full(len(X), "No"))
    assert isinstance(caught.value, DataError) and caught.value.hint
    with pytest.raises(ValueError, match="learner") as caught:
        Classifier(learner="no_such_learner").fit(X, y)
    assert isinstance(caught.value, SpecError)
    with pytest.raises(ValueError, match="hyperparameter"):
        Classifier(learner="logistic", params={"depth": 3}).fit(X, y)
