"""EnsembleBundle: predictions, save/load to identical predictions, no pickle, integrity."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from modelyard.errors import IntegrityError, SpecError
from modelyard.formats import load_artifact, registered_formats
from modelyard.model import EnsembleBundle
from modelyard.search.trial import TrialData, fit_fold

PICKLE_MAGIC = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")


def _ensemble(table, learners=("logistic", "lightgbm"), weights=(0.25, 0.75)):
    data = TrialData(table.frame, table.y, table.schema, table.task, table.labels, (),
                     "roc_auc", seed=0, n_classes=2)
    rows = np.arange(len(table.y))
    params = {"lightgbm": {"n_estimators": 30}, "logistic": {}, "linear": {}}
    members = [fit_fold(data, name, params[name], rows) for name in learners]
    return EnsembleBundle(table.schema, table.task, members, list(weights), table.labels)


def test_probabilities_are_the_weighted_average_of_the_members(telco):
    ensemble = _ensemble(telco)
    proba = ensemble.predict_proba(telco.frame)
    expected = sum(w * m.predict_proba(telco.frame)
                   for w, m in zip(ensemble.weights, ensemble.members, strict=True))
    assert np.allclose(proba, expected) and np.allclose(proba.sum(axis=1), 1)
    labels = ensemble.predict(telco.frame)
    assert set(labels) <= set(telco.labels.classes)
    X = ensemble.transform(telco.frame)  # the interface evaluation code uses
    assert np.array_equal(ensemble.predict_codes(X, ensemble.learner.predict_proba(X)),
                          np.argmax(proba, axis=1))
    frame = ensemble.predict_frame(telco.frame)
    assert {"prediction", *(f"proba_{c}" for c in telco.labels.classes)} <= set(frame.columns)


def test_save_and_load_give_identical_predictions_without_pickle(tmp_path, telco):
    ensemble = _ensemble(telco)
    ensemble.threshold = 0.4
    ensemble.save(tmp_path / "model")
    loaded = EnsembleBundle.load(tmp_path / "model")
    pd.testing.assert_frame_equal(ensemble.predict_frame(telco.frame),
                                  loaded.predict_frame(telco.frame))
    # exact: a stored value read back (the threshold)
    assert loaded.threshold == 0.4 and loaded.weights == pytest.approx(ensemble.weights)
    files = [p for p in (tmp_path / "model").rglob("*") if p.is_file()]
    assert not [p for p in files if p.read_bytes()[:2] in PICKLE_MAGIC]
    assert not [p for p in files if p.suffix in (".pkl", ".pickle", ".joblib")]
    meta = json.loads((tmp_path / "model" / "ensemble.json").read_text())
    assert meta["members"] == ["members/000", "members/001"]


def test_the_registry_loads_an_ensemble_through_its_format(tmp_path, housing):
    ensemble = _ensemble(housing, learners=("linear", "lightgbm"), weights=(1, 1))
    assert ensemble.weights == pytest.approx([0.5, 0.5], rel=1e-9)
    ensemble.save(tmp_path / "m")
    assert "modelyard.ensemble" in registered_formats()
    loaded = load_artifact("modelyard.ensemble", tmp_path / "m")
    # exact: same computation twice (reproducibility), from the saved ensemble read back
    assert np.array_equal(loaded.predict(housing.frame), ensemble.predict(housing.frame))


def test_a_changed_member_file_is_an_integrity_error(tmp_path, telco):
    _ensemble(telco).save(tmp_path / "m")
    target = tmp_path / "m" / "members" / "001" / "bundle.json"
    target.write_text(target.read_text().replace('"binary"', '"binarx"'))
    with pytest.raises(IntegrityError, match="bundle.json"):
        EnsembleBundle.load(tmp_path / "m")


def test_weights_must_match_members_and_be_positive(telco):
    members = _ensemble(telco).members
    with pytest.raises(SpecError, match="one weight per member"):
        EnsembleBundle(telco.schema, "binary", members, [1.0])
    with pytest.raises(SpecError, match="positive"):
        EnsembleBundle(telco.schema, "binary", members, [1.0, 0.0])
