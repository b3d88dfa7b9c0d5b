"""public registry search

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import certify.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


ENTRY_COLUMNS = (
    "serial",
    "holder_name",
    "holder_country",
    "standard_id",
    "standard_version",
    "level",
    "status",
    "issued_at",
    "valid_from",
    "valid_until",
    "suspended_until",
)

# The registry's copy of the status follows the certificate's in the same transaction.
SQLITE_TRIGGER = """CREATE TRIGGER registry_entry_follows_status
AFTER UPDATE OF status, suspended_until ON certificate
BEGIN
  UPDATE registry_entry SET status = NEW.status, suspended_until = NEW.suspended_until
  WHERE certificate_id = NEW.id;
END"""
POSTGRES_FUNCTION = """CREATE FUNCTION registry_entry_follows_status() RETURNS trigger AS $$
BEGIN
  UPDATE registry_entry SET status = NEW.status, suspended_until = NEW.suspended_until
  WHERE certificate_id = NEW.id;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql"""
POSTGRES_TRIGGER = """CREATE TRIGGER registry_entry_follows_status
AFTER UPDATE OF status, suspended_until ON certificate
FOR EACH ROW EXECUTE FUNCTION registry_entry_follows_status()"""


def upgrade() -> None:
    op.create_table(
        "registry_entry",
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("holder_name", sa.String(length=200), nullable=False),
        sa.Column("holder_country", sa.String(length=2), nullable=False),
        sa.Column("standard_id", sa.String(length=100), nullable=False),
        sa.Column("standard_version", sa.String(length=40), nullable=False),
        sa.Column("level", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("issued_at", certify.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("valid_from", certify.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("valid_until", certify.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("suspended_until", certify.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificate.id"],
            name=op.f("fk_registry_entry_certificate_id_certificate"),
        ),
        sa.PrimaryKeyConstraint("certificate_id", name=op.f("pk_registry_entry")),
        sa.UniqueConstraint("serial", name=op.f("uq_registry_entry_serial")),
    )
    with op.batch_alter_table("registry_entry", schema=None) as batch_op:
        batch_op.create_index("ix_registry_entry_name", ["holder_name", "serial"])
        batch_op.create_index(
            "ix_registry_entry_country",
            ["holder_country", "status", "holder_name", "serial", "valid_until"],
        )
        batch_op.create_index(
            "ix_registry_entry_status", ["status", "holder_name", "serial", "valid_until"]
        )
        batch_op.create_index(
            "ix_registry_entry_standard",
            ["standard_id", "standard_version", "level", "status", "valid_until"],
        )
    op.create_table(
        "registry_term",
        sa.Column("kind", sa.String(length=1), nullable=False),
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("holder_name", sa.String(length=200), nullable=False),
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificate.id"],
            name=op.f("fk_registry_term_certificate_id_certificate"),
        ),
        sa.PrimaryKeyConstraint("kind", "term", "certificate_id", name=op.f("pk_registry_term")),
    )
    with op.batch_alter_table("registry_term", schema=None) as batch_op:
        batch_op.create_index("ix_registry_term_certificate_id", ["certificate_id"], unique=False)
        batch_op.create_index(
            "ix_registry_term_listing", ["kind", "term", "holder_name", "serial", "certificate_id"]
        )
    with op.batch_alter_table("certificate_status_change", schema=None) as batch_op:
        batch_op.create_index("ix_registry_status_change_changed_at", ["changed_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER)
    _backfill()


def _backfill() -> None:
    """Entries and search terms for certificates issued before this migration (with the
    same rules the app uses, copied here so the migration never changes later)."""
    import re
    import unicodedata

    def fold(text: str) -> str:
        decomposed = unicodedata.normalize("NFKD", text)
        return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()

    connection = op.get_bind()
    columns = ", ".join(ENTRY_COLUMNS)
    connection.execute(
        sa.text(
            f"INSERT INTO registry_entry (certificate_id, {columns}) "  # noqa: S608 - constants
            f"SELECT id, {columns} FROM certificate"
        )
    )
    rows = connection.execute(sa.text("SELECT id, holder_name, serial FROM certificate")).all()
    terms = sa.table(
        "registry_term",
        sa.column("kind", sa.String),
        sa.column("term", sa.String),
        sa.column("certificate_id", sa.Integer),
        sa.column("holder_name", sa.String),
        sa.column("serial", sa.String),
    )
    for cid, name, serial in rows:
        found = {("w", w[:64]) for w in re.findall(r"\w+", fold(name).replace("_", " "))}
        compact = re.sub(r"[^0-9a-z]", "", serial.lower())
        head = serial.split("-", 1)[0].lower()
        found |= {("s", compact[:64]), ("s", compact[len(head) :][:64])}
        found = {(k, t) for k, t in found if t}
        if found:
            connection.execute(
                sa.insert(terms),
                [
                    {
                        "kind": k,
                        "term": t,
                        "certificate_id": cid,
                        "holder_name": name,
                        "serial": serial,
                    }
                    for k, t in sorted(found)
                ],
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS registry_entry_follows_status ON certificate")
        op.execute("DROP FUNCTION IF EXISTS registry_entry_follows_status()")
    else:
        op.execute("DROP TRIGGER IF EXISTS registry_entry_follows_status")
    with op.batch_alter_table("certificate_status_change", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_status_change_changed_at")
    with op.batch_alter_table("registry_term", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_term_listing")
        batch_op.drop_index("ix_registry_term_certificate_id")
    op.drop_table("registry_term")
    with op.batch_alter_table("registry_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_entry_standard")
        batch_op.drop_index("ix_registry_entry_status")
        batch_op.drop_index("ix_registry_entry_country")
        batch_op.drop_index("ix_registry_entry_name")
    op.drop_table("registry_entry")
