"""Application operations. Each takes the actor, checks the workflow table, flushes and records
an audit event; none commits."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from certify.accounts.models import Role, User
from certify.applications.models import (
    Application,
    ConflictDeclaration,
    ConflictRegisterEntry,
    Evidence,
    SelfAssessmentAnswer,
)
from certify.audit.operations import record_event
from certify.core.actor import Actor
from certify.core.rubric.model import Rubric
from certify.core.scoring.answers import AnswerError
from certify.core.scoring.engine import preview
from certify.core.workflow import FINAL_STATES, Action, AppState, Party, TransitionError, next_state
from certify.db import utcnow
from certify.operations import OperationError

CONFLICT_LOOKBACK_YEARS = 2


def _actor(user: User) -> Actor:
    return Actor.user(user.public_id)


def transition(
    session: Session,
    application: Application,
    action: Action,
    party: Party,
    actor: Actor,
    *,
    reason: str | None = None,
    extra: dict[str, Any] | None = None,
) -> AppState:
    """Move *application* through the workflow table and record the audit event."""
    before = application.app_state
    try:
        after = next_state(before, action, party)
    except TransitionError as exc:
        raise OperationError(str(exc), code="invalid_transition") from exc
    application.state = after.value
    application.updated_at = utcnow()
    session.flush()
    record_event(
        session,
        actor,
        f"application.{action.value}",
        "application",
        application.public_id,
        reason=reason,
        before={"state": before.value},
        after={"state": after.value, **(extra or {})},
    )
    return after


# -- the applicant's side ------------------------------------------------------------------------


def open_application(session: Session, organisation_id: int) -> Application | None:
    """The organisation's application that is not yet decided or withdrawn, if any."""
    return session.scalar(
        select(Application).where(
            Application.organisation_id == organisation_id,
            Application.state.not_in([s.value for s in FINAL_STATES]),
        )
    )


def start_application(session: Session, user: User, rubric: Rubric | None) -> Application:
    """Start a draft application for *user*'s organisation, pinned to *rubric* (the newest
    version in effect today) by id, version and hash."""
    if user.organisation is None or not user.has_role(Role.ISSP):
        raise OperationError("Only members of a registered organisation can apply.")
    if rubric is None:
        raise OperationError(
            "No standard is in effect today, so applications cannot start yet. "
            "Please contact the certification body."
        )
    if open_application(session, user.organisation.id) is not None:
        raise OperationError(
            "Your organisation already has an application in progress. "
            "Continue that one, or withdraw it first."
        )
    application = Application(
        organisation=user.organisation,
        state=AppState.DRAFT.value,
        standard_id=rubric.id,
        standard_version=rubric.version,
        standard_sha256=rubric.sha256,
        contact_name=user.full_name,
        contact_email=user.email,
        site_ids=json.dumps([s.public_id for s in user.organisation.sites]),
    )
    session.add(application)
    session.flush()
    record_event(
        session,
        _actor(user),
        "application.started",
        "application",
        application.public_id,
        after={
            "standard": rubric.key,
            "sha256": rubric.sha256,
            "organisation": user.organisation.public_id,
        },
    )
    return application


def _editable_by_applicant(application: Application) -> None:
    if application.app_state not in (AppState.DRAFT, AppState.RETURNED_TO_APPLICANT):
        raise OperationError(
            "This application has been submitted and can no longer be changed. "
            "If something is wrong, contact the certification body.",
            code="not_editable",
        )


@dataclass(frozen=True)
class ScopeData:
    services: str
    headcount: int
    impact_headcount: int
    impact_groups: list[str]
    contact_name: str
    contact_email: str
    contact_phone: str | None
    site_ids: list[str]


def save_scope(session: Session, application: Application, user: User, data: ScopeData) -> None:
    """Save the scope part of the application."""
    _editable_by_applicant(application)
    known = {s.public_id for s in application.organisation.sites}
    if not data.site_ids or not set(data.site_ids) <= known:
        raise OperationError("Choose at least one of your organisation's sites.", field="sites")
    if data.impact_headcount > data.headcount:
        raise OperationError(
            "Impact workers cannot outnumber the whole workforce.", field="impact_headcount"
        )
    before = scope_dict(application)
    application.services = data.services.strip()
    application.headcount = data.headcount
    application.impact_headcount = data.impact_headcount
    application.impact_groups = json.dumps([g.strip() for g in data.impact_groups if g.strip()])
    application.contact_name = data.contact_name.strip()
    application.contact_email = data.contact_email.strip()
    application.contact_phone = (data.contact_phone or "").strip() or None
    application.site_ids = json.dumps(sorted(data.site_ids))
    application.updated_at = utcnow()
    session.flush()
    record_event(
        session,
        _actor(user),
        "application.scope_saved",
        "application",
        application.public_id,
        before=before,
        after=scope_dict(application),
    )


