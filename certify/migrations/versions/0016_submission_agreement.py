"""the certification agreement and attestation recorded with each submission; when each
case entered its current state; the kinds of service in the registry's search terms

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import certify.db

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("application") as batch:
        batch.add_column(sa.Column("agreement_version", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("agreement_sha256", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column("state_changed_at", certify.db.UTCDateTime(timezone=True), nullable=True)
        )
    # Cases from before: the last change is the best estimate of when the state was entered.
    op.execute("UPDATE application SET state_changed_at = updated_at")
    _index_services()


def downgrade() -> None:
    op.execute("DELETE FROM registry_term WHERE kind = 'v'")
    with op.batch_alter_table("application") as batch:
        batch.drop_column("state_changed_at")
        batch.drop_column("agreement_sha256")
        batch.drop_column("agreement_version")


def _index_services() -> None:
    """Service terms for certificates issued before (the registry's service filter)."""
    import json

    from certify.core.services import services_in

    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, holder_name, serial, snapshot FROM certificate"))
    terms = sa.table(
        "registry_term",
        sa.column("kind", sa.String),
        sa.column("term", sa.String),
        sa.column("certificate_id", sa.Integer),
        sa.column("holder_name", sa.String),
        sa.column("serial", sa.String),
    )
    values = []
    for certificate_id, holder_name, serial, snapshot in rows:
        scope = json.loads(bytes(snapshot)).get("scope") if snapshot else None
        values += [
            {"kind": "v", "term": key, "certificate_id": certificate_id,
             "holder_name": holder_name, "serial": serial}
            for key in services_in(scope)
        ]  # fmt: skip
    if values:
        op.bulk_insert(terms, values)
