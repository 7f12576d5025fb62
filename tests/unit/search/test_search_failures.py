"""A search records failing learners with a note and goes on without them, in-process and in
worker processes (a worker that dies included)."""

from __future__ import annotations

import pytest
from search_plugins import AlwaysFails, KillsWorker, RunsOutOfMemory

from modelyard.errors import SpecError, TrainingError
from modelyard.learners import base
from modelyard.search import search


@pytest.fixture
def failing_learners(monkeypatch):
    """Register the failing learners for this test only."""
    for cls in (AlwaysFails, RunsOutOfMemory, KillsWorker):
        monkeypatch.setitem(base._REGISTRY, cls.name, cls)


def _search(table, learners, **kwargs):
    return search(table.frame, table.y, schema=table.schema, task=table.task, folds=3, seed=5,
                  labels=table.labels, learners=learners, **kwargs)


def test_a_learner_that_always_fails_is_recorded_and_dropped(telco, failing_learners):
    result = _search(telco, ["always_fails", "runs_out_of_memory", "logistic"], max_trials=8)
    records = result.leaderboard.to_records()
    failed = [r for r in records if r["status"] == "failed"]
    assert {r["learner"] for r in failed} == {"always_fails", "runs_out_of_memory"}
    assert all(r["note"] for r in failed)
    assert sum(r["learner"] == "always_fails" for r in failed) == 2  # dropped after two
    assert sum(r["learner"] == "runs_out_of_memory" for r in failed) == 1  # dropped at once
    assert any("always_fails: dropped" in note for note in result.notes)
    assert len(records) == 8 and result.model.predict(telco.frame).shape == (len(telco.y),)
    assert all(r["weight"] == 0 for r in failed)


def test_a_worker_that_dies_fails_its_trial_and_the_search_goes_on(telco, failing_learners):
    result = _search(telco, ["kills_worker", "logistic"], max_trials=6, parallel=2)
    records = result.leaderboard.to_records()
    died = [r for r in records if r["learner"] == "kills_worker"]
    assert died and all(r["status"] == "failed" and "worker process died" in r["note"]
                        for r in died)
    assert any(r["status"] == "ok" and r["learner"] == "logistic" for r in records)
    assert len(records) == 6


def test_only_failures_is_a_training_error_listing_them(telco, failing_learners):
    with pytest.raises(TrainingError, match="always fails"):
        _search(telco, ["always_fails"], max_trials=3)


def test_unknown_or_misplaced_learners_and_metrics_are_spec_errors(telco, housing):
    with pytest.raises(SpecError) as err:
        _search(telco, ["lightgbn"], max_trials=1)
    assert "lightgbm" in err.value.hint
    with pytest.raises(SpecError, match="does not serve regression"):
        _search(housing, ["logistic"], max_trials=1)
    with pytest.raises(SpecError, match="roc_auc"):
        _search(housing, ["linear"], max_trials=1, metric="roc_auc")
    with pytest.raises(SpecError, match="needs a bound"):
        _search(telco, ["logistic"])
