"""API keys in the metadata store (SQLite and PostgreSQL): only hashes stored, verify, revoke,
names unique, model lists checked; migration 0003 creates the table."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from modelyard.errors import Conflict, NotFound, RegistryError
from modelyard.registry import MetadataStore, store_url_for
from modelyard.registry import migrate as migrations
from modelyard.registry.keys import KEY_PREFIX, ApiKeys, hash_key

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path) -> Iterator[MetadataStore]:
    """An open, migrated store: a SQLite file, or a fresh PostgreSQL schema dropped afterwards."""
    if request.param == "sqlite":
        with MetadataStore(store_url_for(tmp_path / "home")) as s:
            yield s
        return
    pg_url = request.getfixturevalue("pg_url")
    engine = sa.create_engine(pg_url)
    schema = "modelyard_keys_" + uuid.uuid4().hex[:12]
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        joiner = "&" if "?" in pg_url else "?"
        s = MetadataStore(f"{pg_url}{joiner}options=-csearch_path%3D{schema}")
        s.migrate()
        with s.open():
            yield s
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        engine.dispose()


def test_the_migration_creates_the_keys_table(store):
    assert store.schema_revision() == migrations.head_revision()
    assert "0003_api_keys" in migrations.known_revisions()
    assert "api_keys" in sa.inspect(store.engine).get_table_names()


def test_create_stores_only_the_hash_and_verifies(store):
    keys = ApiKeys(store)
    store.create_model("churn")
    store.create_model("fraud")
    info, secret = keys.create("checkout", ["churn", "fraud", "churn"])
    assert secret.startswith(KEY_PREFIX) and len(secret) > 40
    assert info.models == ("churn", "fraud") and info.active
    assert info.allows("churn") and not info.allows("other")
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT key_hash, name FROM api_keys").all()
    assert [tuple(r) for r in rows] == [(hash_key(secret), "checkout")]
    assert keys.verify(secret) == info
    assert keys.verify(secret + "x") is None
    everything, _ = keys.create("ops")
    assert everything.models is None and everything.allows("anything")
    assert [k.name for k in keys.list()] == ["checkout", "ops"]


def test_a_key_for_a_model_that_is_not_registered_is_refused_unless_allowed(store):
    keys = ApiKeys(store)
    with pytest.raises(NotFound, match="no model is registered yet") as err:
        keys.create("ci", ["churn"])
    assert "--allow-unregistered" in err.value.hint
    for name in ("churn", "fraud"):
        store.create_model(name)
    with pytest.raises(NotFound, match=r"'chrun'.*registered models: churn, fraud") as err:
        keys.create("ci", ["fraud", "chrun"])
    assert "did you mean 'churn'" in err.value.hint
    assert keys.list().total == 0  # nothing was created
    later, _ = keys.create("ci", ["churn", "forecast"], allow_unregistered=True)
    assert later.models == ("churn", "forecast")


def test_list_pages_oldest_first_with_the_total(store):
    keys = ApiKeys(store)
    for name in ("a", "b", "c", "d"):
        keys.create(name)
    keys.revoke("b")
    page = keys.list(limit=2, offset=1)
    assert [k.name for k in page] == ["b", "c"]
    assert (page.total, page.limit, page.offset, page.has_more) == (4, 2, 1, True)
    active = keys.list(include_revoked=False, limit=2, offset=2)
    assert [k.name for k in active] == ["d"] and active.total == 3 and not active.has_more
    assert len(keys.list(offset=2**63 - 1)) == 0
    for limit, offset, needle in ((0, 0, "limit"), (10_001, 0, "limit"), (1, -1, "offset"),
                                  (1, 2**63, "offset")):  # fmt: skip
        with pytest.raises(RegistryError, match=needle):
            keys.list(limit=limit, offset=offset)


def test_revoke_is_final_and_idempotent(store):
    keys = ApiKeys(store)
    _, secret = keys.create("ci")
    first = keys.revoke("ci")
    assert not first.active and keys.verify(secret) is None
    assert keys.revoke("ci").revoked_at == first.revoked_at
    assert len(keys.list(include_revoked=False)) == 0
    assert keys.active_by_hash() == {}
    with pytest.raises(Conflict, match="revoked key keeps its name") as err:
        keys.create("ci")
    assert "ci-2" in err.value.hint
    with pytest.raises(NotFound, match="'cj'") as err:
        keys.revoke("cj")
    assert "'ci'" in err.value.hint


@pytest.mark.parametrize(
    "name,models,needle",
    [("", None, "invalid API key name"), ("has space", None, "invalid API key name"),
     ("x" * 256, None, "invalid API key name"), ("ok", "churn", "list of model names"),
     ("ok", [], "empty list"), ("ok", ["bad name"], "invalid model name")],
)  # fmt: skip
def test_bad_names_and_model_lists_are_refused(store, name, models, needle):
    with pytest.raises(RegistryError, match=needle) as err:
        ApiKeys(store).create(name, models)
    assert err.value.hint
