"""The metadata-store contract: one suite, run over every backend (SQLite file, PostgreSQL).

Each test gets a fresh store: a new SQLite file, or a new PostgreSQL schema that is migrated,
used and dropped. PostgreSQL cases skip without a server (and fail under
MODELYARD_REQUIRE_SERVICES=1, through the ``pg_url`` fixture).
"""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from modelyard.errors import Conflict, NotFound, RegistryError
from modelyard.registry import MetadataStore, diff_versions, store_url_for
from modelyard.registry import migrate as migrations
from modelyard.registry.engine import writer
from modelyard.registry.tables import metadata

URI = "sha256:" + "ab" * 32
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path) -> Iterator[str]:
    """An empty store URL of each backend (nothing created yet)."""
    if request.param == "sqlite":
        yield store_url_for(tmp_path / "home")
    else:
        yield request.getfixturevalue("fresh_pg_url")


@pytest.fixture
def store(store_url) -> Iterator[MetadataStore]:
    """An open, migrated store."""
    s = MetadataStore(store_url)
    if s.url.startswith("postgresql"):
        s.migrate()
    with s.open():
        yield s


def new_run(store: MetadataStore, name: str = "run", **kwargs) -> str:
    return store.create_run(name, {"learner": "linear"}, seed=kwargs.pop("seed", 0), **kwargs)


def version_of(store: MetadataStore, model: str = "churn", **kwargs) -> int:
    run_id = kwargs.pop("run_id", None) or new_run(store)
    kwargs.setdefault("metrics", {"roc_auc": 0.8})
    return store.register_version(model, run_id=run_id, artifact_uri=URI, schema={}, **kwargs)


# -- schema and migrations ---------------------------------------------------------------------
def test_migrations_from_empty_create_every_table(store_url):
    s = MetadataStore(store_url)
    before, after = s.migrate()
    assert (before, after) == (None, migrations.head_revision())
    with s.open():
        assert s.schema_revision() == migrations.head_revision()
        tables = set(sa.inspect(s.engine).get_table_names())
    assert set(metadata.tables) <= tables
    assert s.migrate()[0] == migrations.head_revision()  # idempotent on a closed store


def test_constructor_does_no_io(tmp_path):
    s = MetadataStore(store_url_for(tmp_path / "nowhere"))
    assert not (tmp_path / "nowhere").exists()
    with pytest.raises(RegistryError, match="not open") as err:
        s.get_run("x")
    assert "open()" in err.value.hint


def test_sqlite_open_upgrades_an_older_schema_and_keeps_data(tmp_path):
    url = store_url_for(tmp_path)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        migrations.upgrade(conn, "0001_runs")
    engine.dispose()
    with MetadataStore(url) as s:  # open() brings it to head
        assert s.schema_revision() == migrations.head_revision()
        run_id = new_run(s)
        assert version_of(s, run_id=run_id) == 1
        mode = s.engine.connect().exec_driver_sql("PRAGMA journal_mode").scalar()
    assert mode == "wal"


@pytest.mark.postgres
def test_postgres_refuses_a_behind_schema_until_migrated(fresh_pg_url):
    for url in [fresh_pg_url]:
        s = MetadataStore(url)
        with pytest.raises(RegistryError, match="none") as err:
            s.open()  # empty database
        assert "modelyard db upgrade" in err.value.hint
        engine = sa.create_engine(url)
        with writer(engine).begin() as conn:
            migrations.upgrade(conn, "0001_runs")
        engine.dispose()
        with pytest.raises(RegistryError, match="0001_runs") as err:
            s.open()
        assert "modelyard db upgrade" in err.value.hint
        assert s.migrate() == ("0001_runs", migrations.head_revision())
        with s.open():
            assert version_of(s) == 1


def test_a_newer_unknown_schema_is_refused(store):
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    store.close()
    with pytest.raises(RegistryError, match="9999_future") as err:
        store.open()
    assert "upgrade modelyard" in err.value.hint


# -- runs --------------------------------------------------------------------------------------
def test_create_run_records_the_environment(store):
    run_id = store.create_run(
        "churn",
        {"learner": "gbdt", "n": [1, 2]},
        seed=7,
        data_fingerprint="fp1",
        schema={"columns": ["a"]},
        tags={"team": "risk"},
    )
    run = store.get_run(run_id)
    assert len(run_id) == 32 and int(run_id, 16) >= 0
    assert (run.name, run.status, run.seed, run.spec) == (
        "churn",
        "running",
        7,
        {"learner": "gbdt", "n": [1, 2]},
    )
    assert (run.data_fingerprint, run.schema, run.tags) == (
        "fp1",
        {"columns": ["a"]},
        {"team": "risk"},
    )
    assert (run.host, run.pid) == (socket.gethostname(), os.getpid())
    assert run.python_version.split()[-1] == ".".join(map(str, sys.version_info[:3]))
    assert {"numpy", "pandas", "scikit-learn"} <= set(run.library_versions)
    assert run.git_commit is None or len(run.git_commit) == 40
    assert run.end_time is None and run.duration is None and run.start_time.tzinfo is not None


