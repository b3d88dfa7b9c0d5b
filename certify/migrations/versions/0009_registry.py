"""public registry search

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import certify.db  # noqa: F401

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registry_term",
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificate.id"],
            name=op.f("fk_registry_term_certificate_id_certificate"),
        ),
        sa.PrimaryKeyConstraint("term", "certificate_id", name=op.f("pk_registry_term")),
    )
    with op.batch_alter_table("registry_term", schema=None) as batch_op:
        batch_op.create_index("ix_registry_term_certificate_id", ["certificate_id"], unique=False)
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.create_index("ix_registry_certificate_name", ["holder_name", "serial"])
        batch_op.create_index(
            "ix_registry_certificate_country", ["holder_country", "holder_name", "serial"]
        )
        batch_op.create_index("ix_registry_certificate_status", ["status", "valid_until"])
        batch_op.create_index(
            "ix_registry_certificate_standard", ["standard_id", "standard_version", "level"]
        )
    with op.batch_alter_table("certificate_status_change", schema=None) as batch_op:
        batch_op.create_index("ix_registry_status_change_changed_at", ["changed_at"])
    _backfill_terms()


def _backfill_terms() -> None:
    """Search terms for certificates issued before this migration (from the record columns,
    with the same rules the app uses; kept here so the migration never changes later)."""
    import re
    import unicodedata

    def fold(text: str) -> str:
        decomposed = unicodedata.normalize("NFKD", text)
        return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()

    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, holder_name, serial FROM certificate")).all()
    terms = sa.table(
        "registry_term", sa.column("term", sa.String), sa.column("certificate_id", sa.Integer)
    )
    for cid, name, serial in rows:
        found = {w[:64] for w in re.findall(r"\w+", fold(name).replace("_", " "))}
        compact = re.sub(r"[^0-9a-z]", "", serial.lower())
        head = serial.split("-", 1)[0].lower()
        found |= {compact[:64], compact[len(head) :][:64]}
        found.discard("")
        if found:
            connection.execute(
                sa.insert(terms), [{"term": t, "certificate_id": cid} for t in sorted(found)]
            )


def downgrade() -> None:
    with op.batch_alter_table("certificate_status_change", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_status_change_changed_at")
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_certificate_standard")
        batch_op.drop_index("ix_registry_certificate_status")
        batch_op.drop_index("ix_registry_certificate_country")
        batch_op.drop_index("ix_registry_certificate_name")
    with op.batch_alter_table("registry_term", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_term_certificate_id")
    op.drop_table("registry_term")
