"""API keys of the model server: name, SHA-256 of the key, allowed models, revocation time.

Revision ID: 0003_api_keys
Revises: 0002_models
Create Date: 2025-01-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003_api_keys"
down_revision = "0002_models"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False, unique=True),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("models", JSON),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("revoked_at", TIME),
    )


def downgrade() -> None:
    op.drop_table("api_keys")
