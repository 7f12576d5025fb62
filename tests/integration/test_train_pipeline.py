"""The training pipeline end to end on real slices: no leakage, test rows opened once, reload."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from modelyard.errors import IntegrityError, SpecError
from modelyard.features import rows_digest
from modelyard.features.preprocessor import Preprocessor
from modelyard.model import ModelBundle
from modelyard.pipeline import prepare, train
from modelyard.registry.registry import Registry
from modelyard.settings import load_settings
from modelyard.spec import validate_spec


def _spec(data_dir: Path, learner: str, **params) -> dict:
    return {
        "data": {"source": {"path": str(data_dir / "telco_churn.csv")}, "target": "Churn"},
        "model": {"learner": learner, "params": params},
        "seed": 7,
    }


@pytest.mark.parametrize("learner", ["logistic", "lightgbm"])
def test_preprocessing_saw_training_rows_only(tmp_path, data_dir, learner):
    spec = validate_spec(_spec(data_dir, learner))
    result = train(spec, load_settings(tmp_path / "home"))
    pre = Preprocessor.load(Path(result.model_dir) / "preprocessor")
    split = prepare(spec).split  # the same seed gives the same split
    assert pre.n_fit_rows_ == len(split.train)
    assert pre.fit_rows_digest_ == rows_digest(pd.Index(split.train))
    assert pre.fit_rows_digest_ != rows_digest(
        pd.RangeIndex(len(split.train) + len(split.validation))
    )


def test_test_rows_are_opened_once_for_the_final_evaluation(tmp_path, data_dir):
    settings = load_settings(tmp_path / "home")
    result = train(validate_spec(_spec(data_dir, "logistic")), settings)
    with Registry.open(settings) as registry:
        run = registry.store.get_run(result.run_id)
        version = registry.store.get_version(result.model_name, result.version)
    assert run.status == "finished"
    assert run.data["split"]["test_opened_for"] == ["final evaluation"]
    assert set(result.metrics) == {"train", "validation", "test"}
    # exact: stored values read back
    assert version.run_id == result.run_id and version.metrics == result.metrics["test"]
    assert run.data_fingerprint.startswith("sha256:") and run.data["schema"]["target"] == "Churn"


def test_saved_model_reloads_to_identical_predictions(tmp_path, data_dir):
    result = train(
        validate_spec(_spec(data_dir, "xgboost", n_estimators=30)), load_settings(tmp_path / "home")
    )
    frame = pd.read_csv(data_dir / "telco_churn.csv").drop(columns=["Churn"])
    first = ModelBundle.load(result.model_dir).predict_frame(frame)
    second = ModelBundle.load(result.model_dir).predict_frame(frame)
    pd.testing.assert_frame_equal(first, second)
    assert np.allclose(first[["proba_No", "proba_Yes"]].sum(axis=1), 1.0)


def test_a_changed_byte_in_a_saved_model_is_an_integrity_error(tmp_path, data_dir):
    result = train(validate_spec(_spec(data_dir, "logistic")), load_settings(tmp_path / "home"))
    target = Path(result.model_dir) / "bundle.json"
    target.write_text(target.read_text().replace('"binary"', '"binarx"'))
    with pytest.raises(IntegrityError, match="bundle.json"):
        ModelBundle.load(result.model_dir)


def test_regression_on_california_housing(tmp_path, data_dir):
    spec = validate_spec(
        {
            "data": {
                "source": {"path": str(data_dir / "california_housing.csv")},
                "target": "median_house_value",
            },
            "model": "random_forest",
        }
    )
    result = train(spec, load_settings(tmp_path / "home"))
    assert result.task == "regression"
    assert result.metrics["test"]["r2"] > 0.3
    assert result.threshold is None


def test_failed_run_is_recorded_with_its_error(tmp_path, data_dir):
    settings = load_settings(tmp_path / "home")
    # a valid learning rate that makes this network diverge: only training finds out
    spec = validate_spec(_spec(data_dir, "mlp", lr=1e9, epochs=3))
    with pytest.raises(Exception):  # noqa: B017 - any error; the record is what matters
        train(spec, settings)
    with Registry.open(settings) as registry:
        (run,) = registry.store.list_runs().items
        assert registry.store.list_models().total == 0  # no half-written version
    assert run.status == "failed"
    assert "TrainingError" in run.error and "learning rate" in run.error


def test_a_value_the_learner_cannot_take_is_a_spec_error_without_a_run(tmp_path, data_dir):
    settings = load_settings(tmp_path / "home")
    spec = validate_spec(_spec(data_dir, "logistic", C=-1.0))
    with pytest.raises(SpecError, match="parameter 'C' expected a number in \\(0, inf\\]"):
        train(spec, settings)
    with Registry.open(settings) as registry:
        assert registry.store.list_runs().total == 0


def test_error_reduction_against_production(tmp_path, data_dir):
    settings = load_settings(tmp_path / "home")
    first = train(validate_spec(_spec(data_dir, "logistic")), settings)
    with Registry.open(settings) as registry:
        registry.store.set_alias(first.model_name, "production", first.version, actor="test")
    second = train(validate_spec(_spec(data_dir, "lightgbm")), settings)
    assert second.version == first.version + 1
    report = json.loads(Path(second.report.json).read_text())
    assert report["model"]["version"] == second.version
    prod = report["error_reduction"]["vs_production"]
    assert prod["version"] == first.version
    keys = {k.key for k in second.kpis}
    assert any("production" in k for k in keys), keys


def test_modelyard_load_by_alias(tmp_path, data_dir):
    import modelyard

    settings = load_settings(tmp_path / "home")
    result = train(validate_spec(_spec(data_dir, "logistic")), settings)
    with Registry.open(settings) as registry:
        registry.store.set_alias(result.model_name, "production", result.version, actor="test")
    model = modelyard.load(f"{result.model_name}@production", home=str(tmp_path / "home"))
    frame = pd.read_csv(data_dir / "telco_churn.csv").drop(columns=["Churn"]).head(5)
    assert list(model.predict(frame)) == list(ModelBundle.load(result.model_dir).predict(frame))


def test_a_split_reads_its_column_even_when_it_is_no_feature(tmp_path, data_dir):
    # customerID is dropped as identifier-like, yet it is what a group split groups by; a
    # timestamp in data.drop is still what a time split orders by: neither becomes a feature
    grouped = validate_spec({**_spec(data_dir, "logistic"),
                             "split": {"method": "group", "group_column": "customerID"}})
    prepared = prepare(grouped)
    assert "customerID" not in prepared.dataset.features
    assert "customerID" in prepared.dataset.schema.dropped
    split, ids = prepared.split, prepared.dataset.frame["customerID"]
    assert set(ids.iloc[split.train]).isdisjoint(ids.iloc[split.open_test("checking groups")])
    result = train(grouped, load_settings(tmp_path / "home"))
    saved = ModelBundle.load(result.model_dir)
    assert "customerID" not in saved.schema.names

    timed = validate_spec({
        "data": {"source": {"path": str(data_dir / "bike_sharing_drift.csv")}, "target": "users",
                 "drop": ["date_time"]},
        "model": "linear", "split": {"method": "time", "time_column": "date_time"}})
    prepared = prepare(timed)
    times = pd.to_datetime(prepared.dataset.frame["date_time"])
    assert "date_time" not in prepared.dataset.features
    test_rows = prepared.split.open_test("checking the order")
    assert times.iloc[prepared.split.train].max() < times.iloc[test_rows].min()
    # the fingerprint is of features and target only: the same as without the split's column
    from modelyard.data.dataset import load_dataset

    assert prepared.dataset.fingerprint == load_dataset(timed.data).fingerprint
