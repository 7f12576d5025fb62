"""ONNX export: onnxruntime's answers on real rows equal the model's own.

Models are fitted on the committed slices (telco_churn: binary, categoricals, missing
TotalCharges; california_housing: regression on median_house_value and multiclass on
ocean_proximity). The rows scored are the real rows plus copies with missing numbers, missing
booleans, missing and unseen categories. Tolerances: logistic and linear compute in float64 in
both (atol 1e-12); the boosters and the MLP compute in float32 in the graph, where modelyard
sums trees or reads probabilities in float64: probabilities within atol 1e-6, regression values
within rtol 1e-5 (float32 has 24 bits, about 6e-8 relative per value; a sum of a few hundred
trees stays well inside 1e-5, measured 3e-6 at most).
"""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import modelyard
from modelyard.data.infer import infer_schema
from modelyard.errors import ExportError
from modelyard.features.preprocessor import Preprocessor
from modelyard.model import EnsembleBundle, ModelBundle, encode_target, fit_model, make_learner
from modelyard.model.export import export_onnx, onnx_feeds, to_onnx

CASES = {
    "binary": ("telco_churn.csv", "Churn"),
    "regression": ("california_housing.csv", "median_house_value"),
    "multiclass": ("california_housing.csv", "ocean_proximity"),
}
FLOAT64 = {"logistic", "linear"}  # computed in float64 in the graph too


def _table(data_dir, task):
    name, target = CASES[task]
    frame, schema = infer_schema(pd.read_csv(data_dir / name), target=target)
    y, labels = encode_target(frame[target], task)
    return frame, schema, y, labels


def _damaged(frame: pd.DataFrame, schema) -> pd.DataFrame:
    """The rows again, then copies with missing and unseen values in every kind of column."""
    kinds = {c.name: c.kind for c in schema.columns}
    extra = []
    for i, (_, row) in enumerate(frame.head(24).iterrows()):
        row = row.copy()
        for j, (name, kind) in enumerate(kinds.items()):
            if (i + j) % 3:
                continue
            if kind == "categorical":
                row[name] = None if i % 2 else f"never-seen-{i}"
            elif kind in ("numeric", "boolean"):
                row[name] = np.nan
        extra.append(row)
    return pd.concat([frame, pd.DataFrame(extra)], ignore_index=True)


def _run(model, frame):
    session = ort.InferenceSession(to_onnx(model).SerializeToString())
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, onnx_feeds(model, frame)), strict=True))


@pytest.fixture(scope="module")
def tables(data_dir):
    return {task: _table(data_dir, task) for task in CASES}


@pytest.mark.parametrize("task", list(CASES))
@pytest.mark.parametrize("learner", ["logistic", "lightgbm", "xgboost", "mlp"])
def test_onnxruntime_matches_the_model(tables, task, learner):
    if learner == "logistic" and task == "regression":
        learner = "linear"
    frame, schema, y, labels = tables[task]
    params = {"epochs": 5} if learner == "mlp" else {}
    model = fit_model(frame, y, schema=schema, task=task, learner=learner, params=params,
                      labels=labels).bundle
    rows = _damaged(frame, schema)
    out = _run(model, rows)
    if task == "regression":
        assert out["prediction"].dtype == np.float64
        rtol = 1e-12 if learner in FLOAT64 else 1e-5
        assert_allclose(out["prediction"], model.predict(rows), rtol=rtol)
        assert set(out) == {"prediction"}
        return
    atol = 1e-12 if learner in FLOAT64 else 1e-6
    assert_allclose(out["probabilities"], model.predict_proba(rows), rtol=0, atol=atol)
    assert list(out["prediction"]) == list(model.predict(rows))
    assert out["probabilities"].shape == (len(rows), len(labels))


@pytest.mark.parametrize("learner", ["lightgbm", "xgboost"])
def test_early_stopped_boosters_keep_their_best_trees(tables, learner):
    frame, schema, y, labels = tables["binary"]
    model = fit_model(frame[:200], y[:200], schema=schema, task="binary", learner=learner,
                      labels=labels, eval_rows=(frame[200:], y[200:])).bundle
    assert model.learner.best_iteration_ < model.learner.n_trees_  # trees to leave out
    rows = _damaged(frame, schema)
    assert_allclose(_run(model, rows)["probabilities"], model.predict_proba(rows), atol=1e-6)


