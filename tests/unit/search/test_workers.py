"""How many trials run at once: ``parallel`` as a number, or ``"auto"``."""

from __future__ import annotations

import os

import pytest

from modelyard.errors import SpecError
from modelyard.search.workers import MAX_AUTO_WORKERS, WORKER_MEMORY_FACTOR, resolve_workers


def test_auto_uses_every_usable_core_for_a_timed_search_and_one_for_a_trial_count():
    cores = len(os.sched_getaffinity(0))
    assert resolve_workers("auto", timed=True) == min(cores, MAX_AUTO_WORKERS)
    assert resolve_workers("auto", timed=False) == 1  # same leaderboard on every machine


def test_auto_follows_the_cpus_this_process_may_use():
    before = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {min(before)})
        assert resolve_workers("auto", timed=True) == 1
    finally:
        os.sched_setaffinity(0, before)


def test_auto_starts_no_more_workers_than_the_free_memory_holds():
    cores = min(len(os.sched_getaffinity(0)), MAX_AUTO_WORKERS)
    gib = 1024**3
    one_worker = WORKER_MEMORY_FACTOR * gib  # what a worker needs for 1 GiB of training data
    assert resolve_workers("auto", timed=True, data_bytes=gib, free_bytes=one_worker) == 1
    assert resolve_workers("auto", timed=True, data_bytes=gib, free_bytes=0) == 1
    assert resolve_workers("auto", timed=True, data_bytes=gib,
                           free_bytes=100 * one_worker) == cores
    assert resolve_workers("auto", timed=True, data_bytes=gib, free_bytes=None) >= 1
    assert resolve_workers(6, timed=True, data_bytes=gib, free_bytes=0) == 6  # as asked


def test_a_number_is_taken_as_given_and_a_bad_value_is_refused():
    assert resolve_workers(3, timed=False) == 3 and resolve_workers(1, timed=True) == 1
    for bad in (0, -2, "all", 2.5, True, None):
        with pytest.raises(SpecError, match="parallel must be 'auto' or an integer >= 1") as err:
            resolve_workers(bad, timed=True)
        assert "parallel='auto'" in err.value.hint
