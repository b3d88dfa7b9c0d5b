"""Handling a complaint: the admin names an impartial handler, who acknowledges it, writes
investigation notes and messages to the complainant, and records the outcome with reasons.

Every operation locks the complaint, checks who acts (the table of
:mod:`certify.core.complaints` checks what may happen next), changes, flushes and records an
audit event naming the complaint by id only (never its text or the complainant). The
handler's impartiality is checked when assigned and again at every step
(:mod:`certify.complaints.impartiality`).
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from certify import clock
from certify.accounts.models import Role, User
from certify.applications.models import Application, NonConformity
from certify.audit.operations import record_event
from certify.certificates.queries import current_certificate
from certify.complaints import notices
from certify.complaints.impartiality import handler_problem
from certify.complaints.models import Complaint, ComplaintEntry
from certify.complaints.raising import MAX_TEXT, lock_complaint, step
from certify.core import labels
from certify.core.actor import Actor
from certify.core.complaints import (
    COMPLAINT_OUTCOMES,
    FOUNDED_OUTCOMES,
    ComplaintAction,
    Party,
    retain_until,
)
from certify.followup.deadlines import Finding, raise_from_complaint
from certify.notifications.operations import notify, path_for
from certify.operations import OperationError
from certify.standards.operations import get_rubric


def _actor(user: User) -> Actor:
    return Actor.user(user.public_id)


def _text(value: str | None, what: str, field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise OperationError(f"Write {what}.", field=field)
    if len(text) > MAX_TEXT:
        raise OperationError(f"Keep {what} under {MAX_TEXT} characters.", field=field)
    return text


def require_handler(session: Session, complaint: Complaint, user: User) -> None:
    """*user* is the complaint's handler and still impartial.

    Raises:
        OperationError: otherwise.
    """
    if complaint.handler_id != user.id:
        raise OperationError("Only the complaint's handler may do that.", code="not_the_handler")
    problem = handler_problem(session, complaint, user)
    if problem is not None:
        raise OperationError(problem, code="not_impartial")


def assign_handler(session: Session, complaint: Complaint, admin: User, handler: User) -> None:
    """The admin names (or replaces) the handler: never the ISSP's auditor or reviewer of the
    current cycle, nobody with a registered conflict. The handler is told.

    Raises:
        OperationError: not an admin, the complaint is decided, or the person is not impartial.
    """
    lock_complaint(session, complaint)
    if not admin.has_role(Role.ADMIN):
        raise OperationError("Only an administrator may assign a handler.", code="not_admin")
    after = step(complaint, ComplaintAction.ASSIGN, Party.ADMIN)
    problem = handler_problem(session, complaint, handler)
    if problem is not None:
        raise OperationError(problem, field="handler", code="not_impartial")
    previous = complaint.handler.public_id if complaint.handler else None
    complaint.handler_id, complaint.assigned_at = handler.id, clock.now()
    complaint.state = after.value
    session.flush()
    session.refresh(complaint)
    record_event(
        session, _actor(admin), "complaint.assigned", "complaint", complaint.public_id,
        before={"handler": previous}, after={"handler": handler.public_id},
    )  # fmt: skip
    notices.tell_handler(session, complaint, "complaint.assigned")


def acknowledge_complaint(
    session: Session, complaint: Complaint, user: User, message: str | None = None
) -> None:
    """The handler acknowledges the complaint (and may write to the complainant); the
    complainant is told when they left an address.

    Raises:
        OperationError: not the (impartial) handler, or not the moment.
    """
    lock_complaint(session, complaint)
    require_handler(session, complaint, user)
    after = step(complaint, ComplaintAction.ACKNOWLEDGE, Party.HANDLER)
    complaint.state, complaint.acknowledged_at = after.value, clock.now()
    text = (message or "").strip()
    if text:
        _entry(session, complaint, user, "message", _text(text, "your message", "message"))
    session.flush()
    late = complaint.acknowledged_at > complaint.acknowledge_by
    record_event(
        session, _actor(user), "complaint.acknowledged", "complaint", complaint.public_id,
        after={"state": complaint.state, "late": late},
    )  # fmt: skip
    notices.tell_complainant(session, complaint, "complaint.updated")


def _entry(
    session: Session, complaint: Complaint, user: User, kind: str, text: str
) -> ComplaintEntry:
    entry = ComplaintEntry(complaint_id=complaint.id, kind=kind, text=text, author_id=user.id)
    entry.created_at = clock.now()
    session.add(entry)
    session.flush()
    return entry


def add_note(
    session: Session, complaint: Complaint, user: User, text: str, *, to_complainant: bool
) -> ComplaintEntry:
    """The handler writes an investigation note (staff only) or a message the complainant
    reads on the tracking page (and is told of, when they left an address).

    Raises:
        OperationError: not the (impartial) handler, the complaint is decided, or no text.
    """
    lock_complaint(session, complaint)
    require_handler(session, complaint, user)
    step(complaint, ComplaintAction.ADD_NOTE, Party.HANDLER)
    kind = "message" if to_complainant else "note"
    entry = _entry(session, complaint, user, kind, _text(text, "the note", "text"))
    record_event(
        session, _actor(user), "complaint.note_added", "complaint", complaint.public_id,
        after={"entry": entry.public_id, "kind": kind},
    )  # fmt: skip
    if to_complainant:
        notices.tell_complainant(session, complaint, "complaint.updated")
    return entry


#: What the certification body does next for each founded outcome (told to the admins).
NEXT_STEPS = {
    "founded_corrective_action": (
        "A non-conformity is open on the organisation's certified case: the auditor who "
        "follows the case up follows its corrective action up."
    ),
    "founded_special_audit": "Plan a special audit of this organisation.",
    "founded_suspension": "Suspend the certificate (Certificates, then the certificate).",
    "founded_withdrawal": "Withdraw the certificate (Certificates, then the certificate).",
}


def decide_complaint(
    session: Session,
    complaint: Complaint,
    user: User,
    outcome: str,
    reasons: str,
    finding: Finding | None = None,
) -> None:
    """The handler records the outcome with reasons. A founded outcome tells the admins (and,
    for corrective action, the follow-up auditor) what must follow; "founded: corrective
    action" opens the non-conformity *finding* describes on the organisation's certified case
    (:func:`open_nonconformity`), in the same transaction; the complainant is told; the
    retention period starts.

    Raises:
        OperationError: not the (impartial) handler, not acknowledged, an unknown outcome, no
            reasons, or (corrective action) no certificate in force or a bad finding: nothing
            is kept then.
    """
    lock_complaint(session, complaint)
    require_handler(session, complaint, user)
    after = step(complaint, ComplaintAction.DECIDE, Party.HANDLER)
    if outcome not in COMPLAINT_OUTCOMES:
        raise OperationError("Choose the outcome.", field="outcome")
    text = _text(reasons, "the reasons for the outcome", "reasons")
    nc = None
    if outcome == "founded_corrective_action":
        nc = open_nonconformity(session, complaint, user, finding)
    now = clock.now()
    complaint.state, complaint.decided_at = after.value, now
    complaint.outcome, complaint.outcome_reasons = outcome, text
    complaint.nonconformity_id = nc.id if nc is not None else None
    years = int(current_app.config["COMPLAINT_RETENTION_YEARS"])
    complaint.retain_until = retain_until(now, years)
    session.flush()
    record_event(
        session, _actor(user), "complaint.decided", "complaint", complaint.public_id,
        after={
            "outcome": outcome, "retain_until": complaint.retain_until.isoformat(),
            **({"nonconformity": nc.public_id} if nc is not None else {}),
        },
    )  # fmt: skip
    notices.tell_complainant(session, complaint, "complaint.updated")
    if outcome in FOUNDED_OUTCOMES:
        _founded(session, complaint, outcome, _actor(user))


def open_nonconformity(
    session: Session, complaint: Complaint, user: User, finding: Finding | None
) -> NonConformity:
    """Open the non-conformity a founded complaint calls for on the certified case of the
    organisation's certificate in force (:func:`certify.followup.deadlines.raise_from_complaint`:
    the rubric's deadline for the grade, a critical grade suspends at once, the holder is
    told as of any non-conformity, never of the complaint or who raised it).

    Raises:
        OperationError: no certificate in force, no finding, or a finding that names the
            complainant (who did not consent to the organisation being told) or is refused
            by the rubric.
    """
    certificate = current_certificate(session, complaint.organisation_id)
    if certificate is None:
        raise OperationError(
            f"{complaint.organisation.legal_name} has no certificate in force (active or "
            "suspended), so no non-conformity can be opened: choose another outcome (a "
            "special audit, or referred elsewhere).",
            field="outcome",
            code="no_certificate",
        )
    if finding is None:
        raise OperationError(
            "Choose the criterion and the grade, and describe the non-conformity.",
            field="criterion",
        )
    _refuse_identity(complaint, finding)
    application = session.get(Application, certificate.application_id)
    assert application is not None
    rubric = get_rubric(application.standard_id, application.standard_version, session=session)
    return raise_from_complaint(session, application, user, rubric, finding, complaint.public_id)


def nonconformity_choices(session: Session, complaint: Complaint) -> list[tuple[str, str]]:
    """The criteria a non-conformity from *complaint* may concern: those of the rubric of the
    organisation's certified case (none when no certificate is in force)."""
    certificate = current_certificate(session, complaint.organisation_id)
    if certificate is None:
        return []
    application = session.get(Application, certificate.application_id)
    assert application is not None
    rubric = get_rubric(application.standard_id, application.standard_version, session=session)
    return [(c.id, f"{c.id}: {c.title}") for c in rubric.criteria]


