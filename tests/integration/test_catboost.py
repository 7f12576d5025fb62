"""CatBoost end to end on real slices: trained from a spec, registered, reloaded from its own
binary format with a hash check, and searched when named (it is not searched by default)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from modelyard.data.infer import infer_schema
from modelyard.errors import IntegrityError
from modelyard.learners.base import get_learner
from modelyard.model import Labels, ModelBundle
from modelyard.pipeline import train
from modelyard.search import search
from modelyard.search.orchestrator import search_learners
from modelyard.settings import load_settings
from modelyard.spec import validate_spec


def _spec(data_dir: Path, **params) -> dict:
    return {
        "data": {"source": {"path": str(data_dir / "telco_churn.csv")}, "target": "Churn"},
        "model": {"learner": "catboost", "params": {"n_estimators": 150, **params}},
        "seed": 7,
    }


def test_a_catboost_model_trains_registers_and_reloads(tmp_path, data_dir):
    result = train(validate_spec(_spec(data_dir)), load_settings(tmp_path / "home"))
    assert result.metrics["test"]["roc_auc"] > 0.8
    frame = pd.read_csv(data_dir / "telco_churn.csv").drop(columns=["Churn"])
    first = ModelBundle.load(result.model_dir).predict_frame(frame)
    second = ModelBundle.load(result.model_dir).predict_frame(frame)
    pd.testing.assert_frame_equal(first, second)
    (saved,) = Path(result.model_dir).rglob("model.cbm")
    assert saved.read_bytes()[:4] == b"CBM1"  # CatBoost's own flatbuffer format, not a pickle
    data = bytearray(saved.read_bytes())
    data[len(data) // 2] ^= 0xFF
    saved.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match="model.cbm"):
        ModelBundle.load(result.model_dir)


def test_catboost_takes_category_columns_as_categorical_features(data_dir, tmp_path,
                                                                 monkeypatch):
    """The telco categories reach CatBoost as categorical features (its target statistics), not
    as numbers, and a category never seen in training still gets a prediction. CatBoost writes
    no training logs into the working directory."""
    monkeypatch.chdir(tmp_path)
    frame = pd.read_csv(data_dir / "telco_churn.csv")
    y = (frame.pop("Churn") == "Yes").to_numpy(np.int64)
    cats = ["Contract", "InternetService", "PaymentMethod"]
    X = frame[["tenure", *cats, "MonthlyCharges"]].astype({c: "category" for c in cats})
    learner = get_learner("catboost")(n_estimators=100).fit(X, y)
    assert learner.model_.get_cat_feature_indices() == [1, 2, 3]
    assert roc_auc_score(y, learner.predict_proba(X)[:, 1]) > 0.8
    unseen = X.head(5).astype({"Contract": object}).assign(Contract="Lifetime")
    assert np.isfinite(learner.predict_proba(unseen)).all()
    assert not list(tmp_path.iterdir())  # no catboost_info/


def test_catboost_is_searched_when_named_and_only_then(data_dir):
    assert "catboost" not in search_learners(None, "binary")
    assert "lightgbm" in search_learners(None, "binary")
    assert search_learners(["catboost"], "regression") == ["catboost"]
    raw = pd.read_csv(data_dir / "telco_churn.csv")
    frame, schema = infer_schema(raw, target="Churn")
    labels = Labels(["No", "Yes"])
    y = labels.encode(raw["Churn"])
    runs = [search(frame[schema.names], y, schema=schema, task="binary", max_trials=3, folds=2,
                   seed=5, labels=labels, learners=["catboost", "logistic"])
            for _ in range(2)]
    board = runs[0].leaderboard.to_records()
    assert any(r["learner"] == "catboost" and r["status"] == "ok" for r in board), board
    # exact: same computation twice (reproducibility)
    assert [(r["learner"], r["score"]) for r in board] == \
        [(r["learner"], r["score"]) for r in runs[1].leaderboard.to_records()]
    # exact: same computation twice (reproducibility)
    np.testing.assert_array_equal(runs[0].model.predict_proba(frame),
                                  runs[1].model.predict_proba(frame))
