"""`pipeline.train` returns a typed result, and writes the evaluation report once, after the
version it describes is registered."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from modelyard.evaluation.results import Kpi, Metrics
from modelyard.pipeline import train
from modelyard.settings import load_settings
from modelyard.spec import validate_spec

QUICK = {"importance": False, "latency": False, "bootstrap": 20}


def _churn(data_dir, **extra) -> dict:
    return {"data": {"source": {"path": str(data_dir / "telco_churn.csv")}, "target": "Churn"},
            "model": {"learner": "logistic"}, "evaluation": QUICK, "seed": 1, **extra}


def test_the_report_is_written_once_after_registration(tmp_path, data_dir):
    settings = load_settings(tmp_path / "home")
    seen: dict[str, bool] = {}

    def on_step(step: str) -> None:
        if step == "registering the model":  # the version does not exist yet
            seen["report before registering"] = any(settings.runs_root.glob("*/report"))

    result = train(validate_spec(_churn(data_dir)), settings, on_step=on_step)
    assert seen == {"report before registering": False}
    report = json.loads(Path(result.report.json).read_text())
    assert report["model"]["version"] == result.version == 1
    assert "version 1" in Path(result.report.html).read_text()


def test_the_result_is_typed(tmp_path, data_dir):
    result = train(validate_spec(_churn(data_dir)), load_settings(tmp_path / "home"))
    test = result.metrics["test"]
    assert isinstance(test, Metrics) and test.primary == result.primary_metric == "roc_auc"
    assert test.f1 == pytest.approx(test["f1"]) and test.value == pytest.approx(test["roc_auc"])
    with pytest.raises(TypeError):
        test["f1"] = 0.0  # read-only
    with pytest.raises(AttributeError, match="no metric"):
        _ = test.not_a_metric
    assert all(isinstance(k, Kpi) for k in result.kpis) and result.kpis[0].key == "accuracy"
    # the leaderboard of one named learner: one row, its validation score
    frame = result.leaderboard()
    assert list(frame["learner"]) == ["logistic"]
    assert frame["score"].iloc[0] == pytest.approx(result.metrics["validation"]["roc_auc"])
    # the in-memory model is the one that was saved, threshold included
    rows = pd.read_csv(data_dir / "telco_churn.csv").drop(columns=["Churn"]).head(20)
    assert set(result.model.predict(rows)) <= {"Yes", "No"}
    assert result.model.threshold == pytest.approx(result.threshold)
    # the --json shape: plain values only, no leaderboard for a named learner
    plain = json.loads(json.dumps(result.to_dict()))
    assert plain["leaderboard"] == [] and plain["report"]["json"] == result.report.json
    assert plain["metrics"]["test"]["f1"] == pytest.approx(test.f1)
    assert plain["kpis"][0] == {"key": "accuracy", "label": result.kpis[0].label,
                                "value": pytest.approx(result.kpis[0].value), "unit": ""}


def _html_scores(html: str) -> list[float]:
    table = re.search(r'<table id="leaderboard-table">(.*?)</table>', html).group(1)
    rows = re.findall(r"<tr><td>(.*?)</tr>", table)
    cells = [re.findall(r"(?:^|<td>)([^<]*)</td>", "<td>" + row) for row in rows]
    return [float(c[3]) for c in cells if c[2] == "ok" and c[3]]


def test_a_lower_is_better_search_ranks_its_smallest_error_first(tmp_path, data_dir):
    spec = {"data": {"source": {"path": str(data_dir / "california_housing.csv")},
                     "target": "median_house_value"},
            "search": {"max_trials": 4, "folds": 2, "metric": "rmse",
                       "learners": ["linear", "lightgbm"], "ensemble": False},
            "evaluation": QUICK, "seed": 2}
    result = train(validate_spec(spec), load_settings(tmp_path / "home"))
    board = result.leaderboard
    assert board.metric == "rmse" and board.greater_is_better is False
    scores = list(board().query("status == 'ok'")["score"])
    assert len(scores) >= 2 and scores == sorted(scores)  # smallest error first
    html_scores = _html_scores(Path(result.report.html).read_text())
    assert html_scores == pytest.approx(sorted(html_scores), rel=1e-3)
    assert html_scores[0] == pytest.approx(scores[0], rel=1e-3)
    report = json.loads(Path(result.report.json).read_text())
    assert report["leaderboard_metric"] == {"name": "rmse", "greater_is_better": False}
