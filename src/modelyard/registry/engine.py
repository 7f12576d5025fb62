"""Engines for the metadata store: SQLite set up for many processes, PostgreSQL as it comes.

SQLite gets WAL mode (readers never block the writer), a busy timeout, foreign keys, and explicit
transactions: pysqlite's own implicit BEGIN is switched off and every transaction starts with
``BEGIN`` (reads) or ``BEGIN IMMEDIATE`` (writes), so a writer holds the write lock from its
first statement and two writers never deadlock upgrading read locks.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, OperationalError

from modelyard.errors import Conflict, RegistryError
from modelyard.registry.urls import Scheme, redact, sqlite_path

T = TypeVar("T")

BUSY_TIMEOUT_S = 30  # how long a SQLite writer waits for the lock before giving up
PG_CONNECT_TIMEOUT_S = 10
WRITE_ATTEMPTS = 8  # bounded retry of a write transaction on lock/serialisation errors
# PostgreSQL SQLSTATEs worth retrying: serialization_failure, deadlock_detected, lock_not_available
RETRY_SQLSTATES = {"40001", "40P01", "55P03"}
SQLITE_BUSY_NAMES = {"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_BUSY_SNAPSHOT"}
BEGIN_OPTION = "modelyard_sqlite_begin"


def make_engine(url: URL, scheme: Scheme) -> sa.Engine:
    """A new engine for ``url``; for SQLite, creates the file's folder and installs the pragmas."""
    if scheme.backend == "sqlite":
        path = sqlite_path(url)
        if path is not None:
            path.expanduser().absolute().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})
        _install_sqlite_hooks(engine, wal=path is not None)
        return engine
    return sa.create_engine(
        url, pool_pre_ping=True, connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S}
    )


def writer(engine: sa.Engine) -> sa.Engine:
    """The same engine (same pool) whose transactions take the write lock at BEGIN on SQLite."""
    return engine.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})


def _install_sqlite_hooks(engine: sa.Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if wal:
                _switch_to_wal(cursor)
            cursor.execute("PRAGMA synchronous = NORMAL")  # durable across crashes in WAL mode
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        mode = connection.get_execution_options().get(BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def _switch_to_wal(cursor) -> None:
    """Put the database file in WAL mode, waiting out other processes doing the same.

    Switching the journal mode needs the file to itself, and SQLite answers "database is locked"
    at once there instead of calling the busy handler; on a new store several processes started
    together (two ``modelyard`` commands, a server and a trainer) all try it. Retry until the file
    is in WAL mode, which one of them made it, for at most the busy timeout.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as err:
            if "locked" not in str(err).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.01 + 0.04 * random.random())


def is_retryable(err: BaseException) -> bool:
    """Whether a database error is a lock or serialisation conflict that a retry can resolve."""
    if not isinstance(err, DBAPIError):
        return False
    orig = err.orig
    if getattr(orig, "sqlstate", None) in RETRY_SQLSTATES:
        return True
    if getattr(orig, "sqlite_errorname", None) in SQLITE_BUSY_NAMES:
        return True
    text = str(orig).lower()
    return isinstance(err, OperationalError) and ("database is locked" in text or "busy" in text)


def retrying(work: Callable[[], T], *, what: str, attempts: int = WRITE_ATTEMPTS) -> T:
    """Run ``work`` (one whole transaction), retrying lock conflicts with jittered backoff."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except DBAPIError as err:
            if not is_retryable(err):
                raise
            if attempt == attempts:
                raise Conflict(
                    f"{what} failed: the store stayed locked through {attempts} attempts "
                    f"({first_line(err.orig)})",
                    hint="another process holds a long write transaction; retry when it ends",
                ) from err
            # 20 ms, 40 ms, ... capped at 1 s, with jitter so that contenders spread out
            time.sleep(min(1.0, 0.02 * 2**attempt) * (0.5 + random.random()))
    raise AssertionError("unreachable: the loop returns or raises")


def first_line(err: BaseException | None) -> str:
    """The first line of a driver error, without any password it might echo."""
    text = str(err).strip().splitlines()
    return redact(text[0]) if text else type(err).__name__


def connection_error(url: str, err: BaseException) -> RegistryError:
    """A RegistryError for a store that cannot be reached, with the password hidden."""
    return RegistryError(
        f"cannot open the metadata store at {redact(url)}: {first_line(getattr(err, 'orig', err))}",
        hint="check that the database server is running and that the URL, user and password "
        "are right (set MODELYARD_DB or pass --db)",
    )