def test_network_without_categorical_columns(data_dir):
    frame, schema = infer_schema(pd.read_csv(data_dir / "kc1.csv"), target="Class")
    assert {c.kind for c in schema.columns} == {"numeric"}
    y, labels = encode_target(frame["Class"], "binary")
    model = fit_model(frame, y, schema=schema, task="binary", learner="mlp",
                      params={"epochs": 3}, labels=labels).bundle
    session = ort.InferenceSession(to_onnx(model).SerializeToString())
    assert [o.name for o in session.get_outputs()] == ["prediction", "probabilities"]
    prediction, proba = session.run(None, onnx_feeds(model, frame))
    assert_allclose(proba, model.predict_proba(frame), rtol=0, atol=1e-6)
    assert prediction.dtype == bool and list(prediction) == list(model.predict(frame))


def test_binary_threshold_applied_in_graph(tables):
    frame, schema, y, labels = tables["binary"]
    model = fit_model(frame, y, schema=schema, task="binary", learner="logistic",
                      labels=labels).bundle
    model.threshold = 0.2  # far from 0.5: many rows change class
    out = _run(model, frame)
    expected = model.predict(frame)
    assert (expected != model.decode(np.argmax(model.predict_proba(frame), axis=1))).sum() > 10
    assert list(out["prediction"]) == list(expected)


def test_target_log_transform_and_ensemble(tables):
    frame, schema, y, _ = tables["regression"]
    fitted = [fit_model(frame, y, schema=schema, task="regression", learner=name,
                        params={"target_transform": "log"}).bundle
              for name in ("linear", "lightgbm")]
    ensemble = EnsembleBundle(schema, "regression", fitted, [0.3, 0.7])
    rows = _damaged(frame, schema)
    assert_allclose(_run(fitted[0], rows)["prediction"], fitted[0].predict(rows), rtol=1e-12)
    assert_allclose(_run(ensemble, rows)["prediction"], ensemble.predict(rows), rtol=1e-5)


def test_classification_ensemble(tables):
    frame, schema, y, labels = tables["multiclass"]
    fitted = [fit_model(frame, y, schema=schema, task="multiclass", learner=name,
                        labels=labels).bundle for name in ("logistic", "xgboost")]
    ensemble = EnsembleBundle(schema, "multiclass", fitted, [0.5, 0.5], labels=labels)
    rows = _damaged(frame, schema)
    out = _run(ensemble, rows)
    assert_allclose(out["probabilities"], ensemble.predict_proba(rows), rtol=0, atol=1e-6)
    assert list(out["prediction"]) == list(ensemble.predict(rows))


def _by_hand(frame, y, schema, task, learner, labels, **pre_params):
    """A bundle whose preprocessing takes settings the spec does not expose."""
    model = make_learner(learner, {}, task=task)
    pre = Preprocessor(schema, input_kind=model.input_kind, scale=model.needs_scaling,
                       **pre_params)
    model.fit(pre.fit_transform(frame, y, task), y)
    return ModelBundle(schema, task, learner, pre, model, labels)


def test_frequency_encoded_categories(tables):
    frame, schema, y, labels = tables["binary"]
    model = _by_hand(frame, y, schema, "binary", "logistic", labels, max_onehot=2)
    strategies = {e.strategy_ for e in model.preprocessor.encoders_.values()
                  if hasattr(e, "strategy_")}
    assert strategies == {"onehot", "frequency"}
    rows = _damaged(frame, schema)
    assert_allclose(_run(model, rows)["probabilities"], model.predict_proba(rows), atol=1e-12)


