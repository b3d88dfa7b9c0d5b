"""the log's origin and last entry time, kept with its head

Revision ID: 0015
Revises: 0012 (issue 20's branch; issue 17 adds 0013-0014: on merge this revises 0014)
Create Date: 2026-12-05

The origin names the log in every checkpoint and in its verifier key: it is fixed when the
log is created and stored here, no longer derived from ``PUBLIC_URL`` on each use (changing
that setting made every checkpoint look unsigned). An existing log takes the origin its
checkpoints already carry (the first line of the latest one). ``last_time`` is the time of the
newest entry (RFC 3339, whole seconds, UTC), so appends keep entry times monotonic.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("log_head", sa.Column("origin", sa.String(length=255), nullable=True))
    op.add_column("log_head", sa.Column("last_time", sa.String(length=20), nullable=True))
    bind = op.get_bind()
    note = bind.execute(
        sa.text("SELECT note FROM log_checkpoint ORDER BY size DESC LIMIT 1")
    ).scalar()
    entry = bind.execute(sa.text("SELECT entry FROM log_entry ORDER BY idx DESC LIMIT 1")).scalar()
    values = {
        "origin": note.split("\n", 1)[0] if note else None,
        "last_time": json.loads(bytes(entry))["time"] if entry is not None else None,
    }
    bind.execute(
        sa.text("UPDATE log_head SET origin = :origin, last_time = :last_time WHERE id = 1"),
        values,
    )


def downgrade() -> None:
    with op.batch_alter_table("log_head", schema=None) as batch_op:
        batch_op.drop_column("last_time")
        batch_op.drop_column("origin")
