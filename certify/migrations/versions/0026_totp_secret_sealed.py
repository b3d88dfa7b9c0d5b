"""second factors: room for a sealed TOTP secret

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-08

``totp_credential.secret`` widens from 64 to 255 characters: it now holds the secret sealed by
the instance's key-encryption key (``sealed1:`` and base64url, 144 characters at most for the
longest secret stored before). Existing rows are not sealed here, because migrations do not
have the KEK: each is sealed at its next use, and ``flask users seal-totp-secrets`` seals the
rest (docs/operations.md, "Upgrading"). Downgrading keeps the width if any secret is sealed
(a sealed value does not fit 64 characters; unsealing needs the KEK too).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("totp_credential") as batch:
        batch.alter_column(
            "secret", existing_type=sa.String(length=64), type_=sa.String(length=255)
        )


def downgrade() -> None:
    sealed = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM totp_credential WHERE secret LIKE 'sealed1:%'")
    )
    if sealed:
        raise RuntimeError(
            f"{sealed} TOTP secret(s) are sealed and do not fit the old column: remove those "
            "authenticator apps ('users reset-second-factor') before downgrading"
        )
    with op.batch_alter_table("totp_credential") as batch:
        batch.alter_column(
            "secret", existing_type=sa.String(length=255), type_=sa.String(length=64)
        )