def test_a_row_written_by_hand(tables):
    """What a user without modelyard sends: plain floats and strings, '' for missing."""
    frame, schema, y, labels = tables["binary"]
    model = fit_model(frame, y, schema=schema, task="binary", learner="xgboost",
                      labels=labels).bundle
    record = frame.iloc[3].drop(["customerID", "Churn"]).to_dict()
    record.update(gender="robot", TotalCharges=None)  # unseen category, missing number
    feeds = {}
    for column in model.schema.columns:
        if column.kind == "identifier":
            continue
        value = record[column.name]
        if column.kind == "categorical":
            feeds[column.name] = np.array([[str(value)]], dtype=object)
        elif column.kind == "boolean":
            feeds[column.name] = np.array([[{"Yes": 1.0, "No": 0.0}.get(value, value)]],
                                          dtype=np.float64)
        else:
            feeds[column.name] = np.array([[np.nan if value is None else value]], np.float64)
    session = ort.InferenceSession(to_onnx(model).SerializeToString())
    prediction, proba = session.run(["prediction", "probabilities"], feeds)
    expected = model.predict_row(record)
    assert prediction[0] == expected["prediction"]  # exact: a label
    assert proba[0, 1] == pytest.approx(expected[f"proba_{labels.classes[1]}"], abs=1e-6)


def test_what_cannot_be_exported_is_refused(tables, data_dir, tmp_path):
    frame, schema, y, labels = tables["binary"]
    forest = fit_model(frame, y, schema=schema, task="binary", learner="random_forest",
                       params={"n_estimators": 5}, labels=labels).bundle
    with pytest.raises(ExportError, match="'random_forest'") as err:
        to_onnx(forest)
    assert "lightgbm" in err.value.hint
    target_encoded = _by_hand(frame, y, schema, "binary", "logistic", labels, max_onehot=0,
                              high_cardinality="target")
    with pytest.raises(ExportError, match="'gender' \\(target-encoded\\)"):
        to_onnx(target_encoded)
    bikes, bike_schema = infer_schema(pd.read_csv(data_dir / "bike_sharing_drift.csv").head(300),
                                      target="users")
    timed = fit_model(bikes, bikes["users"].to_numpy(float), schema=bike_schema,
                      task="regression", learner="linear").bundle
    with pytest.raises(ExportError, match="'date_time' \\(datetime\\)"):
        to_onnx(timed)
    named = frame.rename(columns={"tenure": "prediction"})
    _, named_schema = infer_schema(named, target="Churn")
    clash = fit_model(named, y, schema=named_schema, task="binary", learner="logistic",
                      labels=labels).bundle
    with pytest.raises(ExportError, match="'prediction' would share a name"):
        to_onnx(clash)
    assert not list(tmp_path.iterdir())


def test_export_writes_once_unless_forced(tables, tmp_path):
    frame, schema, y, labels = tables["binary"]
    model = fit_model(frame, y, schema=schema, task="binary", learner="logistic",
                      labels=labels).bundle
    path = modelyard.export_onnx(model, tmp_path / "churn.onnx")
    first = path.read_bytes()
    with pytest.raises(ExportError, match="exists already") as err:
        export_onnx(model, path)
    assert "--force" in err.value.hint
    assert export_onnx(model, path, force=True) == path
    assert path.read_bytes() == first  # exact: the same model gives the same bytes
    with pytest.raises(ExportError, match="is a folder"):
        export_onnx(model, tmp_path, force=True)
    with pytest.raises(ExportError, match="does not exist"):
        export_onnx(model, tmp_path / "no" / "churn.onnx")
    session = ort.InferenceSession(str(path))
    assert [i.name for i in session.get_inputs()] == [
        c.name for c in schema.columns if c.kind != "identifier"]


def test_without_the_extra_the_error_names_it(tables, monkeypatch):
    frame, schema, y, labels = tables["binary"]
    model = fit_model(frame, y, schema=schema, task="binary", learner="logistic",
                      labels=labels).bundle
    monkeypatch.setitem(__import__("sys").modules, "onnxmltools", None)  # as if not installed
    with pytest.raises(ExportError, match="onnxmltools") as err:
        to_onnx(model)
    assert 'pip install "modelyard[onnx]"' in err.value.hint


def test_a_network_without_onnxscript_names_the_extra(tables, monkeypatch):
    frame, schema, y, labels = tables["binary"]
    model = fit_model(frame, y, schema=schema, task="binary", learner="mlp",
                      params={"epochs": 1}, labels=labels).bundle
    monkeypatch.setitem(__import__("sys").modules, "onnxscript", None)  # as if not installed
    with pytest.raises(ExportError, match="onnxscript") as err:
        to_onnx(model)
    assert 'pip install "modelyard[onnx]"' in err.value.hint
