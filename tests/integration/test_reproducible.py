"""Reproducible training: the same spec, data and seed give byte-identical model artifacts and the
same leaderboard, run after run, on one core as on every core.

Each side trains every learner family and a small ``max_trials`` search through the real pipeline,
in its own process and its own MODELYARD_HOME (so object ids, clocks and paths all differ); one
side is pinned to a single core. On a one-core machine both sides run on one core and the core
comparison passes trivially.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

RUNNER = Path(__file__).with_name("reproducible_runs.py")
# light evaluation: the report is not part of the model artifact, and these keep the runs short
EVALUATION = {"bootstrap": 10, "importance": False, "latency": False}
FAMILIES = {
    "logistic": {},
    "random_forest": {"n_estimators": 30},
    "extra_trees": {"n_estimators": 30},
    "lightgbm": {"n_estimators": 30},
    "xgboost": {"n_estimators": 30},
    "catboost": {"n_estimators": 30},
    "mlp": {"epochs": 4, "hidden_sizes": [16], "batch_size": 32},
}


def _specs(data_dir: Path) -> dict[str, dict]:
    data = {"source": {"path": str(data_dir / "telco_churn.csv")}, "target": "Churn"}
    common = {"data": data, "seed": 7, "evaluation": EVALUATION}
    specs = {
        name: {**common, "name": name, "model": {"learner": name, "params": params}}
        for name, params in FAMILIES.items()
    }
    specs["linear"] = {  # the regression side of the linear family
        "name": "linear",
        "data": {"source": {"path": str(data_dir / "california_housing.csv")},
                 "target": "median_house_value"},
        "model": "linear",
        "seed": 7,
        "evaluation": EVALUATION,
    }
    specs["search"] = {  # an ensemble whose members include a forest and an MLP
        **common,
        "name": "search",
        "search": {"max_trials": 3, "folds": 3, "learners": ["random_forest", "mlp"]},
    }
    return specs


def _start(home: Path, specs: dict[str, dict], *, one_core: bool) -> subprocess.Popen:
    cpu = [str(min(os.sched_getaffinity(0)))] if one_core else []  # the child pins itself
    env = {**os.environ, "MODELYARD_HOME": str(home)}
    return subprocess.Popen(
        [sys.executable, str(RUNNER), str(home), json.dumps(specs), *cpu],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )


def _finish(process: subprocess.Popen) -> tuple[int, dict[str, dict]]:
    """(the cores the side ran on, what each spec saved)."""
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err[-3000:]
    answer = json.loads(out)
    return answer["cpus"], answer["runs"]


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs os.sched_setaffinity")
def test_same_spec_data_and_seed_give_the_same_artifacts_on_one_core_and_on_all(
    tmp_path, data_dir
):
    specs = _specs(data_dir)
    sides = [
        _start(tmp_path / "all-cores", specs, one_core=False),
        _start(tmp_path / "one-core", specs, one_core=True),
    ]
    (cores, everywhere), (one, pinned) = (_finish(p) for p in sides)
    assert one == 1 and cores == len(os.sched_getaffinity(0))

    assert set(everywhere) == set(pinned) == set(specs)
    differing = {}
    for label in specs:
        a, b = everywhere[label], pinned[label]
        changed = sorted(f for f in a["files"].keys() | b["files"].keys()
                         if a["files"].get(f) != b["files"].get(f))
        if changed or a["artifact_uri"] != b["artifact_uri"]:
            differing[label] = changed
        assert a["test"] == pytest.approx(b["test"], rel=1e-12, abs=1e-12), label
    assert not differing, f"files that differ between the two runs, by spec: {differing}"

    board, other = everywhere["search"]["leaderboard"], pinned["search"]["leaderboard"]
    assert len(board) == 3
    assert [{k: v for k, v in e.items() if k != "score"} for e in board] == [
        {k: v for k, v in e.items() if k != "score"} for e in other
    ]
    assert [e["score"] for e in board] == pytest.approx([e["score"] for e in other], rel=1e-12)
    # the ensemble holds forest and MLP members, so their saved files were compared above too
    saved = {Path(name).name for name in everywhere["search"]["files"]}
    assert {"model.skops", "model.safetensors"} <= saved, sorted(saved)
