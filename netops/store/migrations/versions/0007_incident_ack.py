"""incidents can be acknowledged (who, when, a note)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("acknowledged_by", sa.String(128), nullable=True))
        batch.add_column(sa.Column("acknowledged_at", sa.Float(), nullable=True))
        batch.add_column(sa.Column("ack_note", sa.String(512), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("ack_note")
        batch.drop_column("acknowledged_at")
        batch.drop_column("acknowledged_by")
