"""What the CLI prints reads cleanly on an 80-column terminal, and what scripts read from it (run
ids, paths) is never wrapped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from modelyard.pipeline import train
from modelyard.settings import load_settings
from modelyard.spec import validate_spec


@pytest.fixture
def narrow(tmp_path, data_dir):
    """Two finished runs, and `modelyard ARGS` on an 80-column terminal over their store."""
    home = tmp_path / "home"
    for learner in ("logistic", "lightgbm"):
        train(validate_spec({
            "name": "churn-with-a-rather-long-model-name" if learner == "lightgbm" else "churn",
            "data": {"source": {"path": str(data_dir / "telco_churn.csv")}, "target": "Churn"},
            "model": learner, "evaluation": {"importance": False, "latency": False,
                                             "bootstrap": 10},
        }), load_settings(home))
    env = {**os.environ, "MODELYARD_HOME": str(home), "COLUMNS": "80"}

    def run(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "modelyard", *args], env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done

    return run


def _fits(text: str) -> None:
    wide = [line for line in text.splitlines() if len(line) > 80]
    assert not wide, wide


def test_listings_fit_80_columns_and_short_run_ids_work(narrow, data_dir):
    runs = narrow("runs", "list").stdout
    _fits(runs)
    ids = [line.split()[0] for line in runs.splitlines() if line.strip()[:12].isalnum()
           and len(line.split()[0]) == 12]
    assert len(ids) == 2, runs  # each run on one line, its id cut to 12 characters
    shown = narrow("runs", "show", ids[0]).stdout
    assert shown.startswith(f"run {ids[0]}")
    report = narrow("report", ids[0]).stdout
    assert len(report.splitlines()) == 1 and Path(report.strip()).is_file()  # never wrapped
    _fits(narrow("models", "show", "churn").stdout)
    _fits(narrow("learners").stdout)
    profile = narrow("data", "profile", str(data_dir / "house_prices_ames.csv"),
                     "--target", "SalePrice").stdout
    _fits("\n".join(line for line in profile.splitlines()
                    if not line.startswith("fingerprint:")))  # a hash for scripts: whole
    assert "categorical" in profile and "categorica\n" not in profile


def test_an_empty_page_says_so(narrow):
    assert narrow("runs", "list", "--status", "failed").stdout.strip() == "no runs match"