def test_params_round_trip_and_are_fixed_once_logged(store):
    run_id = new_run(store)
    params = {"lr": 0.1, "depth": 3, "name": "x", "layers": [64, 32], "flag": True, "none": None}
    store.log_params(run_id, params)
    store.log_params(run_id, {"lr": 0.1})  # same value again is fine
    assert store.get_run(run_id).params == params
    with pytest.raises(Conflict, match="'lr'"):
        store.log_params(run_id, {"lr": 0.2})
    with pytest.raises(NotFound):
        store.log_params("0" * 32, {"lr": 0.1})


def test_final_metrics_last_value_wins_and_nan_round_trips(store):
    run_id = new_run(store)
    store.log_metrics(run_id, {"roc_auc": 0.7, "loss": float("nan"), "big": float("inf")})
    store.log_metrics(run_id, {"roc_auc": 0.9})
    metrics = store.get_run(run_id).metrics
    assert metrics["roc_auc"] == 0.9  # exact: stored value read back
    assert math.isnan(metrics["loss"]) and metrics["big"] == math.inf
    with pytest.raises(RegistryError, match="must be a number"):
        store.log_metrics(run_id, {"roc_auc": "high"})


def test_metric_history_is_ordered_by_step(store):
    run_id = new_run(store)
    for step in (2, 0, 1):
        store.log_metrics(run_id, {"loss": 1.0 / (step + 1), "acc": step / 10}, step=step)
    store.log_metrics(run_id, {"final_only": 1.0})
    history = store.get_metric_history(run_id, "loss")
    assert [p.step for p in history] == [0, 1, 2]
    assert [p.value for p in history] == [1.0, 0.5, 1.0 / 3]  # exact: stored values read back
    assert store.get_metric_history(run_id, "final_only") == []
    with pytest.raises(NotFound, match="no metric 'los'") as err:
        store.get_metric_history(run_id, "los")
    assert "'loss'" in err.value.hint


def test_finish_run_records_end_cpu_and_error(store):
    ok, bad = new_run(store), new_run(store)
    sum(i * i for i in range(200_000))  # spend some CPU time
    store.finish_run(ok, "finished")
    store.finish_run(bad, "failed", error="ValueError: diverged", cpu_seconds=1.5)
    done, failed = store.get_run(ok), store.get_run(bad)
    assert done.status == "finished" and done.cpu_seconds > 0 and done.duration >= 0
    assert (failed.status, failed.error, failed.cpu_seconds) == (  # exact: stored values read back
        "failed",
        "ValueError: diverged",
        1.5,
    )
    with pytest.raises(Conflict, match="already ended"):
        store.finish_run(ok, "killed")
    with pytest.raises(RegistryError, match="'done'"):
        store.finish_run(new_run(store), "done")


def test_set_run_data_merges_json_fields(store):
    run_id = new_run(store, schema={"columns": ["a"]})
    store.set_run_data(run_id, split={"train": 80, "test": 20}, fingerprint="abc")
    store.set_run_data(run_id, result={"roc_auc": 0.9}, split=None)
    run = store.get_run(run_id)
    # exact: stored values read back
    assert run.data == {"schema": {"columns": ["a"]}, "result": {"roc_auc": 0.9}}
    assert run.data_fingerprint == "abc"
    with pytest.raises(RegistryError, match="JSON"):
        store.set_run_data(run_id, result=object())


def test_unknown_run_is_not_found(store):
    with pytest.raises(NotFound, match="no run 'nope'"):
        store.get_run("nope")


def test_list_runs_pages_newest_first(store):
    ids = [new_run(store, name=f"r{i}") for i in range(7)]
    pages = [store.list_runs(limit=3, offset=o) for o in (0, 3, 6)]
    assert [p.total for p in pages] == [7, 7, 7]
    assert [len(p) for p in pages] == [3, 3, 1] and pages[0].has_more and not pages[2].has_more
    listed = [r.run_id for p in pages for r in p]
    assert listed == ids[::-1]
    oldest_first = store.list_runs(order_by="start_time ASC", limit=2)
    assert [r.run_id for r in oldest_first] == ids[:2]


