"""Runs with their params, final metrics and metric series.

Revision ID: 0001_runs
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001_runs"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.DateTime(timezone=True)


def _run_fk() -> sa.ForeignKey:
    return sa.ForeignKey("runs.run_id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("run_id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(255)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("start_time", TIME, nullable=False),
        sa.Column("end_time", TIME),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("python_version", sa.String(64), nullable=False),
        sa.Column("library_versions", JSON, nullable=False),
        sa.Column("git_commit", sa.String(64)),
        sa.Column("cpu_seconds", sa.Float()),
        sa.Column("error", sa.Text()),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("data_fingerprint", sa.String(128)),
        sa.Column("data", JSON, nullable=False),
        sa.Column("tags", JSON, nullable=False),
        sa.CheckConstraint(
            "status IN ('running', 'finished', 'failed', 'killed')", name="ck_runs_status"
        ),
    )
    op.create_index("ix_runs_start_time", "runs", ["start_time", "run_id"])
    op.create_index("ix_runs_status_start_time", "runs", ["status", "start_time", "run_id"])
    op.create_index("ix_runs_name_start_time", "runs", ["name", "start_time", "run_id"])
    op.create_index("ix_runs_data_fingerprint", "runs", ["data_fingerprint"])

    op.create_table(
        "run_params",
        sa.Column("run_id", sa.String(32), _run_fk(), primary_key=True),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "run_metrics",
        sa.Column("run_id", sa.String(32), _run_fk(), primary_key=True),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.Float()),
        sa.Column("timestamp", TIME, nullable=False),
    )
    op.create_index("ix_run_metrics_key_value", "run_metrics", ["key", "value", "run_id"])
    op.create_table(
        "metric_points",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(32), _run_fk(), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Float()),
        sa.Column("timestamp", TIME, nullable=False),
    )
    op.create_index("ix_metric_points_run_key_step", "metric_points", ["run_id", "key", "step"])


def downgrade() -> None:
    op.drop_table("metric_points")
    op.drop_table("run_metrics")
    op.drop_table("run_params")
    op.drop_table("runs")
