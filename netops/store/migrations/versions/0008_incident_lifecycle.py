"""incident lifecycle (issue 13): kind, cause, reason, peak extent, hold-down, suppressed children; the
incident history table; poll_devices keep their flapping transitions and when they were exposed

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="device"))
        batch.add_column(sa.Column("cause", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("reason", sa.String(512), nullable=True))
        batch.add_column(sa.Column("peak_sites", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("peak_devices", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("peak_rooms", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("cause_gone_at", sa.Float(), nullable=True))
        batch.add_column(sa.Column("suppressed", sa.JSON(), nullable=True))
        batch.create_index("ix_incidents_kind", ["kind"])
    op.execute("UPDATE incidents SET kind = 'link' WHERE key LIKE 'link:%'")
    op.create_table(
        "incident_history",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("change", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("cause", sa.JSON(), nullable=False),
        sa.Column("sites", sa.Integer(), nullable=False),
        sa.Column("devices", sa.Integer(), nullable=False),
        sa.Column("rooms", sa.Integer(), nullable=False),
        sa.Column("summary", sa.String(1024), nullable=False),
    )
    op.create_index("ix_incident_history_incident_id", "incident_history", ["incident_id"])
    with op.batch_alter_table("poll_devices") as batch:
        batch.add_column(sa.Column("transitions", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("exposed_at", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("poll_devices") as batch:
        batch.drop_column("exposed_at")
        batch.drop_column("transitions")
    op.drop_index("ix_incident_history_incident_id", table_name="incident_history")
    op.drop_table("incident_history")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_index("ix_incidents_kind")
        for column in (
            "suppressed", "cause_gone_at", "peak_rooms", "peak_devices", "peak_sites", "reason", "cause",
            "kind",
        ):  # fmt: skip
            batch.drop_column(column)
