"""`modelyard train DATA --target T --time-budget S`: a search, its leaderboard, and the
ensemble registered, reported and loaded like any other model."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd


def test_time_budget_search_registers_a_servable_model(cli, tmp_path, data_dir):
    result = cli("train", data_dir / "telco_churn.csv", "--target", "Churn", "--time-budget",
                 "15", "--name", "churn", "--json")
    assert result.code == 0, result.err
    out = result.json()
    # how long a timed train takes against its budget: bench/train_budget.py, not a test
    board = out["leaderboard"]
    assert len(board) >= 2 and {"learner", "params", "score", "fit_seconds",
                                "predict_seconds_per_1k", "status"} <= set(board[0])
    assert out["version"] == 1 and out["metrics"]["test"]["roc_auc"] > 0.6
    run = cli("runs", "show", out["run_id"], "--json").json()
    # parallel defaults to 'auto': a timed search runs one trial per usable core
    assert run["params"]["search_parallel"] == min(len(os.sched_getaffinity(0)), 8), run["params"]

    report = json.loads(Path(out["report"]["json"]).read_text())
    assert len(report["leaderboard"]) == len(board)
    assert 'id="leaderboard-table"' in Path(out["report"]["html"]).read_text()

    import modelyard

    model = modelyard.load("churn:1", home=str(tmp_path / "home"))
    frame = pd.read_csv(data_dir / "telco_churn.csv").drop(columns=["Churn"]).head(10)
    assert set(model.predict(frame)) <= {"Yes", "No"}


def test_training_cost_counts_the_cpu_time_of_parallel_workers(cli, data_dir):
    """With parallel trials the fitting happens in worker processes; their CPU time is paid for
    too. That the clock counts finished children is checked with CPU time on both sides in
    tests/unit/orchestration/test_cpu_clock.py; wall-clock fit seconds are no yardstick for CPU
    time on a loaded machine, so here the run must only report and price it."""
    result = cli("train", data_dir / "telco_churn.csv", "--target", "Churn", "--max-trials", "4",
                 "--parallel", "2", "--learners", "lightgbm,random_forest", "--json")
    assert result.code == 0, result.err
    out = result.json()
    costs = json.loads(Path(out["report"]["json"]).read_text())["costs"]
    assert costs["training_cpu_seconds"] > 0 and costs["training"] > 0, costs


def test_model_and_search_together_are_refused(cli, data_dir):
    result = cli("train", data_dir / "telco_churn.csv", "--target", "Churn", "--model",
                 "logistic", "--time-budget", "10")
    assert result.code == 2 and "not both" in result.err


def test_a_searched_model_is_served_over_http(tmp_path, data_dir):
    """The search's model (an ensemble, or its best single model) goes through the same server
    as any other model, over real HTTP."""
    import httpx

    from modelyard.pipeline import train
    from modelyard.serving import create_app
    from modelyard.settings import load_settings
    from modelyard.spec import validate_spec
    from serving_helpers import json_records, live_server, loopback_config, wait_ready

    settings = load_settings(tmp_path / "home")
    spec = validate_spec({
        "name": "churn",
        "data": {"source": {"path": str(data_dir / "telco_churn.csv")}, "target": "Churn"},
        "search": {"max_trials": 4, "folds": 2, "learners": ["logistic", "lightgbm"]},
        "evaluation": {"importance": False, "latency": False},
    })
    result = train(spec, settings)
    rows = pd.read_csv(data_dir / "telco_churn.csv").head(3)
    rows["TotalCharges"] = pd.to_numeric(rows["TotalCharges"], errors="coerce")
    records = json_records(rows.drop(columns=["Churn", "customerID"]))
    with live_server(create_app(settings, loopback_config(models=("churn",)))) as server:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            wait_ready(client)
            answer = client.post("/v1/models/churn/predict", json=records)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["version"] == result.version
    assert set(body["predictions"]) <= {"Yes", "No"}