def test_list_runs_filters_by_status_name_and_metrics(store):
    aucs = {"a": 0.95, "b": 0.85, "c": 0.75, "d": None}
    runs = {}
    for tag, auc in aucs.items():
        runs[tag] = new_run(store, name="exp" if tag != "d" else "other")
        if auc is not None:
            store.log_metrics(runs[tag], {"roc_auc": auc, "rmse": 1 - auc})
    store.finish_run(runs["a"], "finished")
    names = lambda page: [next(t for t, i in runs.items() if i == r.run_id) for r in page]  # noqa: E731
    assert names(store.list_runs(status="finished")) == ["a"]
    assert store.list_runs(name="exp").total == 3
    page = store.list_runs(metric_filter="roc_auc>0.8", order_by="metric.roc_auc DESC")
    assert (names(page), page.total) == (["a", "b"], 2)
    assert names(
        store.list_runs(metric_filter=("roc_auc", "<=", 0.85), order_by="metric.roc_auc")
    ) == ["c", "b"]
    both = store.list_runs(metric_filter="metric.roc_auc >= 0.8 and rmse < 0.1")
    assert names(both) == ["a"]
    assert names(store.list_runs(metric_filter=[("roc_auc", ">", 0.7)], status="running")) == [
        "c",
        "b",
    ]
    # ordering by a metric some runs lack puts those last
    assert names(store.list_runs(order_by="metric.rmse DESC")) == ["c", "b", "a", "d"]
    for bad in ("roc_auc >> 1", "roc_auc > high", ("roc_auc", "~", 1)):
        with pytest.raises(RegistryError, match="metric filter|operator"):
            store.list_runs(metric_filter=bad)
    with pytest.raises(RegistryError, match="cannot order") as err:
        store.list_runs(order_by="start_tme")
    assert "start_time" in err.value.hint
    with pytest.raises(RegistryError, match="status"):
        store.list_runs(status="done")