def _refuse_identity(complaint: Complaint, finding: Finding) -> None:
    """The organisation reads the non-conformity: refuse one that names the complainant or
    their address, unless they consented in writing to the organisation being told."""
    if complaint.consent_to_share:
        return
    text = f"{finding.description}\n{finding.corrective_action}".casefold()
    private = [complaint.complainant_contact, complaint.complainant_name]
    if any(p and len(p.strip()) > 2 and p.strip().casefold() in text for p in private):
        raise OperationError(
            "The organisation reads the non-conformity: remove the complainant's name and "
            "address from it (they did not agree to the organisation being told).",
            field="description",
            code="names_the_complainant",
        )


def _founded(session: Session, complaint: Complaint, outcome: str, actor: Any) -> None:
    """Tell who must act on a founded outcome; a founded complaint that calls for a special
    audit opens that case (issue 18's audit type ``special``) on the certificate in force,
    awaiting assignment like any case. When it cannot be opened (no certificate in force, a
    case already in progress) the admins' notice says what to plan instead."""
    shown = labels.label(labels.COMPLAINT_OUTCOMES, outcome)
    action = NEXT_STEPS[outcome]
    if outcome == "founded_special_audit":
        action = _open_special_audit(session, complaint, actor) or action
    nc = complaint.nonconformity
    if nc is not None:
        action = (
            f"A {nc.grade} non-conformity on {nc.criterion_id} is open on the organisation's "
            f"certified case, due {nc.due_on:%-d %b %Y}; its follow-up auditor follows the "
            "corrective action up."
        )
    notices.tell_admins(session, complaint, "complaint.founded", outcome=shown, action=action)
    if nc is None:
        return
    auditor = nc.application.followup_auditor or nc.application.auditor
    if auditor is not None:
        notify(
            session, "complaint.founded", [auditor],
            context={
                "organisation": complaint.organisation.legal_name, "outcome": shown,
                "action": action,
            },
            link=path_for(
                "followup.nonconformity", public_id=nc.application.public_id, nc_id=nc.public_id
            ),
        )  # fmt: skip


def _open_special_audit(session: Session, complaint: Complaint, actor: Any) -> str | None:
    """Open the special audit a founded complaint calls for; what the admins should do next,
    or None when it could not be opened (the default next step then stands)."""
    from certify.cycle.operations import open_cycle_case

    certificate = current_certificate(session, complaint.organisation_id)
    if certificate is None:
        return None
    try:
        with session.begin_nested():  # a refusal leaves the decision itself untouched
            case = open_cycle_case(
                session, certificate, "special", actor,
                reason=f"Founded complaint {complaint.public_id}",
            )  # fmt: skip
    except OperationError:
        return None
    return f"A special audit of {certificate.holder_name} is open ({case.public_id}): assign it."
