"""Store URLs: the table of supported schemes, the default location, and password-free display.

The table below is the single source of truth for which database URLs a ``MetadataStore`` accepts;
error messages list the valid schemes from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError

from modelyard.errors import RegistryError

DEFAULT_DB_NAME = "modelyard.db"


@dataclass(frozen=True)
class Scheme:
    """One accepted URL scheme and the SQLAlchemy driver that serves it."""

    name: str  # what users write before ``://``
    drivername: str  # what SQLAlchemy is given
    backend: str  # 'sqlite' or 'postgresql': decides locking and migration policy
    description: str


SCHEMES: dict[str, Scheme] = {
    s.name: s
    for s in (
        Scheme("sqlite", "sqlite+pysqlite", "sqlite", "embedded file database, the default"),
        Scheme("postgresql", "postgresql+psycopg", "postgresql", "PostgreSQL through psycopg 3"),
        Scheme("postgresql+psycopg", "postgresql+psycopg", "postgresql", "same as postgresql"),
    )
}

_CREDENTIALS = re.compile(r"(://[^:/@]*:)[^@]*@")


def redact(url: str | URL) -> str:
    """The URL with any password replaced by ``***``, safe to print; works on malformed URLs too."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    return _CREDENTIALS.sub(r"\1***@", str(url))


def valid_schemes() -> str:
    """The accepted schemes as one readable line, built from ``SCHEMES``."""
    return ", ".join(f"{s.name}:// ({s.description})" for s in SCHEMES.values())


def parse_store_url(url: str) -> tuple[URL, Scheme]:
    """Parse and normalise a store URL; an unknown scheme raises RegistryError listing all."""
    if not isinstance(url, str) or "://" not in url:
        raise RegistryError(
            f"store URL {redact(str(url))!r} is not a URL: expected '<scheme>://...'",
            hint=f"valid schemes: {valid_schemes()}; e.g. sqlite:///.modelyard/modelyard.db",
        )
    scheme_name = url.split("://", 1)[0].lower()
    scheme = SCHEMES.get(scheme_name)
    if scheme is None:
        raise RegistryError(
            f"unknown store URL scheme {scheme_name!r} in {redact(url)!r}",
            hint=f"valid schemes: {valid_schemes()}",
        )
    try:
        parsed = sa.make_url(url)
    except ArgumentError as err:
        raise RegistryError(
            f"store URL {redact(url)!r} cannot be parsed: {err}",
            hint="write it as scheme://user:password@host:port/database or sqlite:///path/to/file.db",
        ) from err
    return parsed.set(drivername=scheme.drivername), scheme


def sqlite_path(url: URL) -> Path | None:
    """The database file of a SQLite URL, or None for an in-memory database."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def store_url_for(home: Path) -> str:
    """The default metadata store: a SQLite file ``modelyard.db`` inside ``home``."""
    return f"sqlite:///{Path(home).expanduser().absolute() / DEFAULT_DB_NAME}"
