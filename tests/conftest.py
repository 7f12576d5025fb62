"""Shared test fixtures: paths to the committed data slices, and service URLs."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Every test gets its own MODELYARD_HOME so that nothing leaks between tests."""
    monkeypatch.setenv("MODELYARD_HOME", str(tmp_path / "home"))


def _pg_url() -> str | None:
    return os.environ.get(
        "MODELYARD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )


def _pg_reachable(url: str) -> bool:
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


@pytest.fixture(scope="session")
def pg_url() -> str:
    """A reachable PostgreSQL URL; skips without one (fails under MODELYARD_REQUIRE_SERVICES=1)."""
    url = _pg_url()
    if url and _pg_reachable(url):
        return url
    missing_service(f"no PostgreSQL server reachable at {url} (set MODELYARD_TEST_PG_URL)")


def missing_service(reason: str) -> None:
    """Skip the test for ``reason``, or fail it under MODELYARD_REQUIRE_SERVICES=1 (as CI runs)."""
    if os.environ.get("MODELYARD_REQUIRE_SERVICES") == "1":
        pytest.fail(reason + "; MODELYARD_REQUIRE_SERVICES=1 makes this a failure")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def require_service():
    """``missing_service`` for test modules (which cannot import conftest)."""
    return missing_service


@pytest.fixture
def fresh_pg_url(pg_url) -> Iterator[str]:
    """A PostgreSQL URL whose connections use a new, empty schema, dropped afterwards."""
    import sqlalchemy as sa

    engine = sa.create_engine(pg_url)
    schema = "modelyard_test_" + uuid.uuid4().hex[:12]
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{pg_url}{'&' if '?' in pg_url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        engine.dispose()