def scope_dict(application: Application) -> dict[str, Any]:
    return {
        "services": application.services,
        "headcount": application.headcount,
        "impact_headcount": application.impact_headcount,
        "impact_groups": application.groups,
        "contact_name": application.contact_name,
        "contact_email": application.contact_email,
        "contact_phone": application.contact_phone,
        "sites": application.scope_site_ids,
    }


def scope_complete(application: Application) -> bool:
    return bool(
        application.services
        and application.headcount
        and application.impact_headcount is not None
        and application.groups
        and application.contact_name
        and application.contact_email
        and application.scope_site_ids
    )


def save_section_answers(
    session: Session,
    application: Application,
    user: User,
    rubric: Rubric,
    section_id: str,
    answers: dict[str, dict[str, Any]],
) -> None:
    """Save the applicant's answers to one section, after checking them against the rubric.

    *answers* maps criterion id → {"value", "basis", "not_applicable", "justification",
    "comment"}; a criterion left out stays unanswered.

    Raises:
        OperationError: listing every bad answer (nothing is saved).
    """
    _editable_by_applicant(application)
    section = rubric.section(section_id)
    ids = {c.id for c in section.criteria}
    unknown = set(answers) - ids
    if unknown:
        raise OperationError(f"Unknown criteria for section {section_id}: {sorted(unknown)}")
    merged = {k: v for k, v in application.answer_map().items() if k not in ids}
    merged.update(answers)
    try:
        preview(rubric, {k: _scoring_answer(v) for k, v in merged.items()})
    except AnswerError as exc:
        raise OperationError(
            "Some answers cannot be saved; correct them and save again.",
            code="bad_answers",
            details=[(p.criterion, p.message) for p in exc.problems],
        ) from exc
    existing = {a.criterion_id: a for a in application.answers}
    before = {cid: existing[cid].data for cid in sorted(ids) if cid in existing}
    for cid in ids:
        row = existing.get(cid)
        if cid in answers:
            text = json.dumps(answers[cid], sort_keys=True)
            if row is None:
                application.answers.append(SelfAssessmentAnswer(criterion_id=cid, answer=text))
            elif row.answer != text:
                row.answer = text
                row.updated_at = utcnow()
        elif row is not None:
            application.answers.remove(row)
    application.updated_at = utcnow()
    session.flush()
    record_event(
        session,
        _actor(user),
        "application.self_assessment_saved",
        "application",
        application.public_id,
        before=before,
        after={cid: answers[cid] for cid in sorted(answers)},
        reason=f"section {section_id}",
    )


def _scoring_answer(stored: dict[str, Any]) -> dict[str, Any]:
    """The part of a stored answer the scoring engine reads."""
    keys = ("value", "basis", "not_applicable", "justification")
    return {k: stored[k] for k in keys if k in stored and stored[k] not in (None, "")}


def missing_answers(application: Application, rubric: Rubric) -> list[str]:
    answered = set(application.answer_map())
    return [c.id for c in rubric.criteria if c.id not in answered]


def submit_application(
    session: Session, application: Application, user: User, rubric: Rubric
) -> None:
    """Submit for review: only when the scope is complete and every criterion is answered."""
    problems = []
    if not scope_complete(application):
        problems.append(
            "complete the scope (services, headcounts, impact-worker groups, contact and sites)"
        )
    missing = missing_answers(application, rubric)
    if missing:
        problems.append(
            f"answer every criterion of the self-assessment (still open: {', '.join(missing)})"
        )
    if problems:
        raise OperationError(
            "Before submitting, " + "; and ".join(problems) + ".", code="incomplete"
        )
    transition(session, application, Action.SUBMIT, Party.APPLICANT, _actor(user))
    application.submitted_at = utcnow()
    application.last_return_reason = None
    session.flush()


def withdraw_application(
    session: Session, application: Application, user: User, reason: str
) -> None:
    party = (
        Party.ADMIN
        if user.has_role(Role.ADMIN) and user.organisation_id != application.organisation_id
        else Party.APPLICANT
    )
    if not reason.strip():
        raise OperationError("Say why the application is withdrawn.", field="reason")
    transition(session, application, Action.WITHDRAW, party, _actor(user), reason=reason.strip())


# -- evidence ------------------------------------------------------------------------------------


