"""search.max_latency_ms end to end on the committed telco slice, through `pipeline.train`: every
trial's single-row p99 is on the leaderboard, the registered ensemble is made of trials within
the limit whose p99s (times the seeds a refit averages) add up to at most it, the report says
what the limit cost, and a limit no trial meets is an error naming the fastest one."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from modelyard.errors import TrainingError
from modelyard.evaluation.metrics import get_metric
from modelyard.pipeline import train
from modelyard.search.deploy import refit_seeds
from modelyard.search.ensemble import select_ensemble
from modelyard.settings import load_settings
from modelyard.spec import validate_spec


def _spec(data_dir, **search) -> dict:
    return {
        "data": {"source": {"path": str(data_dir / "telco_churn.csv")}, "target": "Churn"},
        "search": {"max_trials": 6, "folds": 3, "parallel": 1,
                   "learners": ["logistic", "random_forest", "lightgbm"], **search},
        "evaluation": {"importance": False, "latency": False, "bootstrap": 20},
        "seed": 3,
    }


@pytest.fixture(scope="module")
def free_run(tmp_path_factory, data_dir):
    settings = load_settings(tmp_path_factory.mktemp("home"))
    return settings, train(validate_spec(_spec(data_dir)), settings)


def test_every_trial_shows_its_single_row_latency(free_run):
    _, result = free_run
    rows = [r for r in result.leaderboard.to_records() if r["status"] == "ok"]
    assert rows and all(r["latency_p99_ms"] > 0 and math.isfinite(r["latency_p99_ms"])
                        for r in rows)
    assert "latency_p99_ms" in result.leaderboard().columns
    assert result.deployment.latency_limit is None  # no limit asked


def test_the_chosen_ensemble_answers_within_the_limit(free_run, data_dir):
    settings, free = free_run
    latencies = sorted(r["latency_p99_ms"] for r in free.leaderboard.to_records()
                       if r["status"] == "ok")
    limit = float(np.median(latencies))  # binds on this data; the checks hold whatever it is
    result = train(validate_spec(_spec(data_dir, max_latency_ms=limit)), settings)
    records = result.leaderboard.to_records()
    chosen = [r for r in records if (r.get("weight") or 0) > 0]
    # a member costs its p99 times the fits its refit averages (seeds on a small table)
    refit_rows = json.loads(Path(result.report.json).read_text())["data"]["rows"]
    rows = refit_rows["train"] + refit_rows["validation"]
    cost = {r["trial"]: r["latency_p99_ms"] * refit_seeds(r["learner"], r["params"], rows)
            for r in records if r["status"] == "ok"}
    assert chosen and all(cost[r["trial"]] <= limit for r in chosen)
    assert sum(cost[r["trial"]] for r in chosen) <= limit * (1 + 1e-9)
    record = result.deployment.latency_limit
    assert record.max_latency_ms == pytest.approx(limit)
    assert record.too_slow == sum(c > limit for c in cost.values())
    assert record.estimated_ms == pytest.approx(sum(cost[r["trial"]] for r in chosen), rel=1e-3)
    validation = result.metrics["validation"][result.leaderboard.metric]
    assert record.score == pytest.approx(validation, rel=1e-9)
    assert record.cost >= 0.0
    report = json.loads(Path(result.report.json).read_text())
    assert report["deployment"]["latency_limit"]["max_latency_ms"] == pytest.approx(limit)
    assert "search.max_latency_ms" in Path(result.report.html).read_text()
    assert any(note.startswith(f"max_latency_ms {limit:g}") for note in result.notes)


def test_a_limit_no_trial_meets_names_the_fastest(free_run, data_dir):
    settings, _ = free_run
    with pytest.raises(TrainingError, match=r"max_latency_ms=1e-06.*the fastest, trial \d+"):
        train(validate_spec(_spec(data_dir, max_latency_ms=1e-6)), settings)


def test_selection_keeps_the_summed_cost_within_the_limit():
    """Two equally good, complementary candidates: both are picked without a limit, one when
    their summed cost would pass it."""
    y = np.array([0, 1] * 50)
    a = np.where((np.arange(100) % 4 < 2)[:, None], np.eye(2)[y], 0.5)  # right on half the rows
    b = np.where((np.arange(100) % 4 >= 2)[:, None], np.eye(2)[y], 0.5)  # right on the other half
    metric = get_metric("log_loss")
    free = select_ensemble([a, b], y, metric=metric, task="binary")
    assert (free.weights > 0).sum() == 2
    costs = np.array([3.0, 3.0])
    tight = select_ensemble([a, b], y, metric=metric, task="binary", costs=costs, limit=5.0)
    assert (tight.weights > 0).sum() == 1
    roomy = select_ensemble([a, b], y, metric=metric, task="binary", costs=costs, limit=6.0)
    assert (roomy.weights > 0).sum() == 2
