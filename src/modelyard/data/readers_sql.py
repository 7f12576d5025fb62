"""Sources that run SQL: any SQLAlchemy database (``SqlSource``) and in-memory DuckDB over local
files (``DuckDBSource``). Each read opens its own connection and closes it before returning.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url

from modelyard.data.readers_base import Source, check_file
from modelyard.errors import DataError, did_you_mean

EXAMPLE_URLS = "postgresql+psycopg://user@host:5432/db or sqlite:///path/to/file.db"


class SqlSource(Source):
    """Rows of a table, or of a query, in a database reached through a SQLAlchemy URL."""

    def __init__(self, url: str, *, table: str | None = None, query: str | None = None) -> None:
        if (table is None) == (query is None):
            raise DataError(
                "an SQL source needs exactly one of 'table' or 'query'",
                hint="set data.source.table to read a whole table, or data.source.query for SQL",
            )
        self.url = url
        self.table = table
        self.query = query

    def describe(self) -> str:
        where = _safe_url(self.url)
        if self.table is not None:
            return f"sql table {self.table!r} at {where}"
        query = " ".join(self.query.split())
        return f"sql query at {where}: {query[:60] + '...' if len(query) > 60 else query}"

    def _read(self, columns: list[str] | None) -> pd.DataFrame:
        engine = self._engine()
        try:
            conn = self._connect(engine)
            with conn:
                try:
                    if self.table is not None:
                        statement = self._table_select(conn, columns)
                    else:
                        statement = sa.text(self.query)
                    return pd.read_sql(statement, conn)
                except (sa.exc.DBAPIError, pd.errors.DatabaseError) as err:
                    raise DataError(
                        f"the {'query' if self.query else 'read'} failed on {_safe_url(self.url)}: "
                        f"{_db_message(err)}",
                        hint="check the SQL in your database client; names are case-sensitive "
                        "when quoted",
                    ) from err
                except sa.exc.SQLAlchemyError as err:
                    raise DataError(
                        f"{self.describe()} returned no rows to read: {err}",
                        hint="data.source.query must be a SELECT (or another statement that "
                        "returns rows)",
                    ) from err
        finally:
            engine.dispose()

    def _engine(self) -> Engine:
        """Build the engine, translating bad URLs and missing drivers."""
        try:
            url = make_url(self.url)
        except sa.exc.ArgumentError as err:
            raise DataError(
                f"cannot parse the database URL {self.url!r}: {err}",
                hint=f"use a SQLAlchemy URL such as {EXAMPLE_URLS}",
            ) from err
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            if not url.database.startswith("file:"):
                check_file(Path(url.database))  # SQLite would silently create an empty file
        connect_args = {"connect_timeout": 10} if url.get_backend_name() == "postgresql" else {}
        try:
            return sa.create_engine(url, connect_args=connect_args)
        except sa.exc.NoSuchModuleError as err:
            raise DataError(
                f"unknown database driver {url.drivername!r} in {_safe_url(self.url)}",
                hint=f"use a SQLAlchemy dialect+driver such as {EXAMPLE_URLS}",
            ) from err
        except ImportError as err:
            raise DataError(
                f"the driver for {url.drivername!r} is not installed: {err}",
                hint=f"install the Python package {err.name or 'of that driver'!r}, or use "
                f"{EXAMPLE_URLS}",
            ) from err

    def _connect(self, engine: Engine) -> Connection:
        try:
            return engine.connect()
        except sa.exc.DBAPIError as err:
            raise DataError(
                f"cannot connect to {_safe_url(self.url)}: {_db_message(err)}",
                hint="check that the database server is running and that host, port, user, "
                "password and database name in the URL are right",
            ) from err

    def _table_select(self, conn: Connection, columns: list[str] | None) -> sa.Select:
        """``SELECT`` the table (only ``columns`` when they all exist), after checking it exists."""
        inspector = sa.inspect(conn)
        schema, name = self._resolve_table(inspector)
        table = sa.table(name, schema=schema)
        if columns:
            present = {c["name"] for c in inspector.get_columns(name, schema=schema)}
            if set(columns) <= present:
                return sa.select(*[sa.column(c) for c in columns]).select_from(table)
        return sa.select(sa.literal_column("*")).select_from(table)

    def _resolve_table(self, inspector: sa.Inspector) -> tuple[str | None, str]:
        """(schema, name) as the database spells it; ``DataError`` listing the tables if absent."""
        schema, name = None, self.table
        existing = _relations(inspector, None)
        if name not in existing and "." in name:
            schema, name = name.split(".", 1)
            try:
                existing = _relations(inspector, schema)
            except sa.exc.DBAPIError:
                existing = []
        if name in existing:
            return schema, name
        folded = [t for t in existing if t.lower() == name.lower()]
        if len(folded) == 1:
            return schema, folded[0]
        shown = ", ".join(repr(t) for t in existing[:20]) or "none"
        raise DataError(
            f"table {self.table!r} not found at {_safe_url(self.url)}; tables there: {shown}",
            hint=did_you_mean(name, existing)
            if existing
            else "create the table first, or fix "
            "data.source.table (use 'schema.table' for a table outside the default schema)",
        )


def _relations(inspector: sa.Inspector, schema: str | None) -> list[str]:
    """Tables and views in ``schema`` (the default schema when ``None``), sorted."""
    return sorted(
        set(inspector.get_table_names(schema=schema)) | set(inspector.get_view_names(schema=schema))
    )


def _safe_url(url: str) -> str:
    """The URL with any password masked, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return repr(url)


