"""Process liveness (for dead-run marking) and the environment recorded on every run."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from modelyard.registry.environment import current_environment, git_commit, library_versions
from modelyard.registry.liveness import process_alive

linux_only = pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")


def test_this_process_is_alive():
    assert process_alive(os.getpid(), datetime.now(UTC))


def test_an_ended_and_reaped_process_is_dead():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not process_alive(child.pid)


@linux_only
def test_a_zombie_is_dead():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # ended, not reaped
        assert not process_alive(child.pid)
    finally:
        child.wait()


@linux_only
def test_a_reused_pid_is_not_the_run_owner():
    # this process started long after a run that began a day ago: it cannot be that run's owner
    assert not process_alive(os.getpid(), datetime.now(UTC) - timedelta(days=1))


def test_nonsense_pids_are_dead():
    assert not process_alive(0) and not process_alive(-5)


def test_library_versions_from_metadata():
    versions = library_versions()
    assert {"numpy", "pandas", "scikit-learn"} <= set(versions)
    assert versions["xgboost"]  # installed as the 'xgboost-cpu' distribution


def test_git_commit_outside_a_repository_is_none(tmp_path):
    assert git_commit(str(tmp_path)) is None


def test_current_environment():
    env = current_environment()
    assert env.pid == os.getpid() and env.host and env.python_version.startswith("CPython")
