"""the certification agreement and attestation recorded with each submission

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("application") as batch:
        batch.add_column(sa.Column("agreement_version", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("agreement_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("application") as batch:
        batch.drop_column("agreement_sha256")
        batch.drop_column("agreement_version")
