"""The metadata store's plumbing: open/close, schema migration, transactions with retry.

``StoreBase`` holds no domain logic; runs and models are added by mixins in ``runs.py`` and
``models.py``, and ``store.MetadataStore`` puts them together.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from modelyard.errors import RegistryError
from modelyard.registry import migrate as migrations
from modelyard.registry.engine import connection_error, make_engine, retrying, writer
from modelyard.registry.urls import Scheme, parse_store_url, redact

T = TypeVar("T")

# one advisory lock key for "a modelyard migration is running" on a PostgreSQL database
MIGRATION_LOCK_KEY = zlib.crc32(b"modelyard.registry.migrate")
UPGRADE_HINT = (
    "run `modelyard db upgrade` (MetadataStore(url).migrate()) to upgrade the schema; "
    "back up the database first"
)


class StoreBase:
    """Connection handling shared by every part of the metadata store."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: sa.Engine | None = None
        self._writer: sa.Engine | None = None
        self._scheme: Scheme | None = None

    def __repr__(self) -> str:
        state = "open" if self._engine is not None else "closed"
        return f"{type(self).__name__}({redact(self.url)!r}, {state})"

    def __enter__(self):
        return self.open()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- lifecycle ----------------------------------------------------------------------------
    def open(self):
        """Connect; SQLite stores are created or upgraded, PostgreSQL ones must be current."""
        if self._engine is not None:
            return self
        url, scheme = parse_store_url(self.url)
        engine = make_engine(url, scheme)
        try:
            self._ping(engine)
            if scheme.backend == "sqlite":
                self._upgrade(engine, scheme)
            else:
                self._require_current(engine)
        except BaseException:
            engine.dispose()
            raise
        self._engine, self._writer, self._scheme = engine, writer(engine), scheme
        return self

    def close(self) -> None:
        """Release every connection; the store can be opened again."""
        if self._engine is not None:
            self._engine.dispose()
        self._engine = self._writer = self._scheme = None

    def migrate(self) -> tuple[str | None, str]:
        """Upgrade the schema to the newest revision; returns (revision before, revision after).

        Works on an open or a closed store (a closed one is connected just for the upgrade).
        Concurrent callers are serialised, so each revision is applied once.
        """
        if self._engine is not None and self._scheme is not None:
            return self._upgrade(self._engine, self._scheme), migrations.head_revision()
        url, scheme = parse_store_url(self.url)
        engine = make_engine(url, scheme)
        try:
            self._ping(engine)
            return self._upgrade(engine, scheme), migrations.head_revision()
        finally:
            engine.dispose()

    def schema_revision(self) -> str | None:
        """The schema revision the open store is at."""
        with self._read() as conn:
            return migrations.current_revision(conn)

    @property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine of the open store (for tools such as the benchmark)."""
        if self._engine is None:
            # hint: python-api: only code that calls modelyard directly meets it
            raise RegistryError(
                f"the metadata store {redact(self.url)} is not open",
                hint="call store.open() first, or use `with MetadataStore(url) as store:`",
            )
        return self._engine

    @property
    def backend(self) -> str:
        """'sqlite' or 'postgresql'."""
        self.engine  # noqa: B018 - raises the 'not open' error
        assert self._scheme is not None
        return self._scheme.backend

    # -- schema -------------------------------------------------------------------------------
    def _ping(self, engine: sa.Engine) -> None:
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except DBAPIError as err:
            raise connection_error(self.url, err) from err

    def _upgrade(self, engine: sa.Engine, scheme: Scheme) -> str | None:
        with writer(engine).begin() as conn:  # BEGIN IMMEDIATE on SQLite: one migrator at a time
            if scheme.backend == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
            before = migrations.current_revision(conn)
            self._refuse_newer(before)
            if before != migrations.head_revision():
                migrations.upgrade(conn)
        return before

    def _require_current(self, engine: sa.Engine) -> None:
        with engine.connect() as conn:
            current = migrations.current_revision(conn)
        self._refuse_newer(current)
        head = migrations.head_revision()
        if current != head:
            raise RegistryError(
                f"the metadata store at {redact(self.url)} has schema revision "
                f"{current or 'none (an empty database)'}; this modelyard needs {head}",
                hint=UPGRADE_HINT,
            )

    def _refuse_newer(self, revision: str | None) -> None:
        known = migrations.known_revisions()
        if revision is not None and revision not in known:
            raise RegistryError(
                f"the metadata store at {redact(self.url)} has schema revision {revision!r}, "
                f"which this modelyard does not know (it knows {', '.join(known)})",
                hint="a newer modelyard wrote this store: upgrade modelyard "
                "(pip install -U modelyard) instead of using an older one",
            )

    # -- transactions -------------------------------------------------------------------------
    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        """A connection in a read transaction (a consistent snapshot on SQLite WAL)."""
        with self.engine.connect() as conn:
            yield conn

    def _write(self, work: Callable[[sa.Connection], T], *, what: str) -> T:
        """Run ``work`` in one write transaction, retried on lock or serialisation conflicts."""
        engine = self._writer
        if engine is None:
            self.engine  # noqa: B018 - raises the 'not open' error
            raise AssertionError("unreachable")

        def attempt() -> T:
            with engine.begin() as conn:
                return work(conn)

        return retrying(attempt, what=what)

    def _insert(self, table: sa.Table) -> Any:
        """The dialect's INSERT, which has ON CONFLICT DO NOTHING / DO UPDATE."""
        return (postgresql if self.backend == "postgresql" else sqlite).insert(table)

    def _upsert(
        self,
        conn: sa.Connection,
        table: sa.Table,
        rows: Sequence[Mapping[str, Any]],
        keys: Sequence[str],
        update: Sequence[str] = (),
    ) -> None:
        """Insert ``rows``; on a key conflict update the ``update`` columns (or keep the row)."""
        if not rows:
            return
        stmt = self._insert(table)
        if update:
            stmt = stmt.on_conflict_do_update(
                index_elements=list(keys), set_={c: stmt.excluded[c] for c in update}
            )
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
        conn.execute(stmt, list(rows))
