"""Schema migrations through Alembic's API, with the Config built in code (no alembic.ini).

The scripts live in ``migrations/versions`` inside this package, so they ship with it. Callers pass
a connection that is already inside a transaction; the whole upgrade commits or rolls back with it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic Config pointing at the packaged scripts, carrying ``connection`` for env.py."""
    config = Config()
    # ConfigParser interpolates '%', so a path containing one must be escaped
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest schema revision this version of modelyard knows."""
    head = _scripts().get_current_head()
    assert head is not None, f"no migration scripts found in {MIGRATIONS_DIR}"
    return head


def known_revisions() -> list[str]:
    """Every revision this version of modelyard knows, oldest first."""
    return [script.revision for script in reversed(list(_scripts().walk_revisions()))]


def current_revision(connection: sa.Connection) -> str | None:
    """The revision the database is at, or None for a database modelyard never migrated."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: sa.Connection, target: str = "head") -> None:
    """Upgrade the schema on ``connection`` (inside its open transaction) to ``target``."""
    command.upgrade(alembic_config(connection), target)
