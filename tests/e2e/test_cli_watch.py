"""`modelyard watch` with real processes on the Telco slice: two watchers sharing one store (SQLite,
PostgreSQL) retrain a model once between them; a schedule slot missed many times over runs once; a
watcher killed mid-retrain leaves a killed run and a lease that runs out, and the next watcher
retries once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.e2e.retrain_specs import churn_spec, telco_copy

from modelyard.registry import MetadataStore, store_url_for
from modelyard.registry.watch_state import WatchState


def _setup(cli, tmp_path: Path, data_dir: Path, retrain: str, *db: str) -> Path:
    data = telco_copy(tmp_path, data_dir)
    spec = churn_spec(tmp_path, data, "churn", retrain)
    trained = cli(*db, "train", spec, "--json")
    assert trained.code == 0, trained.err
    assert cli(*db, "models", "promote", "churn", "1").code == 0
    return data


def _drop_rows(data: Path, n: int = 40) -> None:
    lines = data.read_text().splitlines(keepends=True)
    data.write_text("".join(lines[:-n]))


def _watchers(tmp_path: Path, n: int, *db: str) -> list[subprocess.Popen]:
    env = {**os.environ, "MODELYARD_HOME": str(tmp_path / "home")}
    return [subprocess.Popen([sys.executable, "-m", "modelyard", *db, "watch", "churn", "--once",
                              "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=env, cwd=tmp_path) for _ in range(n)]


def _decisions(cli, *db: str) -> list[dict]:
    shown = cli(*db, "models", "show", "churn", "--json")
    assert shown.code == 0, shown.err
    return shown.json()["retraining"]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql",
                                                            marks=pytest.mark.postgres)])
def test_two_watchers_retrain_once(cli, tmp_path, data_dir, backend, request):
    db = () if backend == "sqlite" else ("--db", request.getfixturevalue("fresh_pg_url"))
    if db:
        assert cli(*db, "db", "upgrade").code == 0
    data = _setup(cli, tmp_path, data_dir, "{margin: 0.5, triggers: {new_data: true}}", *db)
    _drop_rows(data)
    procs = _watchers(tmp_path, 2, *db)
    outs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [e for _, e in outs]
    assert not [e for _, e in outs if "alembic" in e]  # modelyard's events only, no library chatter
    passes = [json.loads(o) for o, _ in outs]
    assert sum(p["retrained"] for p in passes) == 1, passes
    assert len(_decisions(cli, *db)) == 1


@pytest.mark.timeout(300)
def test_missed_schedule_slots_run_once(cli, tmp_path, data_dir):
    _setup(cli, tmp_path, data_dir, "{margin: 0.5, triggers: {schedule: '0 0 1 1 *'}}")
    with MetadataStore(store_url_for(tmp_path / "home")) as store:  # the watcher's last slot
        WatchState(store).record_check("churn", "schedule", fired=True,  # was years ago
                                       state={"slot": datetime(2020, 1, 1, tzinfo=UTC).isoformat()})
    first = cli("watch", "churn", "--once", "--json")
    assert first.code == 0, first.err
    assert json.loads(first.out)["retrained"]
    second = json.loads(cli("watch", "churn", "--once", "--json").out)
    assert not second["retrained"] and "no slot" in second["checks"][0]["detail"]
    assert len(_decisions(cli)) == 1


@pytest.mark.timeout(300)
def test_a_watcher_killed_mid_retrain_is_retried_once(cli, tmp_path, data_dir):
    data = _setup(cli, tmp_path, data_dir,
                  "{margin: 0.5, lease_seconds: 2, triggers: {new_data: true}}")
    _drop_rows(data)
    url = store_url_for(tmp_path / "home")
    [proc] = _watchers(tmp_path, 1)
    with MetadataStore(url) as store:
        deadline = time.monotonic() + 120
        while not store.list_runs(status="running").items:  # the challenger is training
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    with MetadataStore(url) as store:  # the dead watcher never released its lease
        holder, expires = WatchState(store).lease_holder("churn")
    assert holder.split(":")[1] == str(proc.pid)
    time.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 0.2)  # it runs out
    retried = json.loads(cli("watch", "churn", "--once", "--json").out)
    assert retried["retrained"] and retried["outcome"]["trigger"] == "new_data"
    again = json.loads(cli("watch", "churn", "--once", "--json").out)
    assert not again["retrained"]
    runs = cli("runs", "list", "--json").json()["items"]
    assert sorted(r["status"] for r in runs) == ["finished", "finished", "killed"]
    assert len(_decisions(cli)) == 1
