"""evidence erasure: when and why a file was erased; requests to erase early

Revision ID: 0023
Revises: 0016 (issue 24 items 4-7; the integrator re-chains)
Create Date: 2026-12-05

An erased evidence file keeps its row (the case's history still says a file was here) with
``erased_at`` and ``erasure_reason`` set and its name and description cleared; its data key
is destroyed in the store. ``erasure_request`` holds an ISSP's requests to erase a file before
its retention ends, at most one pending per file.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evidence") as batch:
        batch.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("erasure_reason", sa.String(length=20), nullable=True))
        batch.create_index("ix_evidence_erased_at", ["erased_at"])
    op.create_table(
        "erasure_request",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("public_id", sa.String(length=32), nullable=False, unique=True),
        sa.Column(
            "evidence_id",
            sa.Integer(),
            sa.ForeignKey("evidence.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "requested_by_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=False
        ),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
    )
    op.create_index(
        "uq_erasure_request_pending",
        "erasure_request",
        ["evidence_id"],
        unique=True,
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("uq_erasure_request_pending", table_name="erasure_request")
    op.drop_table("erasure_request")
    with op.batch_alter_table("evidence") as batch:
        batch.drop_index("ix_evidence_erased_at")
        batch.drop_column("erasure_reason")
        batch.drop_column("erased_at")
