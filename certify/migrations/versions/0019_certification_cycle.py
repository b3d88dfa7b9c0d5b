"""the certification cycle: audit types, audit plans, worker interviews, site history

Revision ID: 0019
Revises: 0022
Create Date: 2026-12-05

Every existing case is an initial audit. Sites registered before this revision have no
``added_at`` (they were part of the registration, not added later).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import certify.db

revision = "0019"
down_revision = "0022"
branch_labels = None
depends_on = None

TIME = certify.db.UTCDateTime(timezone=True)


def _add_reference(table: str, column: str, target: str, *, index: bool = False) -> None:
    """A new nullable column referencing *target*.id, without copying *table* on SQLite."""
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


def _user_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["user_account.id"], name=op.f(f"fk_{table}_{column}_user_account")
    )


def _application_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["application_id"],
        ["application.id"],
        name=op.f(f"fk_{table}_application_id_application"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.add_column(
        "application",
        sa.Column("audit_type", sa.String(length=20), nullable=False, server_default="initial"),
    )
    op.create_index(op.f("ix_application_audit_type"), "application", ["audit_type"])
    _add_reference("application", "certificate_id", "certificate", index=True)
    op.add_column("application", sa.Column("due_on", sa.Date(), nullable=True))
    op.add_column("site", sa.Column("added_at", TIME, nullable=True))
    op.add_column(
        "site", sa.Column("high_risk", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("site", sa.Column("closed_at", TIME, nullable=True))
    op.create_table(
        "audit_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("auditor_days", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("announced", sa.Boolean(), nullable=False),
        sa.Column("team", sa.Text(), nullable=False),
        sa.Column("site_ids", sa.Text(), nullable=False),
        sa.Column("sample_reason", sa.Text(), nullable=True),
        sa.Column("added_criteria", sa.Text(), nullable=True),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=False),
        sa.Column("objection", sa.Text(), nullable=True),
        sa.Column("objection_at", TIME, nullable=True),
        sa.Column("objection_by_id", sa.Integer(), nullable=True),
        sa.Column("objection_outcome", sa.String(length=20), nullable=True),
        sa.Column("objection_answer", sa.Text(), nullable=True),
        _application_fk("audit_plan"),
        _user_fk("audit_plan", "objection_by_id"),
        _user_fk("audit_plan", "updated_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_plan")),
        sa.UniqueConstraint("application_id", name=op.f("uq_audit_plan_application_id")),
    )
    op.create_table(
        "worker_interview",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.String(length=32), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.Column("setting", sa.String(length=20), nullable=False),
        sa.Column("place", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=100), nullable=False),
        sa.Column("interpreter", sa.String(length=30), nullable=True),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("recorded_at", TIME, nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        _application_fk("worker_interview"),
        _user_fk("worker_interview", "recorded_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker_interview")),
        sa.UniqueConstraint("public_id", name=op.f("uq_worker_interview_public_id")),
    )
    op.create_index(
        op.f("ix_worker_interview_application_id"), "worker_interview", ["application_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_worker_interview_application_id"), table_name="worker_interview")
    op.drop_table("worker_interview")
    op.drop_table("audit_plan")
    with op.batch_alter_table("site", schema=None) as batch_op:
        for name in ("closed_at", "high_risk", "added_at"):
            batch_op.drop_column(name)
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_certificate_id"))
        batch_op.drop_index(batch_op.f("ix_application_audit_type"))
        for name in ("due_on", "certificate_id", "audit_type"):
            batch_op.drop_column(name)
