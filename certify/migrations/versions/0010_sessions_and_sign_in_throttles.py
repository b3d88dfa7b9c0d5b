"""sessions and sign-in throttles (issue 25): server-side sessions that sign-out and password
changes revoke; sign-in counters per (e-mail, client), client and e-mail, no per-account lock

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from alembic import op

import certify.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def drop_columns(table: str, *columns: str) -> None:
    """Drop *columns* in place, on SQLite too.

    Alembic's batch mode would copy the table and drop the original, and with foreign keys on
    (certify turns them on for every connection) dropping ``user_account`` deletes every row
    that refers to it or fails. SQLite drops a column in place since 3.35 (2021).
    """
    if op.get_bind().dialect.name != "sqlite":
        for column in columns:
            op.drop_column(table, column)
        return
    if sqlite3.sqlite_version_info < (3, 35):
        raise RuntimeError(
            f"this migration needs SQLite 3.35 or newer; this Python has {sqlite3.sqlite_version}"
        )
    for column in columns:
        op.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')


def upgrade() -> None:
    op.create_table(
        "sign_in_throttle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("level", sa.Float(), nullable=False),
        sa.Column("updated_at", certify.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("wait_until", certify.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_throttle")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_sign_in_throttle_key_hash")),
    )
    op.create_index(
        op.f("ix_sign_in_throttle_updated_at"), "sign_in_throttle", ["updated_at"], unique=False
    )
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
    # Replaced: the per-account lock (the weapon: anyone could lock anyone out) and the
    # per-address counter by sign_in_throttle; the session counter bumped on a password change
    # by revoking the user's other sessions in user_session.
    op.drop_table("address_throttle")
    drop_columns("user_account", "locked_until", "failed_logins", "session_version")


def downgrade() -> None:
    op.add_column(
        "user_account",
        sa.Column("session_version", sa.Integer(), nullable=False, server_default="1"),
    )
    op.add_column(
        "user_account",
        sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "user_account",
        sa.Column("locked_until", certify.db.UTCDateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "address_throttle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", certify.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", certify.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_address_throttle")),
        sa.UniqueConstraint("address_hash", name=op.f("uq_address_throttle_address_hash")),
    )
    op.drop_index(op.f("ix_user_session_user_id"), table_name="user_session")
    op.drop_table("user_session")
    op.drop_index(op.f("ix_sign_in_throttle_updated_at"), table_name="sign_in_throttle")
    op.drop_table("sign_in_throttle")
