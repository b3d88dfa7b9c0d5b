"""Applications, self-assessment answers, evidence, conflict registers and declarations."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certify import clock
from certify.accounts.models import Organisation, Site, User
from certify.core.nonconformity import NcState, Position
from certify.core.workflow import AppState
from certify.db import Base, PublicId, new_public_id


class Application(Base):
    """One ISSP's application for certification, pinned to one rubric version and hash."""

    __tablename__ = "application"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(PublicId, unique=True, default=new_public_id)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    state: Mapped[str] = mapped_column(String(30), default=AppState.DRAFT.value, index=True)
    standard_id: Mapped[str] = mapped_column(String(100))
    standard_version: Mapped[str] = mapped_column(String(40))
    standard_sha256: Mapped[str] = mapped_column(String(64))
    # scope
    services: Mapped[str | None] = mapped_column(Text)
    headcount: Mapped[int | None] = mapped_column(Integer)
    impact_headcount: Mapped[int | None] = mapped_column(Integer)
    impact_groups: Mapped[str | None] = mapped_column(Text)  # JSON list of group names
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(50))
    site_ids: Mapped[str | None] = mapped_column(Text)  # JSON list of the organisation's site ids
    # people
    auditor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    #: the auditor the admin named to follow the non-conformities up (default: the auditor)
    followup_auditor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # times
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    submitted_at: Mapped[dt.datetime | None]
    #: when the case entered its current state (the admin queue's "in this state for")
    state_changed_at: Mapped[dt.datetime | None] = mapped_column(default=clock.now)
    #: the certification agreement accepted with the (last) submission, with the attestation
    #: that the application is true: its version and a SHA-256 of the texts shown
    agreement_version: Mapped[str | None] = mapped_column(String(40))
    agreement_sha256: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[dt.datetime | None]
    decision: Mapped[str | None] = mapped_column(String(30))
    last_return_reason: Mapped[str | None] = mapped_column(Text)
    audit_submitted_at: Mapped[dt.datetime | None]
    # The score at submission of the audit: canonical JSON, 2-decimal strings.
    audit_score: Mapped[str | None] = mapped_column(Text)
    last_reviewer_note: Mapped[str | None] = mapped_column(Text)
    # Counts assignments, so declarations made for an earlier assignment no longer count.
    assignment_round: Mapped[int] = mapped_column(Integer, default=0)
    # the cycle (certify.core.cycle.AuditType): what the case is for, the certificate it
    # concerns (all but an initial audit), and the surveillance due date it covers
    audit_type: Mapped[str] = mapped_column(String(20), default="initial", index=True)
    certificate_id: Mapped[int | None] = mapped_column(
        ForeignKey("certificate.id", use_alter=True), index=True
    )
    due_on: Mapped[dt.date | None] = mapped_column(Date)

    organisation: Mapped[Organisation] = relationship()
    auditor: Mapped[User | None] = relationship(foreign_keys=[auditor_id])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])
    followup_auditor: Mapped[User | None] = relationship(foreign_keys=[followup_auditor_id])
    answers: Mapped[list[SelfAssessmentAnswer]] = relationship(
        back_populates="application", cascade="all, delete-orphan"
    )
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="application", order_by="Evidence.id", cascade="all, delete-orphan"
    )
    declarations: Mapped[list[ConflictDeclaration]] = relationship(
        back_populates="application", order_by="ConflictDeclaration.id"
    )

    def __repr__(self) -> str:
        return f"<Application {self.public_id} {self.state}>"

    @property
    def app_state(self) -> AppState:
        return AppState(self.state)

    @property
    def groups(self) -> list[str]:
        return json.loads(self.impact_groups) if self.impact_groups else []

    @property
    def scope_site_ids(self) -> list[str]:
        return json.loads(self.site_ids) if self.site_ids else []

    @property
    def scope_sites(self) -> list[Site]:
        wanted = set(self.scope_site_ids)
        return [s for s in self.organisation.sites if s.public_id in wanted]

    @property
    def standard_key(self) -> str:
        return f"{self.standard_id}@{self.standard_version}"

    def answer_map(self) -> dict[str, dict[str, Any]]:
        """criterion id → the stored self-assessment answer (a dict)."""
        return {a.criterion_id: a.data for a in self.answers}

    def current_declaration(self, user: User, role: str) -> ConflictDeclaration | None:
        """The declaration *user* made for this case in *role* since its latest assignment."""
        for d in reversed(self.declarations):
            if (
                d.user_id == user.id
                and d.role == role
                and d.assignment_round == self.assignment_round
            ):
                return d
        return None


