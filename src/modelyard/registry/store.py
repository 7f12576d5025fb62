"""``MetadataStore``: runs, params, metrics, models, versions, aliases and the audit log, in one
SQL database (SQLite by default, PostgreSQL for a team), reached through SQLAlchemy 2.

    store = MetadataStore(store_url_for(settings.home)).open()
    run_id = store.create_run("churn", spec, seed=0)
    ...
    store.close()

The constructor only remembers the URL; ``open()`` connects (and, for SQLite, creates or upgrades
the database), ``migrate()`` upgrades a PostgreSQL schema (``modelyard db upgrade``).
"""

from __future__ import annotations

from modelyard.registry.aliases import AliasesMixin


class MetadataStore(AliasesMixin):
    """The metadata store: one SQL backend for run tracking and the model registry.

    Built from mixins, one topic per module: ``base`` (connections, migrations, transactions),
    ``runs`` (run tracking), ``models`` (models and versions), ``aliases`` (aliases, references,
    audit log).
    """
