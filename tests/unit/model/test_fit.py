"""The one fit path: preprocessing and a learner fitted together on raw rows, as a bundle that
answers in the original labels; the learner's settings and hyperparameter checks in one place."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from modelyard.data.infer import infer_schema
from modelyard.errors import DataError, ServingError, SpecError, TrainingError
from modelyard.features import rows_digest
from modelyard.learners import base
from modelyard.learners.tabular import TabularLearner
from modelyard.model import EnsembleBundle, ModelBundle, encode_target, fit_model

DATA = Path(__file__).parents[2] / "data"


@pytest.fixture(scope="module")
def churn():
    frame, schema = infer_schema(pd.read_csv(DATA / "telco_churn.csv"), target="Churn")
    y, labels = encode_target(frame["Churn"], "binary")
    return frame, schema, y, labels


@pytest.fixture(scope="module")
def housing():
    frame, schema = infer_schema(pd.read_csv(DATA / "california_housing.csv"),
                                 target="median_house_value")
    y, _ = encode_target(frame["median_house_value"], "regression")
    return frame, schema, y


def test_raw_rows_in_original_labels_out_and_the_same_after_saving(churn, tmp_path):
    frame, schema, y, labels = churn
    train, new = frame.iloc[:250], frame.iloc[250:]  # the target column may stay in the frame
    fitted = fit_model(train, y[:250], schema=schema, task="binary", learner="logistic",
                       labels=labels)
    bundle = fitted.bundle
    assert isinstance(bundle, ModelBundle) and bundle.classes == [False, True]
    assert set(bundle.predict(new)) <= {False, True} and bundle.threshold is None
    assert bundle.preprocessor.fit_rows_digest_ == rows_digest(train.index)  # fitted on these
    assert fitted.seconds > 0 and fitted.train_inputs.shape[0] == 250
    proba = bundle.predict_proba(new)
    assert proba.shape == (len(new), 2) and np.allclose(proba.sum(axis=1), 1)
    columns = bundle.predict_frame(new)[bundle.output_columns()]
    checked = bundle.predict_checked(new[schema.names])
    assert list(checked) == bundle.output_columns() == ["prediction", "proba_False", "proba_True"]
    assert columns["prediction"].tolist() == checked["prediction"].tolist()
    np.testing.assert_allclose(columns["proba_True"], checked["proba_True"], rtol=1e-12)
    loaded = ModelBundle.load(bundle.save(tmp_path / "m"))
    # exact: the same fitted model, saved and read back
    assert loaded.predict(new).tolist() == bundle.predict(new).tolist()
    np.testing.assert_allclose(loaded.predict_proba(new), proba, rtol=1e-12)


def test_the_learner_is_told_the_task_seed_threads_and_early_stopping_rows(churn):
    frame, schema, y, labels = churn
    fitted = fit_model(frame.iloc[:200], y[:200], schema=schema, task="binary",
                       learner="lightgbm", params={"n_estimators": 400}, labels=labels, seed=7,
                       threads=2, eval_rows=(frame.iloc[200:], y[200:]))
    learner = fitted.bundle.learner
    assert (learner.task, learner.seed, learner.n_jobs) == ("binary", 7, 2)
    assert fitted.eval_inputs is not None and len(fitted.eval_inputs) == len(frame) - 200
    assert fitted.stop_reason == "early_stopping" and fitted.history
    assert fitted.bundle.preprocessor.seed == 7
    again = fit_model(frame.iloc[:200], y[:200], schema=schema, task="binary",
                      learner="lightgbm", params={"n_estimators": 400}, labels=labels, seed=7,
                      threads=2, eval_rows=(frame.iloc[200:], y[200:]))
    # exact: the same computation twice (reproducibility)
    assert np.array_equal(again.bundle.predict_proba(frame), fitted.bundle.predict_proba(frame))
    default = fit_model(frame, y, schema=schema, task="binary", learner="lightgbm",
                        params={"n_estimators": 5}, labels=labels)
    assert default.bundle.learner.n_jobs == type(learner)().n_jobs  # no threads: its default


def test_hyperparameters_and_labels_are_checked_before_anything_is_fitted(churn):
    frame, schema, y, labels = churn
    with pytest.raises(SpecError, match=r"no hyperparameter\(s\) \['depth'\]") as err:
        fit_model(frame, y, schema=schema, task="binary", learner="logistic",
                  params={"depth": 3}, labels=labels)
    assert "max_iter" in err.value.hint  # the valid ones are listed
    with pytest.raises(SpecError, match="checkpoint_dir .* is set by modelyard"):
        fit_model(frame, y, schema=schema, task="binary", learner="mlp",
                  params={"checkpoint_dir": "/tmp/x"}, labels=labels)
    with pytest.raises(SpecError, match="does not serve binary"):
        fit_model(frame, y, schema=schema, task="binary", learner="linear", labels=labels)
    with pytest.raises(DataError, match="needs the target's labels"):
        fit_model(frame, y, schema=schema, task="binary", learner="logistic")
    with pytest.raises(SpecError, match="parameter 'C' expected a number"):
        fit_model(frame, y, schema=schema, task="binary", learner="logistic",
                  params={"C": -1.0}, labels=labels)


class _Singular(TabularLearner):
    """A learner whose library fails inside fit, as a solver does on bad data."""

    name = "singular"
    tasks = ("regression",)

    def __init__(self, task=None):
        self.task = task

    def _fit_model(self, X, y, eval_set, budget):
        raise ValueError("matrix is singular")

    def _values(self, X):
        return np.zeros(len(X))

    def _save_model(self, directory):
        return {}

    def _load_model(self, directory, model_meta):
        return None


def test_a_library_failure_in_fit_becomes_a_training_error(housing, monkeypatch):
    frame, schema, y = housing
    monkeypatch.setitem(base._REGISTRY, _Singular.name, _Singular)
    with pytest.raises(TrainingError, match="singular failed to train: matrix is singular"):
        fit_model(frame, y, schema=schema, task="regression", learner="singular")


def test_a_regression_model_has_values_and_no_probabilities(housing):
    frame, schema, y = housing
    bundle = fit_model(frame.iloc[:400], y[:400], schema=schema, task="regression",
                       learner="linear").bundle
    assert bundle.classes is None and bundle.output_columns() == ["prediction"]
    assert bundle.predict(frame.iloc[400:]).dtype == np.float64
    ensemble = EnsembleBundle(schema, "regression", [bundle, bundle], [1, 1])
    for model in (bundle, ensemble):
        with pytest.raises(ServingError, match="no class probabilities") as err:
            model.predict_proba(frame.iloc[400:])
        assert "predict" in err.value.hint
    with pytest.raises(ServingError, match="no class probabilities"):
        ensemble.learner.predict_proba(frame.iloc[400:])
