"""The retraining tables of the metadata store (migration 0004), over SQLite and PostgreSQL:
decisions with evidence, the watcher's checks, the retrain lease and the monitoring gauges."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from modelyard.registry import MetadataStore, store_url_for
from modelyard.registry import migrate as migrations
from modelyard.registry.engine import writer
from modelyard.registry.retrain_log import RetrainLog
from modelyard.registry.watch_state import WatchState

URI = "sha256:" + "ab" * 32
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path) -> Iterator[MetadataStore]:
    url = (store_url_for(tmp_path / "home") if request.param == "sqlite"
           else request.getfixturevalue("fresh_pg_url"))
    s = MetadataStore(url)
    s.migrate()
    with s.open():
        run_id = s.create_run("churn", {"learner": "logistic"}, seed=0)
        s.register_version("churn", run_id=run_id, artifact_uri=URI, schema={}, metrics={})
        yield s


@pytest.mark.parametrize("backend", BACKENDS)
def test_0004_upgrades_a_0003_store(backend, request, tmp_path):
    url = (store_url_for(tmp_path) if backend == "sqlite"
           else request.getfixturevalue("fresh_pg_url"))
    engine = sa.create_engine(url)
    with writer(engine).begin() as conn:
        migrations.upgrade(conn, "0003_api_keys")
    engine.dispose()
    s = MetadataStore(url)
    assert s.migrate() == ("0003_api_keys", "0004_retraining")
    with s.open():
        tables = set(sa.inspect(s.engine).get_table_names())
        assert {"retrain_decisions", "watch_checks", "retrain_leases", "monitor_gauges"} <= tables


def test_decisions_round_trip_newest_first(store):
    log = RetrainLog(store)
    evidence = {"metric": "roc_auc", "champion": 0.81, "challenger": 0.83, "rows": 64}
    log.record("churn", alias="production", champion=1, challenger=2, promoted=True,
               trigger="force", reason="better", evidence=evidence, actor="me")
    log.record("churn", alias="production", champion=2, challenger=3, promoted=False,
               trigger="schedule", reason="not better", evidence={}, actor="me")
    got = log.decisions("churn")
    assert [d.challenger_version for d in got] == [3, 2]
    assert got[1].promoted and not got[0].promoted
    assert got[1].evidence["champion"] == pytest.approx(0.81)
    assert got[1].to_dict()["trigger"] == "force"


def test_checks_keep_the_last_state_and_fire_time(store):
    state = WatchState(store)
    assert state.last_check("churn", "schedule") is None
    state.record_check("churn", "schedule", fired=True, state={"slot": "a"})
    fired = state.last_check("churn", "schedule").fired_at
    state.record_check("churn", "schedule", fired=False, state={"slot": "b"})
    check = state.last_check("churn", "schedule")
    assert check.state == {"slot": "b"} and check.fired_at == fired


def test_the_lease_has_one_holder_until_it_expires(store):
    state = WatchState(store)
    assert state.acquire("churn", "a", 60)
    assert not state.acquire("churn", "b", 60)
    assert state.acquire("churn", "a", 60)  # the holder may take it again
    assert state.renew("churn", "a", 60) and not state.renew("churn", "b", 60)
    state.release("churn", "a")
    assert state.acquire("churn", "b", 0.05)
    time.sleep(0.1)  # b "crashed": its lease runs out
    assert state.acquire("churn", "a", 60)
    assert state.lease_holder("churn")[0] == "a"


def test_gauges_keep_the_latest_value_per_label(store):
    state = WatchState(store)
    state.set_gauges("churn", "drift_score", {"tenure": 0.3, "Contract": float("nan")})
    state.set_gauges("churn", "drift_score", {"tenure": 0.1})
    values = {(g.gauge, g.label): g.value for g in state.gauges(["churn"])}
    assert values[("drift_score", "tenure")] == pytest.approx(0.1)
    assert math.isnan(values[("drift_score", "Contract")])
