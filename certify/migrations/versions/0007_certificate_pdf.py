"""signed PDF certificates

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import certify.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# A released PDF is served byte for byte for the certificate's whole life: the table is
# append-only in the database itself (like the certificate record, see 0006).
SQLITE_TRIGGERS = [
    """CREATE TRIGGER certificate_document_no_update BEFORE UPDATE ON certificate_document
       BEGIN SELECT RAISE(ABORT, 'certificate documents are immutable'); END""",
    """CREATE TRIGGER certificate_document_no_delete BEFORE DELETE ON certificate_document
       BEGIN SELECT RAISE(ABORT, 'certificate documents are immutable'); END""",
]
POSTGRES_TRIGGERS = [
    """CREATE FUNCTION certificate_document_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'certificate documents are immutable'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER certificate_document_append_only
       BEFORE UPDATE OR DELETE ON certificate_document
       FOR EACH ROW EXECUTE FUNCTION certificate_document_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "certificate_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("signing_cert_fingerprint", sa.String(length=120), nullable=False),
        sa.Column("created_at", certify.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificate.id"],
            name=op.f("fk_certificate_document_certificate_id_certificate"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_document")),
        sa.UniqueConstraint("certificate_id", name=op.f("uq_certificate_document_certificate_id")),
    )
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_TRIGGERS}.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP TRIGGER IF EXISTS certificate_document_append_only ON certificate_document"
        )
        op.execute("DROP FUNCTION IF EXISTS certificate_document_append_only()")
    op.drop_table("certificate_document")
