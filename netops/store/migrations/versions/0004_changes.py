"""changes: configuration changes and their per-device records, device locks, backups, backup/drift status

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "config_changes",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("finished_at", sa.Float(), nullable=True),
        sa.Column("user", sa.String(63), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("waves", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
    )
    op.create_index("ix_config_changes_created_at", "config_changes", ["created_at"])
    op.create_table(
        "config_change_devices",
        sa.Column("change_id", sa.String(40), primary_key=True),
        sa.Column("device", sa.String(63), primary_key=True),
        sa.Column("wave", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("detail", sa.String(), nullable=True),
        sa.Column("diff", sa.String(), nullable=True),
        sa.Column("commands", sa.JSON(), nullable=False),
        sa.Column("templates", sa.JSON(), nullable=False),
        sa.Column("template_digest", sa.String(64), nullable=True),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("rolled_back", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
    )
    op.create_index("ix_config_change_devices_device", "config_change_devices", ["device"])
    op.create_table(
        "config_locks",
        sa.Column("device", sa.String(63), primary_key=True),
        sa.Column("change_id", sa.String(40), nullable=False),
        sa.Column("acquired_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
    )
    op.create_table(
        "config_backups",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("device", sa.String(63), nullable=False),
        sa.Column("taken_at", sa.Float(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
    )
    op.create_index("ix_config_backups_device", "config_backups", ["device"])
    op.create_index("ix_config_backups_taken_at", "config_backups", ["taken_at"])
    op.create_table(
        "config_device_status",
        sa.Column("device", sa.String(63), primary_key=True),
        sa.Column("last_backup_attempt_at", sa.Float(), nullable=True),
        sa.Column("last_backup_ok_at", sa.Float(), nullable=True),
        sa.Column("last_backup_error", sa.String(500), nullable=True),
        sa.Column("drift_lines", sa.Integer(), nullable=True),
        sa.Column("drift_checked_at", sa.Float(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("config_device_status")
    op.drop_index("ix_config_backups_taken_at", table_name="config_backups")
    op.drop_index("ix_config_backups_device", table_name="config_backups")
    op.drop_table("config_backups")
    op.drop_table("config_locks")
    op.drop_index("ix_config_change_devices_device", table_name="config_change_devices")
    op.drop_table("config_change_devices")
    op.drop_index("ix_config_changes_created_at", table_name="config_changes")
    op.drop_table("config_changes")
