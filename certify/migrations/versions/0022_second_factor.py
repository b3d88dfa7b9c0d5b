"""second factors and sessions one can list (issue 24): TOTP authenticators, passkeys,
recovery codes; each session's browser, address and when a second factor was last shown

Revision ID: 0022
Revises: 0023
Create Date: 2026-12-05

Existing sessions get no browser, address or second-factor time: they keep working until they
end, and a dangerous action asks them for a second factor.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import certify.db

revision = "0022"
down_revision = "0023"
branch_labels = None
depends_on = None


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"],
        ["user_account.id"],
        name=op.f(f"fk_{table}_user_id_user_account"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    utc = certify.db.UTCDateTime(timezone=True)
    op.create_table(
        "totp_credential",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.Column("last_used_at", utc, nullable=True),
        _user_fk("totp_credential"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_totp_credential")),
        sa.UniqueConstraint("public_id", name=op.f("uq_totp_credential_public_id")),
        sa.UniqueConstraint("user_id", name=op.f("uq_totp_credential_user_id")),
    )
    op.create_table(
        "passkey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.String(length=1400), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("last_used_at", utc, nullable=True),
        _user_fk("passkey"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passkey")),
        sa.UniqueConstraint("public_id", name=op.f("uq_passkey_public_id")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_passkey_credential_id")),
    )
    op.create_index(op.f("ix_passkey_user_id"), "passkey", ["user_id"], unique=False)
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("used_at", utc, nullable=True),
        _user_fk("recovery_code"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_recovery_code_code_hash")),
    )
    op.create_index(op.f("ix_recovery_code_user_id"), "recovery_code", ["user_id"], unique=False)
    op.add_column("user_session", sa.Column("user_agent", sa.String(length=300), nullable=True))
    op.add_column("user_session", sa.Column("address", sa.String(length=45), nullable=True))
    op.add_column("user_session", sa.Column("second_factor_at", utc, nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for column in ("second_factor_at", "address", "user_agent"):
            op.execute(f'ALTER TABLE "user_session" DROP COLUMN "{column}"')
    else:
        for column in ("second_factor_at", "address", "user_agent"):
            op.drop_column("user_session", column)
    op.drop_index(op.f("ix_recovery_code_user_id"), table_name="recovery_code")
    op.drop_table("recovery_code")
    op.drop_index(op.f("ix_passkey_user_id"), table_name="passkey")
    op.drop_table("passkey")
    op.drop_table("totp_credential")
