"""inventory loads

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inventory_loads",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("directory", sa.String(1024), nullable=False),
        sa.Column("sites", sa.Integer(), nullable=False),
        sa.Column("devices", sa.Integer(), nullable=False),
        sa.Column("links", sa.Integer(), nullable=False),
        sa.Column("rooms", sa.Integer(), nullable=False),
    )
    op.create_index("ix_inventory_loads_loaded_at", "inventory_loads", ["loaded_at"])


def downgrade() -> None:
    op.drop_index("ix_inventory_loads_loaded_at", table_name="inventory_loads")
    op.drop_table("inventory_loads")
