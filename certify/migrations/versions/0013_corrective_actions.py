"""corrective actions: the non-conformity loop, plans, closure evidence, auditor-only notes

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import certify.db

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _add_reference(table: str, column: str, target: str, *, index: bool = False) -> None:
    """A new nullable column referencing *target*.id, without copying *table* on SQLite.

    SQLite cannot add a constraint to an existing table, but it can add a column with an
    inline REFERENCES clause; PostgreSQL gets the named constraint the models expect.
    """
    if op.get_context().dialect.name == "sqlite":
        op.add_column(
            table,
            sa.Column(column, sa.Integer(), sa.ForeignKey(f"{target}.id"), nullable=True),
            inline_references=True,
        )
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f(f"fk_{table}_{column}_{target}"), table, target, [column], ["id"]
        )
    if index:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def upgrade() -> None:
    op.create_table(
        "corrective_action_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("nonconformity_id", sa.Integer(), nullable=False),
        sa.Column("root_cause", sa.Text(), nullable=False),
        sa.Column("correction", sa.Text(), nullable=False),
        sa.Column("corrective_action", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=False),
        sa.Column("submitted_by_id", sa.Integer(), nullable=False),
        sa.Column("submitted_at", certify.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", certify.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('accepted', 'returned')",
            name=op.f("ck_corrective_action_plan_outcome_known"),
        ),
        sa.ForeignKeyConstraint(
            ["nonconformity_id"],
            ["nonconformity.id"],
            name=op.f("fk_corrective_action_plan_nonconformity_id_nonconformity"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["user_account.id"],
            name=op.f("fk_corrective_action_plan_reviewed_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["user_account.id"],
            name=op.f("fk_corrective_action_plan_submitted_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrective_action_plan")),
        sa.UniqueConstraint("public_id", name=op.f("uq_corrective_action_plan_public_id")),
    )
    op.create_index(
        op.f("ix_corrective_action_plan_nonconformity_id"),
        "corrective_action_plan",
        ["nonconformity_id"],
        unique=False,
    )
    _add_reference("application", "followup_auditor_id", "user_account")
    _add_reference("evidence", "nonconformity_id", "nonconformity", index=True)
    _add_reference("nonconformity", "closed_by_id", "user_account")
    _add_reference("nonconformity", "suspension_id", "certificate_status_change", index=True)
    for name, kind in (
        ("stage", sa.String(length=20)),
        ("evidence_note", sa.Text()),
        ("evidence_submitted_at", certify.db.UTCDateTime(timezone=True)),
        ("original_due_on", sa.Date()),
        ("extension_reason", sa.Text()),
        ("extended_at", certify.db.UTCDateTime(timezone=True)),
        ("suspension_proposed_at", certify.db.UTCDateTime(timezone=True)),
        ("escalated_at", certify.db.UTCDateTime(timezone=True)),
    ):
        op.add_column("nonconformity", sa.Column(name, kind, nullable=True))
    op.add_column("audit_answer", sa.Column("private_notes", sa.Text(), nullable=True))
    # Notes written before this revision were never shown to the ISSP, and their authors
    # wrote them knowing that: they stay auditor-only. Findings for the ISSP start now.
    op.execute(
        "UPDATE audit_answer SET private_notes = notes, notes = NULL WHERE notes IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("audit_answer", schema=None) as batch_op:
        batch_op.drop_column("private_notes")
    with op.batch_alter_table("nonconformity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nonconformity_suspension_id"))
        for name in (
            "escalated_at",
            "suspension_id",
            "suspension_proposed_at",
            "extended_at",
            "extension_reason",
            "original_due_on",
            "evidence_submitted_at",
            "evidence_note",
            "stage",
            "closed_by_id",
        ):
            batch_op.drop_column(name)
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_nonconformity_id"))
        batch_op.drop_column("nonconformity_id")
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_column("followup_auditor_id")
    op.drop_index(
        op.f("ix_corrective_action_plan_nonconformity_id"), table_name="corrective_action_plan"
    )
    op.drop_table("corrective_action_plan")
