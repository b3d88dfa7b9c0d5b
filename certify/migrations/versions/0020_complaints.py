"""complaints and appeals: concerns about certified ISSPs, appeals against decisions

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import certify.db

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "appeal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("certificate_id", sa.Integer(), nullable=True),
        sa.Column("status_change_id", sa.Integer(), nullable=True),
        sa.Column("nonconformity_id", sa.Integer(), nullable=True),
        sa.Column("decision_at", certify.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("involved", sa.Text(), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("lodged_by_id", sa.Integer(), nullable=False),
        sa.Column("lodged_at", certify.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("decider_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", certify.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=True),
        sa.Column("remedy", sa.Text(), nullable=True),
        sa.Column("decided_at", certify.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('upheld', 'dismissed')",
            name=op.f("ck_appeal_outcome_known"),
        ),
        sa.CheckConstraint(
            "state IN ('lodged', 'assigned', 'decided')", name=op.f("ck_appeal_state_known")
        ),
        sa.CheckConstraint(
            "subject IN ('refusal', 'suspension', 'withdrawal', 'nc_grade')",
            name=op.f("ck_appeal_subject_known"),
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_appeal_application_id_application"),
        ),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificate.id"],
            name=op.f("fk_appeal_certificate_id_certificate"),
        ),
        sa.ForeignKeyConstraint(
            ["decider_id"], ["user_account.id"], name=op.f("fk_appeal_decider_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["lodged_by_id"], ["user_account.id"], name=op.f("fk_appeal_lodged_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["nonconformity_id"],
            ["nonconformity.id"],
            name=op.f("fk_appeal_nonconformity_id_nonconformity"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_appeal_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["status_change_id"],
            ["certificate_status_change.id"],
            name=op.f("fk_appeal_status_change_id_certificate_status_change"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal")),
        sa.UniqueConstraint("public_id", name=op.f("uq_appeal_public_id")),
    )
    op.create_index(op.f("ix_appeal_decider_id"), "appeal", ["decider_id"], unique=False)
    op.create_index(op.f("ix_appeal_organisation_id"), "appeal", ["organisation_id"], unique=False)
    op.create_index(op.f("ix_appeal_state"), "appeal", ["state"], unique=False)
    op.create_table(
        "complaint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("code_sha256", sa.String(length=64), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("complainant_name", sa.String(length=200), nullable=True),
        sa.Column("complainant_contact", sa.String(length=254), nullable=True),
        sa.Column("consent_to_share", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("received_at", certify.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledge_by", certify.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("handler_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", certify.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", certify.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", certify.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_at", certify.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=True),
        sa.Column("outcome_reasons", sa.Text(), nullable=True),
        sa.Column("nonconformity_id", sa.Integer(), nullable=True),
        sa.Column("retain_until", certify.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("erased_at", certify.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('received', 'assigned', 'acknowledged', 'decided')",
            name=op.f("ck_complaint_state_known"),
        ),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificate.id"],
            name=op.f("fk_complaint_certificate_id_certificate"),
        ),
        sa.ForeignKeyConstraint(
            ["handler_id"], ["user_account.id"], name=op.f("fk_complaint_handler_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["nonconformity_id"],
            ["nonconformity.id"],
            name=op.f("fk_complaint_nonconformity_id_nonconformity"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_complaint_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint")),
        sa.UniqueConstraint("code_sha256", name=op.f("uq_complaint_code_sha256")),
        sa.UniqueConstraint("public_id", name=op.f("uq_complaint_public_id")),
    )
    op.create_index(op.f("ix_complaint_handler_id"), "complaint", ["handler_id"], unique=False)
    op.create_index(
        op.f("ix_complaint_organisation_id"), "complaint", ["organisation_id"], unique=False
    )
    op.create_index(op.f("ix_complaint_state"), "complaint", ["state"], unique=False)
    op.create_table(
        "complaint_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=True),
        sa.Column("appeal_id", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("mime", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("warnings", sa.Text(), nullable=True),
        sa.Column("uploaded_at", certify.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(complaint_id IS NULL) <> (appeal_id IS NULL)",
            name=op.f("ck_complaint_attachment_one_owner"),
        ),
        sa.ForeignKeyConstraint(
            ["appeal_id"], ["appeal.id"], name=op.f("fk_complaint_attachment_appeal_id_appeal")
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_complaint_attachment_complaint_id_complaint"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_attachment")),
        sa.UniqueConstraint("public_id", name=op.f("uq_complaint_attachment_public_id")),
    )
    op.create_index(
        op.f("ix_complaint_attachment_appeal_id"),
        "complaint_attachment",
        ["appeal_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_complaint_attachment_complaint_id"),
        "complaint_attachment",
        ["complaint_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_complaint_attachment_sha256"), "complaint_attachment", ["sha256"], unique=False
    )
    op.create_table(
        "complaint_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", certify.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('note', 'information', 'message')", name=op.f("ck_complaint_entry_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_complaint_entry_author_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_complaint_entry_complaint_id_complaint"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_entry")),
        sa.UniqueConstraint("public_id", name=op.f("uq_complaint_entry_public_id")),
    )
    op.create_index(
        op.f("ix_complaint_entry_complaint_id"), "complaint_entry", ["complaint_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("complaint_attachment")
    op.drop_table("complaint_entry")
    op.drop_table("complaint")
    op.drop_table("appeal")
