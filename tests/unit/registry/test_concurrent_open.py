"""Many new processes open one new SQLite store at the same moment: every one of them gets in.

On a new file each process switches the journal to WAL, and SQLite refuses that switch with
"database is locked" at once instead of waiting. Before the fix about one process in ten failed
to open a store that several commands started together were creating.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from modelyard.registry import MetadataStore, store_url_for

PROCESSES = 16
ROUNDS = 3
OPENER = """
import sys, time
from pathlib import Path
from modelyard.registry import MetadataStore
url, go = sys.argv[1], Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
with MetadataStore(url) as store:
    run_id = store.create_run("opener", {}, seed=0)
    for step in range(20):
        store.log_metrics(run_id, {"loss": 1.0}, step=step)
"""


@pytest.mark.slow
def test_processes_opening_a_new_sqlite_store_together_all_get_in(tmp_path):
    for round_ in range(ROUNDS):
        url, go = store_url_for(tmp_path / f"home-{round_}"), tmp_path / f"go-{round_}"
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", OPENER, url, str(go)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(PROCESSES)
        ]
        time.sleep(3)  # not a timing assertion: only lets most of them reach the start line
        go.touch()
        outputs = [p.communicate(timeout=300) for p in procs]
        pairs = zip(procs, outputs, strict=True)
        failed = [err.strip().splitlines()[-1] for p, (_, err) in pairs if p.returncode]
        assert not failed, failed
        with MetadataStore(url) as store:
            assert store.list_runs(limit=100).total == PROCESSES
