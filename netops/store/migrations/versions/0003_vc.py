"""vc: conferences created through the API, precheck rounds, room results and the latest room state

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vc_conferences",
        sa.Column("id", sa.String(63), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("start_at", sa.Float(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("rooms", sa.JSON(), nullable=False),
        sa.Column("call_rate_kbps", sa.Integer(), nullable=True),
        sa.Column("mcu", sa.String(63), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_vc_conferences_start_at", "vc_conferences", ["start_at"])
    op.create_table(
        "vc_rounds",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("conference", sa.String(63), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("conference_checks", sa.JSON(), nullable=False),
    )
    op.create_index("ix_vc_rounds_conference", "vc_rounds", ["conference"])
    op.create_index("ix_vc_rounds_started_at", "vc_rounds", ["started_at"])
    op.create_table(
        "vc_room_results",
        sa.Column("round_id", sa.Integer(), primary_key=True),
        sa.Column("room", sa.String(63), primary_key=True),
        sa.Column("colour", sa.String(8), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
    )
    op.create_table(
        "vc_room_states",
        sa.Column("conference", sa.String(63), primary_key=True),
        sa.Column("room", sa.String(63), primary_key=True),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("colour", sa.String(8), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("streaks", sa.JSON(), nullable=False),
        sa.Column("checked_at", sa.Float(), nullable=False),
        sa.Column("delay_s", sa.Float(), nullable=True),
        sa.Column("jitter_s", sa.Float(), nullable=True),
        sa.Column("loss_ratio", sa.Float(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("vc_room_states")
    op.drop_table("vc_room_results")
    op.drop_index("ix_vc_rounds_started_at", table_name="vc_rounds")
    op.drop_index("ix_vc_rounds_conference", table_name="vc_rounds")
    op.drop_table("vc_rounds")
    op.drop_index("ix_vc_conferences_start_at", table_name="vc_conferences")
    op.drop_table("vc_conferences")
