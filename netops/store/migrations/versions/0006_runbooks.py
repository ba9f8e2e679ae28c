"""runbooks: runs, step attempts, approvals, the append-only transcript

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runbook_runs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("runbook", sa.String(63), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("secret_params", sa.JSON(), nullable=False),
        sa.Column("trigger", sa.JSON(), nullable=False),
        sa.Column("fingerprint", sa.String(255), nullable=True),
        sa.Column("concurrency_key", sa.String(255), nullable=True),
        sa.Column("phase", sa.String(10), nullable=False),
        sa.Column("cursor", sa.String(63), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=True),
        sa.Column("finished_at", sa.Float(), nullable=True),
        sa.Column("owner", sa.String(128), nullable=True),
        sa.Column("heartbeat_at", sa.Float(), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("parent_run", sa.String(40), nullable=True),
    )
    op.create_index("ix_runbook_runs_runbook", "runbook_runs", ["runbook"])
    op.create_index("ix_runbook_runs_state", "runbook_runs", ["state"])
    op.create_index("ix_runbook_runs_fingerprint", "runbook_runs", ["fingerprint"])
    op.create_table(
        "runbook_steps",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("step", sa.String(63), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("finished_at", sa.Float(), nullable=True),
        sa.Column("output", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_index("ix_runbook_steps_run_id", "runbook_steps", ["run_id"])
    op.create_table(
        "runbook_approvals",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("step", sa.String(63), nullable=False),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_runbook_approvals_run_id", "runbook_approvals", ["run_id"])
    op.create_table(
        "runbook_transcript",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("step", sa.String(63), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.create_index("ix_runbook_transcript_run_id", "runbook_transcript", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_runbook_transcript_run_id", table_name="runbook_transcript")
    op.drop_table("runbook_transcript")
    op.drop_index("ix_runbook_approvals_run_id", table_name="runbook_approvals")
    op.drop_table("runbook_approvals")
    op.drop_index("ix_runbook_steps_run_id", table_name="runbook_steps")
    op.drop_table("runbook_steps")
    op.drop_index("ix_runbook_runs_fingerprint", table_name="runbook_runs")
    op.drop_index("ix_runbook_runs_state", table_name="runbook_runs")
    op.drop_index("ix_runbook_runs_runbook", table_name="runbook_runs")
    op.drop_table("runbook_runs")
