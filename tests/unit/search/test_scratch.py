"""The search's scratch folder: deleted when the search ends, and swept up after a killed one."""

from __future__ import annotations

import os
import subprocess
import sys

from modelyard.search.scratch import PREFIX, sweep_orphans, trial_scratch


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_folders_of_dead_searches_are_swept_and_the_others_kept(tmp_path):
    dead = tmp_path / f"{PREFIX}{_dead_pid()}-abc"
    (dead / "trial-3").mkdir(parents=True)
    (dead / "trial-3" / "model.txt").write_text("saved fold model")
    live = tmp_path / f"{PREFIX}{os.getppid()}-def"  # the test runner's parent is alive
    live.mkdir()
    unnamed = tmp_path / f"{PREFIX}xyz"  # no process id: not ours to judge
    unnamed.mkdir()
    assert sweep_orphans(tmp_path) == [dead]
    assert not dead.exists() and live.exists() and unnamed.exists()


def test_a_search_scratch_folder_sweeps_first_and_goes_away_after(tmp_path):
    orphan = tmp_path / f"{PREFIX}{_dead_pid()}-left"
    orphan.mkdir()
    with trial_scratch(tmp_path) as scratch:
        assert scratch.name.startswith(f"{PREFIX}{os.getpid()}-") and scratch.is_dir()
        assert not orphan.exists()
        (scratch / "file").write_text("x")
    assert not scratch.exists()
