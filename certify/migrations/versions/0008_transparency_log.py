"""transparency log

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import certify.db  # noqa: F401

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

APPEND_ONLY = ("log_entry", "log_node", "log_checkpoint")


def _sqlite_triggers(table: str) -> list[str]:
    return [
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
           BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END""",
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
           BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END""",
    ]


def _postgres_triggers(table: str) -> list[str]:
    return [
        f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
           FOR EACH ROW EXECUTE FUNCTION translog_append_only()""",
    ]


def upgrade() -> None:
    op.create_table(
        "log_entry",
        sa.Column("idx", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=True),
        sa.Column("entry", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("idx >= 0", name=op.f("ck_log_entry_idx_non_negative")),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_log_entry")),
    )
    with op.batch_alter_table("log_entry") as batch_op:
        batch_op.create_index(batch_op.f("ix_log_entry_event"), ["event"], unique=False)
        batch_op.create_index(batch_op.f("ix_log_entry_serial"), ["serial"], unique=False)
    op.create_table(
        "log_node",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("level >= 0 AND idx >= 0", name=op.f("ck_log_node_position_valid")),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_log_node")),
    )
    op.create_table(
        "log_checkpoint",
        sa.Column("size", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint("size > 0", name=op.f("ck_log_checkpoint_size_positive")),
        sa.PrimaryKeyConstraint("size", name=op.f("pk_log_checkpoint")),
    )
    head = op.create_table(
        "log_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_head")),
    )
    op.bulk_insert(head, [{"id": 1, "size": 0}])
    # Append-only in the database itself (as the audit trail): UPDATE and DELETE are refused.
    # An administrator with DDL rights can drop these, which is why `log verify` rebuilds the
    # tree from the entries and checks every signed checkpoint.
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in APPEND_ONLY:
            for statement in _sqlite_triggers(table):
                op.execute(statement)
    elif dialect == "postgresql":
        op.execute(
            """CREATE FUNCTION translog_append_only() RETURNS trigger AS $$
               BEGIN RAISE EXCEPTION 'the transparency log is append-only'; END;
               $$ LANGUAGE plpgsql"""
        )
        for table in APPEND_ONLY:
            for statement in _postgres_triggers(table):
                op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS translog_append_only()")
    op.drop_table("log_head")
    op.drop_table("log_checkpoint")
    op.drop_table("log_node")
    with op.batch_alter_table("log_entry") as batch_op:
        batch_op.drop_index(batch_op.f("ix_log_entry_serial"))
        batch_op.drop_index(batch_op.f("ix_log_entry_event"))
    op.drop_table("log_entry")
