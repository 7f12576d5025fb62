"""Outcomes of a single-learner train a user must be able to read: cross-validated metrics from
split.folds (the saved model unchanged), and a perfect model registered with a leakage warning."""

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
    report = json.loads(Path(folded.report.json).read_text())
    assert report["metrics"]["cv"]["roc_auc"] == pytest.approx(cv["roc_auc"], rel=1e-9)
    assert 'cv_std' in Path(folded.report.html).read_text()
    rows = pd.read_csv(data_dir / "telco_churn.csv").drop(columns=["Churn"])
    home = str(tmp_path / "home")
    np.testing.assert_allclose(load("churn4:1", home=home).predict_proba(rows),
                               load("churn0:1", home=home).predict_proba(rows), rtol=1e-12)


def test_a_perfect_model_is_registered_with_a_leakage_warning(tmp_path, data_dir):
    """A column that encodes the target gives a perfect test score: a result, not a failure."""
    rows = pd.read_csv(data_dir / "telco_churn.csv")
    rows["closed_account"] = (rows["Churn"] == "Yes").map({True: "closed", False: "open"})
    path = tmp_path / "leaky.csv"
    rows.to_csv(path, index=False)
    result = train(validate_spec({
        "name": "leaky",
        "data": {"source": {"path": str(path)}, "target": "Churn"},
        "model": "lightgbm",
        "evaluation": {"importance": False, "latency": False, "bootstrap": 50},
    }), load_settings(tmp_path / "home"))
    assert result.version == 1 and result.metrics["test"]["roc_auc"] == pytest.approx(1.0)
    assert any("closed_account" in w and "leak" in w for w in result.warnings)
    report = json.loads(Path(result.report.json).read_text())
    assert report["warnings"] == [w for w in result.warnings if "leak" in w]
    bounded = ("roc_auc", "average_precision", "accuracy", "f1", "precision", "recall")
    assert all(0.0 <= report["metrics"]["test"][m] <= 1.0 for m in bounded)
    assert 'class="warn">warning:' in Path(result.report.html).read_text()