def add_evidence(
    session: Session,
    application: Application,
    user: User,
    store: Any,
    stream: BinaryIO,
    filename: str,
    criterion_id: str | None,
    description: str | None,
    rubric: Rubric,
) -> Evidence:
    """Store an uploaded file (checked by content and size) and attach it to the application.

    If anything fails after the bytes were stored for the first time, they are removed again:
    nothing is left behind.
    """
    from certify.core.filetypes.names import safe_download_name

    _editable_by_applicant(application)
    if criterion_id and criterion_id not in {c.id for c in rubric.criteria}:
        raise OperationError("Choose a criterion from the list.", field="criterion")
    blob = store.put(stream, filename)  # raises EvidenceError: nothing written
    try:
        duplicate = session.scalar(
            select(Evidence).where(
                Evidence.application_id == application.id,
                Evidence.sha256 == blob.sha256,
                (Evidence.criterion_id == criterion_id)
                if criterion_id
                else Evidence.criterion_id.is_(None),
            )
        )
        if duplicate is not None:
            raise OperationError(
                f"This file is already attached here as '{duplicate.filename}'.", field="file"
            )
        evidence = Evidence(
            application=application,
            criterion_id=criterion_id or None,
            sha256=blob.sha256,
            filename=safe_download_name(filename or "evidence", blob.kind),
            kind=blob.kind.kind,
            mime=blob.kind.mime,
            size=blob.size,
            description=(description or "").strip() or None,
            uploaded_by_id=user.id,
        )
        session.add(evidence)
        session.flush()
        record_event(
            session,
            _actor(user),
            "application.evidence_added",
            "application",
            application.public_id,
            after={
                "evidence": evidence.public_id,
                "criterion": criterion_id,
                "sha256": blob.sha256,
                "size": blob.size,
                "kind": blob.kind.kind,
            },
        )
    except BaseException:
        if blob.created and not _blob_referenced(session, blob.sha256):
            store.delete(blob.sha256)
        raise
    return evidence


def _blob_referenced(session: Session, sha256: str) -> bool:
    try:
        return bool(
            session.scalar(
                select(func.count()).select_from(Evidence).where(Evidence.sha256 == sha256)
            )
        )
    except Exception:  # the session may be unusable after the failure
        return False


def remove_evidence(session: Session, evidence: Evidence, user: User) -> None:
    """Detach an evidence file (the stored bytes stay while other cases use them)."""
    _editable_by_applicant(evidence.application)
    application = evidence.application
    session.delete(evidence)
    session.flush()
    record_event(
        session,
        _actor(user),
        "application.evidence_removed",
        "application",
        application.public_id,
        before={"evidence": evidence.public_id, "sha256": evidence.sha256},
    )


# -- the certification body's side ---------------------------------------------------------------


def accept_application(session: Session, application: Application, admin: User) -> None:
    transition(session, application, Action.ACCEPT, Party.ADMIN, _actor(admin))


def return_to_applicant(
    session: Session, application: Application, admin: User, reason: str
) -> None:
    if not reason.strip():
        raise OperationError("Write what the applicant needs to change.", field="reason")
    transition(
        session,
        application,
        Action.RETURN_TO_APPLICANT,
        Party.ADMIN,
        _actor(admin),
        reason=reason.strip(),
    )
    application.last_return_reason = reason.strip()
    session.flush()


def register_conflicts(
    session: Session, user: User, application: Application, today: dt.date
) -> list[ConflictRegisterEntry]:
    """Register entries of *user* that conflict with *application*'s organisation: the same
    organisation (linked, or by name) with a link that has not ended or ended within two years."""
    org = application.organisation
    cutoff = (
        today.replace(year=today.year - CONFLICT_LOOKBACK_YEARS)
        if not (today.month == 2 and today.day == 29)
        else today.replace(year=today.year - CONFLICT_LOOKBACK_YEARS, day=28)
    )
    return list(
        session.scalars(
            select(ConflictRegisterEntry).where(
                ConflictRegisterEntry.user_id == user.id,
                or_(
                    ConflictRegisterEntry.organisation_id == org.id,
                    func.lower(ConflictRegisterEntry.organisation_name) == org.legal_name.lower(),
                ),
                or_(
                    ConflictRegisterEntry.ended_on.is_(None),
                    ConflictRegisterEntry.ended_on >= cutoff,
                ),
            )
        )
    )


