"""notifications and jobs

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import certify.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_mark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("done_at", certify.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_mark")),
        sa.UniqueConstraint("name", "key", name=op.f("uq_job_mark_name_key")),
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=80), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("optional", sa.Boolean(), nullable=False),
        sa.Column("created_at", certify.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", certify.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", certify.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lease_until", certify.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", certify.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'skipped')",
            name=op.f("ck_notification_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_notification_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("message_id", name=op.f("uq_notification_message_id")),
        sa.UniqueConstraint("public_id", name=op.f("uq_notification_public_id")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index("ix_notification_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(
            "ix_notification_user_created", ["user_id", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_notification_user_id"), ["user_id"], unique=False)

    op.create_table(
        "notification_preference",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=80), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_notification_preference_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_preference")),
        sa.UniqueConstraint(
            "user_id", "kind", name=op.f("uq_notification_preference_user_id_kind")
        ),
    )
    with op.batch_alter_table("notification_preference", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_preference_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("notification_preference", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_preference_user_id"))

    op.drop_table("notification_preference")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_user_id"))
        batch_op.drop_index("ix_notification_user_created")
        batch_op.drop_index("ix_notification_due")

    op.drop_table("notification")
    op.drop_table("job_mark")
