"""Eight processes hit one store at the same moment: nothing is lost, versions are 1..8.

Each worker (``registry_worker.py``) creates a run, logs 200 metric points and registers a
version of the same model; a start file releases them together and a second barrier lines up
the registrations. Runs on SQLite (where the workers also race to create the schema) and on
PostgreSQL.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from modelyard.registry import MetadataStore, store_url_for
from modelyard.registry.tables import metric_points

WORKERS = 8
POINTS = 200
WORKER = Path(__file__).with_name("registry_worker.py")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield store_url_for(tmp_path / "home")  # not created: the workers create it
        return
    url = request.getfixturevalue("fresh_pg_url")
    MetadataStore(url).migrate()  # PostgreSQL stores are migrated explicitly, not on open
    yield url


@pytest.mark.slow
def test_concurrent_runs_and_registrations_lose_nothing(store_url, tmp_path):
    sync = tmp_path / "sync"
    sync.mkdir()
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), store_url, str(sync), str(i), str(WORKERS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(WORKERS)
    ]
    try:
        deadline = time.monotonic() + 120
        while len(list(sync.glob("ready-*"))) < WORKERS:
            assert time.monotonic() < deadline, "workers did not start"
            assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
            time.sleep(0.01)
        (sync / "start").touch()
        outputs = [p.communicate(timeout=400) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    pairs = enumerate(zip(procs, outputs, strict=True))
    failed = [f"worker {i}: {err}" for i, (p, (_, err)) in pairs if p.returncode]
    assert not failed, "\n".join(failed)
    results = [json.loads(out) for out, _ in outputs]

    assert sorted(r["version"] for r in results) == list(range(1, WORKERS + 1))
    with MetadataStore(store_url) as store:
        versions = store.list_versions("shared-model", limit=100)
        assert [v.version for v in versions] == list(range(WORKERS, 0, -1))
        assert {v.run_id for v in versions} == {r["run_id"] for r in results}
        assert store.get_model("shared-model").latest_version == WORKERS
        runs = store.list_runs(limit=100)
        assert runs.total == WORKERS and {r.status for r in runs} == {"finished"}
        with store.engine.connect() as conn:
            count = conn.execute(sa.select(sa.func.count()).select_from(metric_points))
            assert count.scalar_one() == WORKERS * POINTS
        for r in results:
            history = store.get_metric_history(r["run_id"], "loss")
            assert [p.step for p in history] == list(range(POINTS))
