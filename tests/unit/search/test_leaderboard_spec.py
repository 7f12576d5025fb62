"""The leaderboard's records and table, and the search section of the spec."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pydantic import ValidationError
from rich.console import Console

from modelyard.cli import render
from modelyard.search.leaderboard import Leaderboard
from modelyard.search.trial import TrialResult, TrialSpec
from modelyard.spec.search import SearchSpec


def _result(number, status, score, learner="lightgbm"):
    spec = TrialSpec(number, learner, {"log2_max_bin": np.int64(4)},
                     {"n_estimators": np.int64(10), "max_bin": 16}, "optuna")
    return TrialResult(spec, status, score=score, fold_scores=[score or 0.0],
                       fit_seconds=1.5, predict_seconds_per_1k=0.2, seconds=2.0,
                       note="boom" if status == "failed" else None)


def test_records_are_json_ready_and_ranked_best_first():
    board = Leaderboard("rmse", greater_is_better=False)
    for number, status, score in ((0, "ok", 3.0), (1, "failed", None), (2, "ok", 2.0),
                                  (3, "pruned", None), (4, "ok", float("nan"))):
        board.add(_result(number, status, score))
    board.set_weights({2: 0.75, 0: 0.25})
    records = board.to_records()
    assert [r["trial"] for r in records] == [0, 1, 2, 3, 4]
    json.dumps(records, allow_nan=False)
    assert records[0]["params"] == {"n_estimators": 10, "max_bin": 16}
    assert records[0]["config"] == {"log2_max_bin": 4} and records[1]["note"] == "boom"
    table = board.table()  # the one ranking: best first by rmse's direction, unscored last
    assert [r["trial"] for r in table.ranked()] == [2, 0, 1, 3, 4] and table.best["trial"] == 2
    assert table.metric == "rmse" and not table.greater_is_better
    for key in ("learner", "params", "score", "fit_seconds", "predict_seconds_per_1k",
                "status", "note", "weight"):
        assert key in records[0]


def test_the_cli_table_shows_the_search_trials(monkeypatch):
    board = Leaderboard("roc_auc", greater_is_better=True)
    board.add(_result(0, "ok", 0.8))
    board.add(_result(1, "failed", None, learner="mlp"))
    console = Console(record=True, width=160)
    monkeypatch.setattr(render, "console", console)
    render.render_leaderboard(board.table())
    text = console.export_text()
    assert "roc_auc (higher is better)" in text and "mlp" in text and "failed" in text


def test_search_spec_defaults_and_validation():
    spec = SearchSpec(time_budget=60)
    assert spec.parallel == "auto" and spec.ensemble and spec.learners is None
    assert spec.metric_for("binary") == "roc_auc" and spec.metric_for("regression") == "rmse"
    assert spec.metric_for("multiclass") == "accuracy"
    assert SearchSpec(max_trials=5, metric="log_loss").metric_for("binary") == "log_loss"
    for bad in ({}, {"time_budget": 0}, {"max_trials": 3, "folds": 1},
                {"max_trials": 3, "parallel": 0}, {"max_trials": 3, "parallel": "many"},
                {"max_trials": 3, "learners": []},
                {"max_trials": 3, "learners": ["lightgbm", "lightgbm"]},
                {"max_trials": 3, "budget": 5}):
        with pytest.raises(ValidationError):
            SearchSpec(**bad)
