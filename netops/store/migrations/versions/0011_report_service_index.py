"""the assessment report (issue 16 item 3): an index that covers its service-availability query, so a year of
service checks is summed from the index alone (``GROUP BY service, site`` with ``ok`` in the index: no row is
read from the table); docs/report.md

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_service_checks_report", "service_checks", ["service", "site", "checked_at", "ok"])


def downgrade() -> None:
    op.drop_index("ix_service_checks_report", table_name="service_checks")
