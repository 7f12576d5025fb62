"""The metadata store's tables as SQLAlchemy Core objects: the shape of the current schema.

The Alembic scripts in ``migrations/versions`` create and evolve these tables; this module is what
queries are written against and what ``alembic revision --autogenerate`` compares with. Keep the
two in step: every change here needs a new migration script.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from modelyard.names import NAME_LENGTH

RUN_STATUSES = ("running", "finished", "failed", "killed")
FINAL_STATUSES = RUN_STATUSES[1:]
KEY_LENGTH = 250


class UTCDateTime(sa.TypeDecorator):
    """Timestamps stored in UTC and always returned timezone-aware (SQLite keeps no offset)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}; pass an aware datetime in UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):  # raw text from a hand-written row
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# JSONB on PostgreSQL (indexable, compact), JSON text elsewhere
Json = sa.JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments a plain INTEGER primary key
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

metadata = sa.MetaData()

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("run_id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(NAME_LENGTH)),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("start_time", UTCDateTime(), nullable=False),
    sa.Column("end_time", UTCDateTime()),
    sa.Column("seed", sa.BigInteger(), nullable=False),
    sa.Column("host", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("pid", sa.Integer(), nullable=False),
    sa.Column("python_version", sa.String(64), nullable=False),
    sa.Column("library_versions", Json, nullable=False),
    sa.Column("git_commit", sa.String(64)),
    sa.Column("cpu_seconds", sa.Float()),
    sa.Column("error", sa.Text()),
    sa.Column("spec", Json, nullable=False),
    sa.Column("data_fingerprint", sa.String(128)),
    sa.Column("data", Json, nullable=False),
    sa.Column("tags", Json, nullable=False),
    sa.CheckConstraint(
        "status IN ('running', 'finished', 'failed', 'killed')", name="ck_runs_status"
    ),
    # every index ends in run_id so that (order key, run_id) pages are read straight off an index
    sa.Index("ix_runs_start_time", "start_time", "run_id"),
    sa.Index("ix_runs_status_start_time", "status", "start_time", "run_id"),
    sa.Index("ix_runs_name_start_time", "name", "start_time", "run_id"),
    sa.Index("ix_runs_data_fingerprint", "data_fingerprint"),
)

run_params = sa.Table(
    "run_params",
    metadata,
    sa.Column(
        "run_id", sa.String(32), sa.ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("key", sa.String(KEY_LENGTH), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),  # the value as JSON text, so types round-trip
)

run_metrics = sa.Table(
    "run_metrics",
    metadata,
    sa.Column(
        "run_id", sa.String(32), sa.ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("key", sa.String(KEY_LENGTH), primary_key=True),
    sa.Column("value", sa.Float()),  # NULL stands for NaN: SQLite cannot store NaN
    sa.Column("timestamp", UTCDateTime(), nullable=False),
    # metric search: WHERE key = ? AND value > ? ORDER BY value, run_id reads one index range
    sa.Index("ix_run_metrics_key_value", "key", "value", "run_id"),
)

metric_points = sa.Table(
    "metric_points",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column(
        "run_id",
        sa.String(32),
        sa.ForeignKey("runs.run_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("key", sa.String(KEY_LENGTH), nullable=False),
    sa.Column("step", sa.BigInteger(), nullable=False),
    sa.Column("value", sa.Float()),  # NULL stands for NaN
    sa.Column("timestamp", UTCDateTime(), nullable=False),
    sa.Index("ix_metric_points_run_key_step", "run_id", "key", "step"),
)

models = sa.Table(
    "models",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(NAME_LENGTH), nullable=False, unique=True),
    sa.Column("description", sa.Text()),
    sa.Column("tags", Json, nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    # the highest version number ever handed out; the row lock on it serialises numbering
    sa.Column("version_counter", sa.Integer(), nullable=False),
)

model_versions = sa.Table(
    "model_versions",
    metadata,
    sa.Column(
        "model_id", sa.Integer(), sa.ForeignKey("models.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("version", sa.Integer(), primary_key=True),
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.run_id"), nullable=False),
    sa.Column("artifact_uri", sa.String(1024), nullable=False),
    sa.Column("data_schema", Json, nullable=False),
    sa.Column("metrics", Json, nullable=False),
    sa.Column("parent_version", sa.Integer()),
    sa.Column("description", sa.Text()),
    sa.Column("tags", Json, nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Index("ix_model_versions_run_id", "run_id"),
)

aliases = sa.Table(
    "model_aliases",
    metadata,
    sa.Column("model_id", sa.Integer(), primary_key=True),
    sa.Column("alias", sa.String(64), primary_key=True),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(
        ["model_id", "version"],
        ["model_versions.model_id", "model_versions.version"],
        name="fk_model_aliases_version",
    ),
)

alias_audit = sa.Table(
    "alias_audit",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column(
        "model_id", sa.Integer(), sa.ForeignKey("models.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("alias", sa.String(64), nullable=False),
    sa.Column("from_version", sa.Integer()),  # NULL: the alias was new
    sa.Column("to_version", sa.Integer()),  # NULL: the alias was deleted
    sa.Column("actor", sa.String(NAME_LENGTH), nullable=False),
    sa.Index("ix_alias_audit_model_id", "model_id", "id"),
)

# API keys of the model server (migration 0003_api_keys). Only the SHA-256 of a key is stored;
# `models` is a list of model names the key may use, or NULL for every model.
api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("key_id", sa.String(16), primary_key=True),  # public handle, shown in listings
    sa.Column("name", sa.String(NAME_LENGTH), nullable=False, unique=True),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),  # sha256 hex of the key
    sa.Column("models", Json),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("revoked_at", UTCDateTime()),  # NULL while the key is active
)

# Retraining and watching (migration 0004_retraining).
# Every `modelyard retrain` decision: both versions, whether the alias moved, why, the evidence.
retrain_decisions = sa.Table(
    "retrain_decisions",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column(
        "model_id", sa.Integer(), sa.ForeignKey("models.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("alias", sa.String(64), nullable=False),
    sa.Column("champion_version", sa.Integer()),  # NULL: nothing held the alias
    sa.Column("challenger_version", sa.Integer()),
    sa.Column("promoted", sa.Boolean(), nullable=False),
    sa.Column("trigger", sa.String(64), nullable=False),  # 'force', 'schedule', 'new_data', ...
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("evidence", Json, nullable=False),  # scores, difference, interval, p, rows
    sa.Column("actor", sa.String(NAME_LENGTH), nullable=False),
    sa.Index("ix_retrain_decisions_model_id", "model_id", "id"),
)

# The watcher's last check of each trigger of each model; `state` holds what the trigger needs
# to know it already acted (the schedule slot handled, the fingerprint seen).
watch_checks = sa.Table(
    "watch_checks",
    metadata,
    sa.Column(
        "model_id", sa.Integer(), sa.ForeignKey("models.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("trigger", sa.String(32), nullable=False),
    sa.Column("checked_at", UTCDateTime(), nullable=False),
    sa.Column("fired_at", UTCDateTime()),
    sa.Column("state", Json, nullable=False),
    sa.PrimaryKeyConstraint("model_id", "trigger"),
)

# At most one retrain per model at a time, across processes and machines: a row per model,
# taken with one conditional upsert when absent or expired, renewed while the retrain runs.
retrain_leases = sa.Table(
    "retrain_leases",
    metadata,
    sa.Column(
        "model_id", sa.Integer(), sa.ForeignKey("models.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("holder", sa.String(NAME_LENGTH), nullable=False),  # host:pid:random
    sa.Column("acquired_at", UTCDateTime(), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
)

# The latest monitoring values per model for Prometheus (drift per column, live metric, last
# retrain); `label` is the column or metric name, '' when the gauge has none.
monitor_gauges = sa.Table(
    "monitor_gauges",
    metadata,
    sa.Column(
        "model_id", sa.Integer(), sa.ForeignKey("models.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("gauge", sa.String(64), nullable=False),
    sa.Column("label", sa.String(KEY_LENGTH), nullable=False),
    sa.Column("value", sa.Float()),  # NULL stands for NaN
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("model_id", "gauge", "label"),
)
