"""change journal (issue 18): each device's phase written before it is entered, the snapshot and intended
configuration (secrets as placeholders) so a restart can finish or roll back; lock and change owners
(host, pid, process start time) so locks of a dead process are released and its changes reconciled

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("config_changes") as batch:
        batch.add_column(sa.Column("owner", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("reconciled", sa.JSON(), nullable=True))
    with op.batch_alter_table("config_change_devices") as batch:
        batch.add_column(sa.Column("phase", sa.String(16), nullable=True))
        batch.add_column(sa.Column("snapshot", sa.String(), nullable=True))
        batch.add_column(sa.Column("intended", sa.String(), nullable=True))
        batch.add_column(sa.Column("pending", sa.JSON(), nullable=True))
        batch.create_index("ix_config_change_devices_phase", ["phase"])
    with op.batch_alter_table("config_locks") as batch:
        batch.add_column(sa.Column("owner", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("config_locks") as batch:
        batch.drop_column("owner")
    with op.batch_alter_table("config_change_devices") as batch:
        batch.drop_index("ix_config_change_devices_phase")
        for name in ("pending", "intended", "snapshot", "phase"):
            batch.drop_column(name)
    with op.batch_alter_table("config_changes") as batch:
        batch.drop_column("reconciled")
        batch.drop_column("owner")
