"""polling: latest device/interface/neighbour state, error counts, cycles, incidents

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "poll_devices",
        sa.Column("device", sa.String(63), primary_key=True),
        sa.Column("polled_at", sa.Float(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.String(16), nullable=True),
        sa.Column("detail", sa.String(512), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("sys_name", sa.String(255), nullable=True),
        sa.Column("sys_uptime_s", sa.Float(), nullable=True),
        sa.Column("last_reboot_at", sa.Float(), nullable=True),
        sa.Column("reboots", sa.Integer(), nullable=False),
        sa.Column("cpu_ratio", sa.Float(), nullable=True),
        sa.Column("memory_ratio", sa.Float(), nullable=True),
        sa.Column("ups_on_battery", sa.Boolean(), nullable=True),
        sa.Column("ups_minutes", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("flapping", sa.Boolean(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_ok_at", sa.Float(), nullable=True),
        sa.Column("polls", sa.Integer(), nullable=False),
    )
    op.create_table(
        "poll_interfaces",
        sa.Column("device", sa.String(63), primary_key=True),
        sa.Column("if_index", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("alias", sa.String(255), nullable=False),
        sa.Column("admin_up", sa.Boolean(), nullable=False),
        sa.Column("oper_up", sa.Boolean(), nullable=False),
        sa.Column("speed_bps", sa.BigInteger(), nullable=False),
        sa.Column("hc", sa.Boolean(), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("totals", sa.JSON(), nullable=False),
        sa.Column("in_bps", sa.Float(), nullable=True),
        sa.Column("out_bps", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.Float(), nullable=False),
    )
    op.create_table(
        "poll_neighbors",
        sa.Column("device", sa.String(63), primary_key=True),
        sa.Column("protocol", sa.String(8), primary_key=True),
        sa.Column("peer", sa.String(64), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("up", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
    )
    op.create_table(
        "poll_error_counts",
        sa.Column("reason", sa.String(16), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    op.create_table(
        "poll_cycles",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("job", sa.String(63), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("interval_s", sa.Float(), nullable=False),
        sa.Column("devices", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("overrun", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_poll_cycles_job", "poll_cycles", ["job"])
    op.create_index("ix_poll_cycles_started_at", "poll_cycles", ["started_at"])
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(1024), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("summary", sa.String(1024), nullable=False),
        sa.Column("opened_at", sa.Float(), nullable=False),
        sa.Column("last_seen_at", sa.Float(), nullable=False),
        sa.Column("resolved_at", sa.Float(), nullable=True),
        sa.Column("root_devices", sa.JSON(), nullable=False),
        sa.Column("root_links", sa.JSON(), nullable=False),
        sa.Column("affected_devices", sa.JSON(), nullable=False),
        sa.Column("affected_sites", sa.JSON(), nullable=False),
        sa.Column("affected_rooms", sa.JSON(), nullable=False),
    )
    op.create_index("ix_incidents_key", "incidents", ["key"])
    op.create_index("ix_incidents_state", "incidents", ["state"])
    op.create_index("ix_incidents_opened_at", "incidents", ["opened_at"])


def downgrade() -> None:
    for index, table in (
        ("ix_incidents_opened_at", "incidents"),
        ("ix_incidents_state", "incidents"),
        ("ix_incidents_key", "incidents"),
        ("ix_poll_cycles_started_at", "poll_cycles"),
        ("ix_poll_cycles_job", "poll_cycles"),
    ):
        op.drop_index(index, table_name=table)
    for table in (
        "incidents",
        "poll_cycles",
        "poll_error_counts",
        "poll_neighbors",
        "poll_interfaces",
        "poll_devices",
    ):
        op.drop_table(table)
