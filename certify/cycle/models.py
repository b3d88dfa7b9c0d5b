"""The audit plan of a case and the worker-interview batches recorded during the audit.

Interviews are recorded as batches, never as people: there is no column for a worker's name
or any identifier (the form warns against writing one in the free text either).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certify import clock
from certify.accounts.models import User
from certify.db import Base, PublicId, new_public_id


class AuditPlan(Base):
    """When, how and by whom a case is audited, and which sites are visited."""

    __tablename__ = "audit_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), unique=True
    )
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    auditor_days: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(20))  # core.cycle.Mode
    announced: Mapped[bool] = mapped_column(Boolean, default=True)
    #: JSON list of {"role", "name"}: lead auditor, auditor, interpreter, sign-language
    #: interpreter, observer
    team: Mapped[str] = mapped_column(Text)
    #: JSON list of the site public ids to visit, and why it differs from the proposal
    site_ids: Mapped[str] = mapped_column(Text)
    sample_reason: Mapped[str | None] = mapped_column(Text)
    #: JSON list of criterion ids the auditor adds to a surveillance subset
    added_criteria: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    # the ISSP's objection to a team member, and the admin's answer
    objection: Mapped[str | None] = mapped_column(Text)
    objection_at: Mapped[dt.datetime | None]
    objection_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    objection_outcome: Mapped[str | None] = mapped_column(String(20))  # upheld | rejected
    objection_answer: Mapped[str | None] = mapped_column(Text)

    updated_by: Mapped[User] = relationship(foreign_keys=[updated_by_id])

    def __repr__(self) -> str:
        return f"<AuditPlan {self.application_id} {self.starts_on}>"

    @property
    def team_members(self) -> list[dict[str, str]]:
        return json.loads(self.team)

    @property
    def sites_visited(self) -> list[str]:
        return json.loads(self.site_ids)

    @property
    def extra_criteria(self) -> list[str]:
        return json.loads(self.added_criteria) if self.added_criteria else []


class WorkerInterview(Base):
    """One batch of worker interviews: where, when, how many of which groups, how, and what
    was found. No worker's name or identifier has a place here."""

    __tablename__ = "worker_interview"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(PublicId, unique=True, default=new_public_id)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    site_id: Mapped[str] = mapped_column(PublicId)
    held_on: Mapped[dt.date] = mapped_column(Date)
    #: JSON {"impact": n, "other": n, "women": n, "men": n, "other_gender": n,
    #: "target_groups": {group: n}}
    counts: Mapped[str] = mapped_column(Text)
    setting: Mapped[str] = mapped_column(String(20))  # individual | group
    place: Mapped[str] = mapped_column(String(20))  # on_site | off_site
    language: Mapped[str] = mapped_column(String(100))
    interpreter: Mapped[str | None] = mapped_column(String(30))  # none | spoken | sign
    findings: Mapped[str] = mapped_column(Text)
    criteria: Mapped[str] = mapped_column(Text)  # JSON list of criterion ids
    recorded_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    def __repr__(self) -> str:
        return f"<WorkerInterview {self.public_id} {self.held_on}>"

    @property
    def count_data(self) -> dict[str, Any]:
        return json.loads(self.counts)

    @property
    def interviewed(self) -> int:
        data = self.count_data
        return int(data.get("impact", 0)) + int(data.get("other", 0))

    @property
    def criterion_ids(self) -> list[str]:
        return json.loads(self.criteria)
