"""the certification agreement and attestation recorded with each submission; when each
case entered its current state

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import certify.db

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("application") as batch:
        batch.add_column(sa.Column("agreement_version", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("agreement_sha256", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column("state_changed_at", certify.db.UTCDateTime(timezone=True), nullable=True)
        )
    # Cases from before: the last change is the best estimate of when the state was entered.
    op.execute("UPDATE application SET state_changed_at = updated_at")


def downgrade() -> None:
    with op.batch_alter_table("application") as batch:
        batch.drop_column("state_changed_at")
        batch.drop_column("agreement_sha256")
        batch.drop_column("agreement_version")
