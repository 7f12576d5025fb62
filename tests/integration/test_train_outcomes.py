"""split.folds on a single learner: cross-validated metrics on the training part, while the saved
model stays the one fitted on the whole training part."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from modelyard import load
from modelyard.pipeline import train
from modelyard.settings import load_settings
from modelyard.spec import validate_spec


def _train(tmp_path: Path, data_dir: Path, folds: int | None):
    split = {"folds": folds} if folds else {}
    spec = validate_spec({
        "name": f"churn{folds or 0}",
        "data": {"source": {"path": str(data_dir / "telco_churn.csv")}, "target": "Churn"},
        "model": {"learner": "logistic"},
        "split": split,
        "evaluation": {"importance": False, "latency": False, "bootstrap": 10},
        "seed": 11,
    })
    return train(spec, load_settings(tmp_path / "home"))


def test_folds_give_cross_validated_metrics_and_leave_the_model_alone(tmp_path, data_dir):
    plain = _train(tmp_path, data_dir, None)
    folded = _train(tmp_path, data_dir, 4)
    assert "cv" not in plain.metrics
    cv, spread = folded.metrics["cv"], folded.metrics["cv_std"]
    assert set(cv) == set(folded.metrics["train"]) == set(spread)
    assert 0.5 < cv["roc_auc"] < 1.0 and 0.0 < spread["roc_auc"] < 0.2
    # held-out folds score below the rows the model trained on (a logistic model on 221 rows)
    assert cv["log_loss"] > folded.metrics["train"]["log_loss"]
    report = json.loads(Path(folded.report["json"]).read_text())
    assert report["metrics"]["cv"]["roc_auc"] == pytest.approx(cv["roc_auc"], rel=1e-9)
    assert 'cv_std' in Path(folded.report["html"]).read_text()
    rows = pd.read_csv(data_dir / "telco_churn.csv").drop(columns=["Churn"])
    home = str(tmp_path / "home")
    np.testing.assert_allclose(load("churn4:1", home=home).predict_proba(rows),
                               load("churn0:1", home=home).predict_proba(rows), rtol=1e-12)