class SelfAssessmentAnswer(Base):
    """The applicant's own answer to one criterion (JSON: value, basis, not-applicable,
    justification, comment)."""

    __tablename__ = "self_assessment_answer"
    __table_args__ = (UniqueConstraint("application_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"))
    criterion_id: Mapped[str] = mapped_column(String(40))
    answer: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

    application: Mapped[Application] = relationship(back_populates="answers")

    def __repr__(self) -> str:
        return f"<SelfAssessmentAnswer {self.application_id} {self.criterion_id}>"

    @property
    def data(self) -> dict[str, Any]:
        return json.loads(self.answer)


class Evidence(Base):
    """An uploaded evidence file attached to an application (optionally to one criterion).

    The bytes live once in the content-addressed store, named by ``sha256``.
    """

    __tablename__ = "evidence"
    __table_args__ = (UniqueConstraint("application_id", "criterion_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(PublicId, unique=True, default=new_public_id)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    criterion_id: Mapped[str | None] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str | None] = mapped_column(Text)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    #: JSON list of warnings about active content (scripts, HTML) found at upload
    warnings_json: Mapped[str | None] = mapped_column("warnings", Text)
    #: evidence of closure of this non-conformity (uploaded after the decision)
    nonconformity_id: Mapped[int | None] = mapped_column(ForeignKey("nonconformity.id"), index=True)
    #: when the file was erased (its data key destroyed: issue 24); the row stays so the
    #: case's history still says a file was here, with its name and description cleared
    erased_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    #: why: "retention" (the schedule ran out) or "request" (an approved erasure request)
    erasure_reason: Mapped[str | None] = mapped_column(String(20))
    #: the case's auditor uploaded it as their own evidence (photos, notes): staff only
    by_auditor: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    application: Mapped[Application] = relationship(back_populates="evidence")

    @property
    def warnings(self) -> list[str]:
        """What the auditor should know before opening the file (see core.filetypes.risks)."""
        return json.loads(self.warnings_json) if self.warnings_json else []

    uploaded_by: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<Evidence {self.public_id} {self.filename!r}>"


class ConflictRegisterEntry(Base):
    """A staff member's declared link with an organisation (advised, worked for, ...).

    Assignment to a case of that organisation is refused while the link ended less than two
    years ago (or has not ended).
    """

    __tablename__ = "conflict_register_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(PublicId, unique=True, default=new_public_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    organisation_name: Mapped[str] = mapped_column(String(200))
    relationship_text: Mapped[str] = mapped_column("relationship", Text)
    started_on: Mapped[dt.date | None] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

    user: Mapped[User] = relationship()
    organisation: Mapped[Organisation | None] = relationship()

    def __repr__(self) -> str:
        return f"<ConflictRegisterEntry {self.user_id} {self.organisation_name!r}>"


class ConflictDeclaration(Base):
    """An assignee's declaration, for one case and one assignment, of (no) conflict."""

    __tablename__ = "conflict_declaration"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    role: Mapped[str] = mapped_column(String(20))
    assignment_round: Mapped[int] = mapped_column(Integer)
    has_conflict: Mapped[bool] = mapped_column(Boolean)
    statement: Mapped[str] = mapped_column(Text)
    declared_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

    application: Mapped[Application] = relationship(back_populates="declarations")
    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ConflictDeclaration {self.application_id} {self.role} {self.has_conflict}>"


class AuditAnswer(Base):
    """The auditor's answer to one criterion: the value scored, notes and evidence references."""

    __tablename__ = "audit_answer"
    __table_args__ = (UniqueConstraint("application_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"))
    criterion_id: Mapped[str] = mapped_column(String(40))
    answer: Mapped[str] = mapped_column(Text)  # JSON: value, basis, not_applicable, justification
    #: the findings: shown to the ISSP in the audit report
    notes: Mapped[str | None] = mapped_column(Text)
    #: auditor-only notes, marked so when written: never shown to the ISSP
    private_notes: Mapped[str | None] = mapped_column(Text)
    evidence_refs: Mapped[str | None] = mapped_column(Text)  # JSON list of evidence public ids
    updated_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    def __repr__(self) -> str:
        return f"<AuditAnswer {self.application_id} {self.criterion_id}>"

    @property
    def data(self) -> dict[str, Any]:
        return json.loads(self.answer)

    @property
    def refs(self) -> list[str]:
        return json.loads(self.evidence_refs) if self.evidence_refs else []


class AssessmentSection(Base):
    """The version counter of one section of an assessment: a save names the version it was
    made from, and is refused when someone saved the section in between."""

    __tablename__ = "assessment_section"
    __table_args__ = (UniqueConstraint("application_id", "section_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"))
    section_id: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    updated_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<AssessmentSection {self.application_id} {self.section_id} v{self.version}>"


class NonConformity(Base):
    """A non-conformity the auditor found: its grade decides what it blocks, and what follows
    when it is not closed in time. ``status`` and ``stage`` are a position of the table in
    :mod:`certify.core.nonconformity` (``stage``: the corrective-action loop's state behind
    ``overdue`` or ``escalated``, else None)."""

    __tablename__ = "nonconformity"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(PublicId, unique=True, default=new_public_id)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    grade: Mapped[str] = mapped_column(String(20))
    criterion_id: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    corrective_action: Mapped[str] = mapped_column(Text)
    due_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    closed_at: Mapped[dt.datetime | None]
    closure_note: Mapped[str | None] = mapped_column(Text)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    stage: Mapped[str | None] = mapped_column(String(20))
    #: the ISSP's note sent with its evidence of closure
    evidence_note: Mapped[str | None] = mapped_column(Text)
    evidence_submitted_at: Mapped[dt.datetime | None]
    #: set once, when the admin extends the deadline: the first due date and why it moved
    original_due_on: Mapped[dt.date | None] = mapped_column(Date)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    extended_at: Mapped[dt.datetime | None]
    #: the scheduler proposed suspending the certificate for it, for the admin to confirm
    suspension_proposed_at: Mapped[dt.datetime | None]
    #: the suspension that rests on it (a certificate_status_change), once it escalated
    suspension_id: Mapped[int | None] = mapped_column(
        ForeignKey("certificate_status_change.id"), index=True
    )
    escalated_at: Mapped[dt.datetime | None]

    application: Mapped[Application] = relationship()
    evidence: Mapped[list[Evidence]] = relationship(order_by="Evidence.id")

    def __repr__(self) -> str:
        return f"<NonConformity {self.public_id} {self.grade} {self.status}>"

    @property
    def position(self) -> Position:
        return Position.of(self.status, self.stage)

    @property
    def is_closed(self) -> bool:
        return self.status == NcState.CLOSED.value


class Decision(Base):
    """The reviewer's decision on a case (or a return to the auditor), with written reasons
    and the score it was made on."""

    __tablename__ = "decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(PublicId, unique=True, default=new_public_id)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    outcome: Mapped[str] = mapped_column(String(30))  # certified | refused | returned
    reasons: Mapped[str] = mapped_column(Text)
    score: Mapped[str] = mapped_column(Text)  # canonical JSON of the score it was made on
    decided_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    reviewer: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<Decision {self.public_id} {self.outcome}>"
