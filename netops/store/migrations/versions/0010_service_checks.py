"""service checks (issue 16): one row per check result of an e-government service from a site, by netops'
own probe at the centre or the site's router (NQA / IP SLA read over SNMP); docs/services.md

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_checks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column("service", sa.String(63), nullable=False),
        sa.Column("endpoint", sa.String(255), nullable=False),
        sa.Column("checked_at", sa.Float(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(255), nullable=True),
        sa.Column("tls_days_left", sa.Float(), nullable=True),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
    )
    op.create_index("ix_service_checks_site", "service_checks", ["site"])
    op.create_index("ix_service_checks_service", "service_checks", ["service"])
    op.create_index("ix_service_checks_checked_at", "service_checks", ["checked_at"])
    op.create_index("ix_service_checks_service_site_at", "service_checks", ["service", "site", "checked_at"])


def downgrade() -> None:
    op.drop_index("ix_service_checks_service_site_at", table_name="service_checks")
    op.drop_index("ix_service_checks_checked_at", table_name="service_checks")
    op.drop_index("ix_service_checks_service", table_name="service_checks")
    op.drop_index("ix_service_checks_site", table_name="service_checks")
    op.drop_table("service_checks")
