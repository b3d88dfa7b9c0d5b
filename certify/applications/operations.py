"""Application operations. Each takes the actor, checks the workflow table, flushes and records
an audit event; none commits."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from certify import clock
from certify.accounts.models import Role, User
from certify.applications import notices
from certify.applications.models import (
    Application,
    SelfAssessmentAnswer,
)
from certify.audit.operations import record_event
from certify.certificates.queries import current_certificate
from certify.core.actor import Actor
from certify.core.agreement import Agreement
from certify.core.rubric.model import Rubric
from certify.core.scoring.answers import AnswerError
from certify.core.scoring.engine import preview
from certify.core.workflow import FINAL_STATES, Action, AppState, Party, TransitionError, next_state
from certify.operations import OperationError


def _actor(user: User) -> Actor:
    return Actor.user(user.public_id)


def lock_application(session: Session, application: Application) -> Application:
    """Lock *application*'s row (``SELECT ... FOR UPDATE``) and forget what the session read
    before, so everything the operation reads next is read under the lock.

    Every operation that changes a case calls this first, so its checks see the case as it
    is now: two requests on one case (a reviewer's double click, two admins assigning at
    once, two closures of one non-conformity) run one after the other on PostgreSQL too, and
    the second is refused by the state it finds. (SQLite's writers already hold the
    database's write lock.) Pending changes are flushed first, never lost.
    """
    session.execute(
        select(Application.id).where(Application.id == application.id).with_for_update()
    )
    session.expire_all()
    return application


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
    application.updated_at = application.state_changed_at = clock.now()
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
    notices.after_transition(session, application, action, reason, extra or {})
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


def rubric_in_effect(today: dt.date) -> Rubric | None:
    """The newest published standard version in effect on *today* (None when none is).

    Raises:
        OperationError: several standards are published and none can be chosen alone.
    """
    from certify.standards.operations import newest_rubric_in_effect

    try:
        return newest_rubric_in_effect(today)
    except ValueError as exc:
        raise OperationError(str(exc)) from exc


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
    refuse_second_initial(session, user.organisation.id)
    application = Application(
        organisation=user.organisation,
        state=AppState.DRAFT.value,
        standard_id=rubric.id,
        standard_version=rubric.version,
        standard_sha256=rubric.sha256,
        contact_name=user.full_name,
        contact_email=user.email,
        site_ids=json.dumps([s.public_id for s in user.organisation.sites if s.closed_at is None]),
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


def refuse_second_initial(session: Session, organisation_id: int) -> None:
    """A certified organisation does not start a second initial application: its cycle
    (surveillance, recertification, scope extension) goes on from its certificate.

    Raises:
        OperationError: the organisation holds a certificate in force.
    """
    certificate = current_certificate(session, organisation_id)
    if certificate is not None:
        raise OperationError(
            f"Your organisation holds certificate {certificate.serial}, valid until "
            f"{certificate.valid_until:%-d %B %Y}: a new initial application is not needed. "
            "Its cycle goes on from 'Our certification cycle' (surveillance visits, "
            "recertification before expiry, new sites and services as a scope extension).",
            code="certified",
        )


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
    lock_application(session, application)
    _editable_by_applicant(application)
    known = {s.public_id for s in application.organisation.sites if s.closed_at is None}
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
    application.updated_at = clock.now()
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
    lock_application(session, application)
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
                row.updated_at = clock.now()
        elif row is not None:
            application.answers.remove(row)
    application.updated_at = clock.now()
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
    session: Session,
    application: Application,
    user: User,
    rubric: Rubric,
    agreement: Agreement | None = None,
) -> None:
    """Submit for review: only when the scope is complete and every criterion is answered.

    *agreement* is what the applicant confirmed on the submit form (the web always passes it):
    its version and digest are kept on the application and in the audit event."""
    lock_application(session, application)
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
    accepted = (
        {"agreement_version": agreement.version, "agreement_sha256": agreement.sha256}
        if agreement is not None
        else {}
    )
    transition(session, application, Action.SUBMIT, Party.APPLICANT, _actor(user), extra=accepted)
    application.agreement_version = accepted.get("agreement_version")
    application.agreement_sha256 = accepted.get("agreement_sha256")
    application.submitted_at = clock.now()
    application.last_return_reason = None
    session.flush()


def withdraw_application(
    session: Session, application: Application, user: User, reason: str
) -> None:
    lock_application(session, application)
    party = (
        Party.ADMIN
        if user.has_role(Role.ADMIN) and user.organisation_id != application.organisation_id
        else Party.APPLICANT
    )
    if not reason.strip():
        raise OperationError("Say why the application is withdrawn.", field="reason")
    transition(session, application, Action.WITHDRAW, party, _actor(user), reason=reason.strip())


# -- the certification body's side ---------------------------------------------------------------


def accept_application(session: Session, application: Application, admin: User) -> None:
    lock_application(session, application)
    transition(session, application, Action.ACCEPT, Party.ADMIN, _actor(admin))


def return_to_applicant(
    session: Session, application: Application, admin: User, reason: str
) -> None:
    lock_application(session, application)
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
