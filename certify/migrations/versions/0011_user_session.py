"""user session: server-side sessions that sign-out and password changes revoke

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from alembic import op

import certify.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def drop_column(table: str, column: str) -> None:
    """Drop *column* in place, on SQLite too (see 0010: batch mode's copy-and-drop of
    ``user_account`` would delete or break every row referring to it)."""
    if op.get_bind().dialect.name != "sqlite":
        op.drop_column(table, column)
        return
    if sqlite3.sqlite_version_info < (3, 35):
        raise RuntimeError(
            f"this migration needs SQLite 3.35 or newer; this Python has {sqlite3.sqlite_version}"
        )
    op.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')


def upgrade() -> None:
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", certify.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", certify.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", certify.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_user_session_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("public_id", name=op.f("uq_user_session_public_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_session_token_hash")),
    )
    op.create_index(op.f("ix_user_session_user_id"), "user_session", ["user_id"], unique=False)
    # Sessions made before a password change were voided by bumping this counter; the user's
    # other sessions are now revoked in user_session instead.
    drop_column("user_account", "session_version")


def downgrade() -> None:
    op.add_column(
        "user_account",
        sa.Column("session_version", sa.Integer(), nullable=False, server_default="1"),
    )
    op.drop_index(op.f("ix_user_session_user_id"), table_name="user_session")
    op.drop_table("user_session")
