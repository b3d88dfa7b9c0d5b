"""complaints: when the reminders of the deadline for closing were sent

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06

``close_reminded_at`` (the handler was told the deadline nears) and ``close_overdue_at`` (the
handler and the admins were told it passed): each reminder is sent once. The deadline itself
is ``received_at`` plus the setting ``COMPLAINT_CLOSE_DAYS``, so it is not stored.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import certify.db

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

UTC = certify.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("complaint") as batch:
        batch.add_column(sa.Column("close_reminded_at", UTC, nullable=True))
        batch.add_column(sa.Column("close_overdue_at", UTC, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("complaint") as batch:
        batch.drop_column("close_overdue_at")
        batch.drop_column("close_reminded_at")