def test_a_run_whose_process_died_is_marked_killed(store):
    script = (
        "import os, sys\n"
        "from modelyard.registry import MetadataStore\n"
        "s = MetadataStore(sys.argv[1]).open()\n"
        "print(s.create_run('doomed', {}, seed=0), flush=True)\n"
        "os._exit(3)  # die without finishing the run\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, store.url], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 3, done.stderr
    run_id = done.stdout.strip()
    live = new_run(store)
    page = store.list_runs()
    status = {r.run_id: r for r in page}
    assert status[live].status == "running"
    dead = status[run_id]
    assert dead.status == "killed" and dead.end_time is not None
    assert (
        dead.error
        == f"process {dead.pid} on {socket.gethostname()} ended without finishing the run"
    )
    assert store.mark_dead_runs() == []


# -- models, versions, aliases -----------------------------------------------------------------
def test_versions_are_numbered_and_carry_their_run(store):
    run_id = new_run(store)
    store.log_params(run_id, {"lr": 0.1})
    assert version_of(store, run_id=run_id, metrics={"roc_auc": 0.8}) == 1
    assert version_of(store, parent_version=1, description="retrained", tags={"k": "v"}) == 2
    v1, v2 = store.get_version("churn", 1), store.get_version("churn", 2)
    # exact: stored values read back
    assert (v1.run_id, v1.params, v1.artifact_uri, v1.ref) == (run_id, {"lr": 0.1}, URI, "churn:1")
    assert (v2.parent_version, v2.description, v2.tags) == (1, "retrained", {"k": "v"})
    assert store.get_model("churn").latest_version == 2
    with pytest.raises(NotFound, match="no version 9; its versions: 1, 2"):
        store.get_version("churn", 9)
    with pytest.raises(NotFound, match="no version 5"):
        version_of(store, parent_version=5)
    with pytest.raises(NotFound, match="no run"):
        store.register_version("churn", run_id="f" * 32, artifact_uri=URI, schema={}, metrics={})


def test_model_names_follow_the_rule_and_are_unique(store):
    store.create_model("churn-model_v1.2", description="d", tags={"team": "x"})
    with pytest.raises(Conflict, match="exists"):
        store.create_model("churn-model_v1.2")
    for bad in ("has space", "a/b", "", "x@y"):
        with pytest.raises(RegistryError, match="letters, digits"):
            store.create_model(bad)
    info = store.get_model("churn-model_v1.2")
    assert (info.description, info.tags, info.latest_version) == ("d", {"team": "x"}, None)
    with pytest.raises(NotFound) as err:
        store.get_model("churn-model_v1.3")
    assert "churn-model_v1.2" in err.value.hint


def test_resolve_references(store):
    for _ in range(3):
        version_of(store)
    assert store.resolve("churn").version == 3  # latest without a production alias
    store.set_alias("churn", "production", 2, actor="alice")
    store.set_alias("churn", "staging", 3, actor="alice")
    assert store.resolve("churn").version == 2
    assert store.resolve("churn@staging").version == 3
    assert store.resolve("churn:1").version == 1
    assert store.resolve("churn:2").aliases == ("production",)
    with pytest.raises(NotFound, match="its aliases: production -> 2, staging -> 3") as err:
        store.resolve("churn@stagin")
    assert "'staging'" in err.value.hint
    with pytest.raises(NotFound, match="its versions: 1, 2, 3"):
        store.resolve("churn:7")
    with pytest.raises(NotFound) as err:
        store.resolve("chrun")
    assert "'churn'" in err.value.hint
    for bad in ("churn:x", "churn@", "a@b:1"):
        with pytest.raises(RegistryError):
            store.resolve(bad)


def test_alias_moves_are_audited(store):
    for _ in range(2):
        version_of(store)
    store.set_alias("churn", "production", 1, actor="alice")
    store.set_alias("churn", "production", 1, actor="alice")  # no change, no row
    store.set_alias("churn", "production", 2, actor="bob")
    store.delete_alias("churn", "production", actor="carol")
    log = store.audit_log("churn")
    assert [(c.alias, c.from_version, c.to_version, c.actor) for c in log] == [
        ("production", None, 1, "alice"),
        ("production", 1, 2, "bob"),
        ("production", 2, None, "carol"),
    ]
    assert log[0].at <= log[1].at <= log[2].at and log[0].model == "churn"
    with pytest.raises(RegistryError, match="actor"):
        store.set_alias("churn", "production", 1, actor="")
    with pytest.raises(NotFound, match="no version 3"):
        store.set_alias("churn", "production", 3, actor="alice")
    for bad in ("..", "-x", "pro duction", "a/b", "x@y", ""):  # the one name rule
        with pytest.raises(RegistryError, match="invalid alias"):
            store.set_alias("churn", bad, 1, actor="alice")
    with pytest.raises(NotFound, match="no alias"):
        store.delete_alias("churn", "production", actor="carol")


def test_delete_version_refuses_while_an_alias_points_at_it(store):
    for _ in range(3):
        version_of(store)
    store.set_alias("churn", "production", 3, actor="alice")
    with pytest.raises(Conflict, match="alias 'production' points at it") as err:
        store.delete_version("churn", 3)
    assert "modelyard models promote churn <version> --alias production" in err.value.hint
    store.set_alias("churn", "production", 2, actor="alice")
    store.delete_version("churn", 3)
    assert version_of(store) == 4  # numbers are never reused
    assert [v.version for v in store.list_versions("churn")] == [4, 2, 1]
    with pytest.raises(NotFound):
        store.get_version("churn", 3)


def test_tags_and_descriptions(store):
    version_of(store, tags={"a": "1"})
    store.set_model_tags("churn", {"team": "risk", "tmp": "x"})
    store.set_model_tags("churn", {"tmp": None})
    store.set_version_tags("churn", 1, {"b": "2", "a": None})
    store.set_description("churn", "churn model")
    store.set_description("churn", "first try", version=1)
    model, v1 = store.get_model("churn"), store.get_version("churn", 1)
    assert (model.tags, model.description) == ({"team": "risk"}, "churn model")
    assert (v1.tags, v1.description) == ({"b": "2"}, "first try")


def test_list_models_and_versions_page(store):
    for name in ("churn", "churn-v2", "fraud", "Sales"):
        version_of(store, model=name)
    assert [m.name for m in store.list_models()] == ["Sales", "churn", "churn-v2", "fraud"]
    found = store.list_models(name_contains="CHURN", limit=1)
    assert (found.total, [m.name for m in found]) == (2, ["churn"])
    assert store.list_models(name_contains="%").total == 0  # LIKE wildcards are literal
    for _ in range(4):
        version_of(store, model="fraud")
    page = store.list_versions("fraud", limit=2, offset=1)
    assert ([v.version for v in page], page.total) == ([4, 3], 5)


def test_diff_versions_of_two_registered_versions(store):
    a_run, b_run = new_run(store), new_run(store)
    store.log_params(a_run, {"lr": 0.1, "depth": 3})
    store.log_params(b_run, {"lr": 0.05, "depth": 3, "l2": 1.0})
    version_of(store, run_id=a_run, metrics={"roc_auc": 0.8, "f1": 0.5})
    version_of(store, run_id=b_run, metrics={"roc_auc": 0.85, "f1": 0.5})
    diff = diff_versions(store.get_version("churn", 1), store.get_version("churn", 2))
    # exact: stored values read back
    assert diff["params"] == {"l2": {"a": None, "b": 1.0}, "lr": {"a": 0.1, "b": 0.05}}
    assert list(diff["metrics"]) == ["roc_auc"]
    assert diff["metrics"]["roc_auc"]["delta"] == pytest.approx(0.05)
