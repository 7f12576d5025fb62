"""examples/demand_drift end to end, shortened: a model trained on the winter hours of
tests/data/bike_sharing_drift.csv (Jan-Mar 2011) is served by a real `modelyard serve`, June 2011
is replayed through it over HTTP and its truth fed back over HTTP; the drift check, the live
metrics and `modelyard watch --once` then see summer. The drift trigger must fire in the watcher,
and the challenger (trained on the grown source) must be registered as the champion's child and
take production, with the decision's evidence in the store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SLICE = ROOT / "tests/data/bike_sharing_drift.csv"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[dict, Path, str]:
    work = tmp_path_factory.mktemp("demand_drift")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples/demand_drift/run.py"), "--data", str(SLICE),
         "--train-until", "2011-04-01", "--until", "2011-07-01", "--workdir", str(work / "run"),
         "--summary", str(work / "summary.json")],
        capture_output=True, text=True, timeout=300, cwd=work)  # fmt: skip
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return json.loads((work / "summary.json").read_text()), work / "run" / "home", proc.stdout


def modelyard_json(home: Path, *args: str):
    env = {**os.environ, "MODELYARD_HOME": str(home)}
    proc = subprocess.run([sys.executable, "-m", "modelyard", *args, "--json"], env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(proc.stdout)


def test_summer_drifts_on_temperature_and_month(demo):
    summary, _, out = demo
    [june] = summary["months"]
    assert june["month"] == "2011-06" and june["version"] == 1 and june["hours"] == 720
    assert june["feedback"]["stored"] == 720 and june["feedback"]["unknown"] == 0
    assert june["drifted"]
    assert {"temp", "atemp", "month"} <= set(june["drifted_columns"])
    assert {"hour", "weekday"}.isdisjoint(june["drifted_columns"])  # same hours, same weekdays
    assert "drift: DRIFT" in out


def test_the_live_metric_drops_significantly_below_test(demo):
    summary, _, out = demo
    live = summary["months"][0]["live"]  # one window, or two when the replay met midnight UTC
    assert live and all(w["dropped"] for w in live)
    for window in live:
        mae = window["metrics"]["mae"]
        assert mae["low"] > mae["test"]  # the whole interval is worse than the test value
        assert mae["test"] == pytest.approx(summary["test_metrics"]["mae"])
    if len(live) == 1:
        assert live[0]["rows"] == 720
        assert live[0]["metrics"]["mae"]["value"] == pytest.approx(
            summary["months"][0]["replayed_mae"], rel=1e-6)
    assert "SIGNIFICANT DROP" in out


def test_the_watcher_fires_the_drift_trigger_and_promotes_a_better_child(demo):
    summary, home, _ = demo
    watched = summary["months"][0]["watch"]
    [check] = watched["checks"]
    assert check["trigger"] == "drift" and check["fired"], check
    outcome = watched["outcome"]
    assert outcome["trigger"] == "drift" and outcome["promoted"]
    assert (outcome["champion"], outcome["challenger"]) == (1, 2)
    shown = modelyard_json(home, "models", "show", "bikes")
    assert shown["model"]["aliases"]["production"] == 2 and summary["production"] == 2
    child = next(v for v in shown["versions"] if v["version"] == 2)
    assert child["parent_version"] == 1


def test_the_decision_log_says_why(demo):
    _, home, _ = demo
    shown = modelyard_json(home, "models", "show", "bikes")
    [decision] = shown["retraining"]
    assert decision["trigger"] == "drift" and decision["promoted"]
    assert decision["reason"].startswith("promoted: challenger v2 vs champion v1 on rmse")
    evidence = decision["evidence"]
    assert evidence["metric"] == "rmse" and not evidence["greater_is_better"]
    assert evidence["challenger_score"] < evidence["champion_score"]
    assert evidence["difference"] > 0 and evidence["interval"][0] > evidence["margin"]
    assert "drifted" in evidence["trigger_detail"]["drift"]
    assert evidence["rows_used"]["test"] == evidence["rows"] > 0
    moves = [a for a in shown["audit_log"] if a.get("alias") == "production"]
    assert any((a["from_version"], a["to_version"]) == (1, 2)
               and a["actor"].startswith("retrain:") for a in moves), moves