def assign_case(
    session: Session,
    application: Application,
    admin: User,
    auditor: User,
    reviewer: User,
    today: dt.date,
) -> None:
    """Name the auditor and the reviewer: two different people, holding those roles, with no
    registered conflict with the organisation."""
    if auditor.id == reviewer.id:
        raise OperationError(
            "The auditor and the reviewer must be two different people: a "
            "reviewer never decides a case they audited.",
            field="reviewer",
        )
    if not auditor.has_role(Role.AUDITOR) or not auditor.is_active:
        raise OperationError("Choose an active auditor.", field="auditor")
    if not reviewer.has_role(Role.REVIEWER) or not reviewer.is_active:
        raise OperationError("Choose an active reviewer.", field="reviewer")
    for person, field in ((auditor, "auditor"), (reviewer, "reviewer")):
        conflicts = register_conflicts(session, person, application, today)
        if conflicts:
            entry = conflicts[0]
            raise OperationError(
                f"{person.full_name} cannot be {field} of this case: their conflict-of-interest "
                f"register shows '{entry.relationship_text}' with {entry.organisation_name}"
                f"{' (ended ' + entry.ended_on.isoformat() + ')' if entry.ended_on else ''}, "
                f"within the last {CONFLICT_LOOKBACK_YEARS} years. Choose someone else.",
                field=field,
                code="conflict_of_interest",
            )
    application.auditor = auditor
    application.reviewer = reviewer
    application.assignment_round += 1
    session.flush()
    transition(
        session,
        application,
        Action.ASSIGN,
        Party.ADMIN,
        _actor(admin),
        extra={
            "auditor": auditor.public_id,
            "reviewer": reviewer.public_id,
            "round": application.assignment_round,
        },
    )


def assignee_role(application: Application, user: User) -> str | None:
    """'auditor' or 'reviewer' when *user* holds that part in this case's current assignment."""
    if application.auditor_id == user.id:
        return "auditor"
    if application.reviewer_id == user.id:
        return "reviewer"
    return None


def has_declared_no_conflict(application: Application, user: User) -> bool:
    role = assignee_role(application, user)
    if role is None:
        return False
    declaration = application.current_declaration(user, role)
    return declaration is not None and not declaration.has_conflict


def declare_conflict(
    session: Session, application: Application, user: User, has_conflict: bool, statement: str
) -> None:
    """Record the assignee's declaration for this case. A conflict sends the case back to the
    admin for reassignment; when both have declared none, the audit starts."""
    role = assignee_role(application, user)
    if role is None or application.app_state != AppState.ASSIGNED:
        raise OperationError("You are not waiting to declare for this case.", code="not_assigned")
    if application.current_declaration(user, role) is not None:
        raise OperationError("You have already declared for this case.", code="already_declared")
    if has_conflict and not statement.strip():
        raise OperationError(
            "Describe the conflict so the admin can reassign the case.", field="statement"
        )
    session.add(
        ConflictDeclaration(
            application=application,
            user_id=user.id,
            role=role,
            assignment_round=application.assignment_round,
            has_conflict=has_conflict,
            statement=statement.strip() or "I have no conflict of interest with this organisation.",
        )
    )
    session.flush()
    record_event(
        session,
        _actor(user),
        "application.conflict_declared",
        "application",
        application.public_id,
        reason=statement.strip() or None,
        after={"role": role, "has_conflict": has_conflict, "round": application.assignment_round},
    )
    if has_conflict:
        if role == "auditor":
            application.auditor_id = None
        else:
            application.reviewer_id = None
        transition(
            session,
            application,
            Action.RELEASE,
            Party.AUDITOR if role == "auditor" else Party.REVIEWER,
            _actor(user),
            reason="conflict of interest declared",
        )
        return
    others = [(application.auditor, "auditor"), (application.reviewer, "reviewer")]
    if all(
        p is not None
        and (d := application.current_declaration(p, r)) is not None
        and not d.has_conflict
        for p, r in others
    ):
        transition(
            session,
            application,
            Action.START_AUDIT,
            Party.SYSTEM,
            Actor.system("workflow"),
            reason="both assignees declared no conflict",
        )


def add_register_entry(
    session: Session,
    user: User,
    *,
    organisation_name: str,
    organisation_id: int | None,
    relationship: str,
    started_on: dt.date | None,
    ended_on: dt.date | None,
) -> ConflictRegisterEntry:
    if started_on and ended_on and ended_on < started_on:
        raise OperationError("The end date is before the start date.", field="ended_on")
    entry = ConflictRegisterEntry(
        user_id=user.id,
        organisation_id=organisation_id,
        organisation_name=organisation_name.strip(),
        relationship_text=relationship.strip(),
        started_on=started_on,
        ended_on=ended_on,
    )
    session.add(entry)
    session.flush()
    record_event(
        session,
        _actor(user),
        "conflict_register.added",
        "user",
        user.public_id,
        after={
            "entry": entry.public_id,
            "organisation": entry.organisation_name,
            "relationship": entry.relationship_text,
            "ended_on": ended_on.isoformat() if ended_on else None,
        },
    )
    return entry
