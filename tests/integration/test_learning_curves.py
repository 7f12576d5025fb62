"""What the docs promise about a trained booster: learning curves in the report and the run,
the per-round series in `runs show`, and the decision threshold a binary model really uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelyard.cli import main
from modelyard.pipeline import train
from modelyard.registry.registry import Registry
from modelyard.settings import load_settings
from modelyard.spec import validate_spec


def _train(tmp_path: Path, data_dir: Path, learner: str, **model) -> tuple:
    settings = load_settings(tmp_path / "home")
    spec = validate_spec({
        "data": {"source": {"path": str(data_dir / "telco_churn.csv")}, "target": "Churn"},
        "model": {"learner": learner, "params": {"n_estimators": 300,
                                                  "early_stopping_rounds": 10}, **model},
        "evaluation": {"importance": False, "latency": False, "bootstrap": 10},
        "seed": 5,
    })
    result = train(spec, settings)
    report = json.loads(Path(result.report.json).read_text())
    return settings, result, report


@pytest.mark.parametrize("learner", ["lightgbm", "xgboost"])
def test_a_booster_records_its_learning_curve(tmp_path, data_dir, learner):
    settings, result, report = _train(tmp_path, data_dir, learner)
    curve = report["learning_curves"]
    assert len(curve) >= 5, "one record per boosting round"
    assert [r["iteration"] for r in curve] == sorted(r["iteration"] for r in curve)
    assert all({"train_loss", "val_loss"} <= set(r) for r in curve)
    assert curve[-1]["train_loss"] < curve[0]["train_loss"]  # boosting lowers the training loss
    html = Path(result.report.html).read_text()
    assert 'id="plot-learning-curves' in html
    with Registry.open(settings) as registry:
        series = registry.store.get_metric_series(result.run_id)
    assert [p.step for p in series["val_loss"]] == [r["iteration"] for r in curve]
    assert [p.value for p in series["val_loss"]] == pytest.approx([r["val_loss"] for r in curve])


def test_runs_show_prints_the_series(tmp_path, data_dir, capsys, monkeypatch):
    settings, result, report = _train(tmp_path, data_dir, "lightgbm")
    monkeypatch.setenv("MODELYARD_HOME", str(settings.home))
    assert main(["runs", "show", result.run_id, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    rounds = [p["step"] for p in shown["series"]["val_loss"]]
    assert rounds == [r["iteration"] for r in report["learning_curves"]]
    assert main(["runs", "show", result.run_id]) == 0
    text = capsys.readouterr().out
    assert f"series: {len(rounds)} steps" in text and "val_loss" in text


def test_threshold_none_is_reported_as_the_one_used(tmp_path, data_dir):
    _, result, report = _train(tmp_path, data_dir, "lightgbm", threshold="none")
    assert result.threshold == pytest.approx(0.5) and report["threshold"] == pytest.approx(0.5)
