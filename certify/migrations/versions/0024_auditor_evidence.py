"""auditor evidence: files the auditor uploads on a case (photos, notes), staff-only

Revision ID: 0024
Revises: 0021
Create Date: 2026-12-06

``evidence.by_auditor`` marks a file the case's auditor uploaded as their own evidence. Every
existing file was the applicant's (or closure evidence the ISSP uploaded).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN with a constant default: no copy of the table on SQLite.
    op.add_column(
        "evidence",
        sa.Column("by_auditor", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("evidence") as batch:
        batch.drop_column("by_auditor")
