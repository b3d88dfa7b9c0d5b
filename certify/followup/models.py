"""Corrective-action plans: what the ISSP proposes for a non-conformity, and the auditor's
answer. Every submission is kept (a returned plan and its reasons stay readable)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certify import clock
from certify.accounts.models import User
from certify.applications.models import NonConformity
from certify.db import Base, PublicId, new_public_id

PLAN_OUTCOMES = ("accepted", "returned")


class CorrectiveActionPlan(Base):
    """One corrective-action plan submitted for one non-conformity (root cause, correction,
    corrective action, owner, target date) and, once reviewed, its outcome and the reasons."""

    __tablename__ = "corrective_action_plan"
    __table_args__ = (
        CheckConstraint("outcome IS NULL OR outcome IN ('accepted', 'returned')", "outcome_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(PublicId, unique=True, default=new_public_id)
    nonconformity_id: Mapped[int] = mapped_column(ForeignKey("nonconformity.id"), index=True)
    root_cause: Mapped[str] = mapped_column(Text)
    correction: Mapped[str] = mapped_column(Text)
    corrective_action: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    target_date: Mapped[dt.date] = mapped_column(Date)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    outcome: Mapped[str | None] = mapped_column(String(20))
    review_note: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[dt.datetime | None]

    nonconformity: Mapped[NonConformity] = relationship()
    submitted_by: Mapped[User] = relationship(foreign_keys=[submitted_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])

    def __repr__(self) -> str:
        return f"<CorrectiveActionPlan {self.public_id} {self.outcome or 'pending'}>"
