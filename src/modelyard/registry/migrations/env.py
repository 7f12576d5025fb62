"""Alembic environment for the modelyard metadata store.

Run only through ``modelyard.registry.migrate``, which builds the Alembic Config in code and hands
over an open connection (already inside a transaction) in ``config.attributes["connection"]``; no
alembic.ini is read. Offline (``--sql``) mode renders the DDL for the URL in ``sqlalchemy.url``.
"""

from __future__ import annotations

from alembic import context

from modelyard.registry.tables import metadata

config = context.config


def run_offline() -> None:
    """Emit the migration SQL as text instead of executing it."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Apply migrations on the connection the caller opened (and commits)."""
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "the modelyard migrations run through modelyard.registry.migrate, "
            "which passes a connection; run `modelyard db upgrade` instead of `alembic upgrade`"
        )
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,  # SQLite alters tables by copying them; batch mode does that
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
