"""rubric versions: the canonical JSON of every published version of a standard

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import certify.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# A published version never changes: the database refuses UPDATE and DELETE of stored versions,
# as it does for audit events. A change to a standard is a new version (a new row).
SQLITE_TRIGGERS = [
    """CREATE TRIGGER rubric_version_no_update BEFORE UPDATE ON rubric_version
       BEGIN SELECT RAISE(ABORT, 'published rubric versions never change'); END""",
    """CREATE TRIGGER rubric_version_no_delete BEFORE DELETE ON rubric_version
       BEGIN SELECT RAISE(ABORT, 'published rubric versions never change'); END""",
]
POSTGRES_TRIGGERS = [
    """CREATE FUNCTION rubric_version_immutable() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'published rubric versions never change'; END; $$
       LANGUAGE plpgsql""",
    """CREATE TRIGGER rubric_version_immutable BEFORE UPDATE OR DELETE ON rubric_version
       FOR EACH ROW EXECUTE FUNCTION rubric_version_immutable()""",
]


def upgrade() -> None:
    op.create_table(
        "rubric_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("standard_id", sa.String(length=100), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("canonical", sa.LargeBinary(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("published_at", certify.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rubric_version")),
        sa.UniqueConstraint(
            "standard_id", "version", name=op.f("uq_rubric_version_standard_id_version")
        ),
    )
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_TRIGGERS}.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS rubric_version_immutable ON rubric_version")
        op.execute("DROP FUNCTION IF EXISTS rubric_version_immutable()")
    op.drop_table("rubric_version")
