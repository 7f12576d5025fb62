"""Retraining and watching: the retrain decisions with their evidence, the watcher's last check
per model and trigger, the one-retrain-at-a-time lease per model, and the monitoring gauges the
server's /metrics reads.

Revision ID: 0004_retraining
Revises: 0003_api_keys
Create Date: 2025-01-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004_retraining"
down_revision = "0003_api_keys"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _model_id() -> sa.Column:
    return sa.Column(
        "model_id", sa.Integer(), sa.ForeignKey("models.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "retrain_decisions",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("at", TIME, nullable=False),
        _model_id(),
        sa.Column("alias", sa.String(64), nullable=False),
        sa.Column("champion_version", sa.Integer()),
        sa.Column("challenger_version", sa.Integer()),
        sa.Column("promoted", sa.Boolean(), nullable=False),
        sa.Column("trigger", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", JSON, nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
    )
    op.create_index("ix_retrain_decisions_model_id", "retrain_decisions", ["model_id", "id"])
    op.create_table(
        "watch_checks",
        _model_id(),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("checked_at", TIME, nullable=False),
        sa.Column("fired_at", TIME),
        sa.Column("state", JSON, nullable=False),
        sa.PrimaryKeyConstraint("model_id", "trigger"),
    )
    op.create_table(
        "retrain_leases",
        sa.Column(
            "model_id", sa.Integer(), sa.ForeignKey("models.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("holder", sa.String(255), nullable=False),
        sa.Column("acquired_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
    )
    op.create_table(
        "monitor_gauges",
        _model_id(),
        sa.Column("gauge", sa.String(64), nullable=False),
        sa.Column("label", sa.String(250), nullable=False),
        sa.Column("value", sa.Float()),
        sa.Column("updated_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("model_id", "gauge", "label"),
    )


def downgrade() -> None:
    op.drop_table("monitor_gauges")
    op.drop_table("retrain_leases")
    op.drop_table("watch_checks")
    op.drop_index("ix_retrain_decisions_model_id", table_name="retrain_decisions")
    op.drop_table("retrain_decisions")