def _db_message(err: Exception) -> str:
    """The database's own message, first lines only (pandas wraps SQLAlchemy's error)."""
    if isinstance(err, pd.errors.DatabaseError) and err.__cause__ is not None:
        err = err.__cause__
    if isinstance(err, sa.exc.DBAPIError) and err.orig is not None:
        err = err.orig
    lines = [line.strip() for line in str(err).strip().splitlines()]
    return " ".join(line for line in lines[:3] if line)


class DuckDBSource(Source):
    """The result of a DuckDB query over local files (read_csv_auto, read_parquet, globs)."""

    def __init__(self, query: str) -> None:
        self.query = query

    def describe(self) -> str:
        query = " ".join(self.query.split())
        return f"duckdb query: {query[:70] + '...' if len(query) > 70 else query}"

    def _read(self, columns: list[str] | None) -> pd.DataFrame:
        con = duckdb.connect(":memory:")
        try:
            result = con.execute(self.query)
            if result.description is None:
                raise DataError(
                    f"the duckdb query returned no result set: {self.describe()}",
                    hint="data.source.query must be a SELECT, e.g. "
                    "select * from read_parquet('data/*.parquet')",
                )
            return result.df()
        except duckdb.Error as err:
            first_line = str(err).strip().splitlines()[0] if str(err).strip() else repr(err)
            raise DataError(
                f"the duckdb query failed: {first_line}",
                hint=_duckdb_hint(err),
            ) from err
        finally:
            con.close()


def _duckdb_hint(err: duckdb.Error) -> str:
    """Advice that fits the kind of DuckDB error."""
    if isinstance(err, duckdb.IOException):
        return (
            f"a file named in the query is missing or unreadable; relative paths are resolved "
            f"from {Path.cwd()}"
        )
    if isinstance(err, duckdb.CatalogException):
        return (
            "the query names a table or function that does not exist in an empty in-memory "
            "database; read files with read_csv_auto('file.csv') or read_parquet('dir/*.parquet')"
        )
    if isinstance(err, duckdb.ParserException):
        return "fix the SQL syntax at the position shown in the message"
    if isinstance(err, duckdb.BinderException):
        return "a column named in the query does not exist; check its spelling and quoting"
    return "run the query in the duckdb shell to see the full error"
