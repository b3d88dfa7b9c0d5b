"""Deadlines and what the certification body does about them: non-conformities raised on a
certified case (a critical one suspends at once), the admin's one extension, the auditor named
for the follow-up, and what the scheduler does as a due date nears and passes (reminders,
``overdue``, a proposed or automatic suspension). Operations lock, check, change, flush and
record an audit event; none commits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from certify import clock, lifecycle
from certify.accounts.models import Role, User
from certify.applications.access import is_followup_auditor
from certify.applications.assignment import register_conflicts
from certify.applications.models import Application, NonConformity
from certify.applications.nonconformities import default_due_date
from certify.applications.operations import lock_application
from certify.audit.operations import record_event
from certify.core.actor import Actor
from certify.core.nonconformity import (
    SUSPEND_AFTER_DEADLINE,
    SUSPEND_IMMEDIATELY,
    NcAction,
    NcState,
    past_due,
)
from certify.core.rubric.model import Rubric
from certify.core.workflow import AppState, Party
from certify.followup import notices
from certify.followup.loop import MAX_TEXT
from certify.followup.records import lock_nonconformity, move, require_followed_up
from certify.notifications.operations import notify, path_for
from certify.operations import OperationError
from certify.standards.operations import get_rubric

#: What the scheduler does with a major non-conformity past its due date (setting
#: ``NC_OVERDUE_ACTION``): propose the suspension to the admins, or suspend at once.
OVERDUE_ACTIONS = ("propose", "suspend")


def _actor(user: User) -> Actor:
    return Actor.user(user.public_id)


def grade_rule(rubric: Rubric, grade: str) -> str:
    """The pinned rubric's consequence for *grade* (``suspend_immediately`` ...)."""
    return next(g.consequence for g in rubric.grades if g.id == grade)


# --------------------------------------------------------------------------- raising


def raise_after_decision(
    session: Session,
    application: Application,
    auditor: User,
    rubric: Rubric,
    *,
    grade: str,
    criterion_id: str,
    description: str,
    corrective_action: str,
    due_on: dt.date | None,
) -> NonConformity:
    """The follow-up auditor records a non-conformity on a certified case (found at a visit,
    from a complaint; surveillance audits will raise theirs here too). Its deadline follows the
    pinned rubric. A grade the rubric suspends at once (critical) suspends the certificate in
    the same transaction (or, already suspended, the suspension rests on it too).

    Raises:
        OperationError: not the follow-up auditor, not a certified case with an active or
            suspended certificate, or bad input.
    """
    lock_application(session, application)
    if not is_followup_auditor(auditor, application):
        raise OperationError(
            "Only the auditor who follows this case up may do that.", code="not_the_auditor"
        )
    found = Finding(grade, criterion_id, description, corrective_action)
    return _raise_on_certified_case(session, application, auditor, rubric, found, due_on)


def raise_from_complaint(
    session: Session,
    application: Application,
    handler: User,
    rubric: Rubric,
    finding: Finding,
    complaint_id: str,
) -> NonConformity:
    """The handler of a founded complaint opens a non-conformity on the certified case of the
    organisation complained about, graded and described by them (the caller checks that they
    handle the complaint, impartially). It then follows the normal corrective-action loop
    with the case's follow-up auditor; its deadline is the rubric's for the grade, and a
    critical grade suspends at once, as :func:`raise_after_decision`. The audit event names
    the complaint by its public id only.

    Raises:
        OperationError: not a certified case with an active or suspended certificate, or bad
            input.
    """
    lock_application(session, application)
    return _raise_on_certified_case(
        session, application, handler, rubric, finding, None, source={"complaint": complaint_id}
    )


@dataclass(frozen=True)
class Finding:
    """What a non-conformity raised on a certified case says: its grade, the criterion, what
    was found and the corrective action required."""

    grade: str
    criterion_id: str
    description: str
    corrective_action: str


def _raise_on_certified_case(
    session: Session,
    application: Application,
    author: User,
    rubric: Rubric,
    found: Finding,
    due_on: dt.date | None,
    source: dict[str, str] | None = None,
) -> NonConformity:
    """Check and record *found* on the locked, certified *application* (see the callers)."""
    if application.app_state is not AppState.DECIDED:
        raise OperationError("The case is not decided yet: record it in the assessment.")
    require_followed_up(session, application)
    today = clock.today()
    if found.grade not in {g.id for g in rubric.grades}:
        raise OperationError("Choose a grade: critical, major or minor.", field="grade")
    if found.criterion_id not in {c.id for c in rubric.criteria}:
        raise OperationError("Choose the criterion it concerns.", field="criterion")
    if not found.description.strip() or not found.corrective_action.strip():
        raise OperationError(
            "Describe the non-conformity and the corrective action.", field="description"
        )
    rule = grade_rule(rubric, found.grade)
    due = due_on or default_due_date(rubric, found.grade, today)
    if due < today:
        raise OperationError("The due date is in the past.", field="due_on")
    nc = NonConformity(
        application_id=application.id,
        grade=found.grade,
        criterion_id=found.criterion_id,
        description=found.description.strip()[:MAX_TEXT],
        corrective_action=found.corrective_action.strip()[:MAX_TEXT],
        due_on=today if rule == SUSPEND_IMMEDIATELY else due,
        created_by_id=author.id,
        status=NcState.OPEN.value,
    )
    session.add(nc)
    session.flush()
    record_event(
        session,
        _actor(author),
        "nonconformity.raised",
        "application",
        application.public_id,
        after={
            "nonconformity": nc.public_id,
            "grade": found.grade,
            "criterion": found.criterion_id,
            "due_on": nc.due_on.isoformat(),
            "after_decision": True,
            **(source or {}),
        },
    )
    notices.tell_holder(session, "nonconformity.raised", nc)
    if rule == SUSPEND_IMMEDIATELY:
        lifecycle.escalate_nonconformity(session, nc, _actor(author), party=Party.SYSTEM)
    return nc


# --------------------------------------------------------------------------- the admin


def extend_deadline(
    session: Session, nc: NonConformity, admin: User, new_due: dt.date | None, reason: str
) -> None:
    """The admin moves the due date later, once, with a recorded reason (an overdue
    non-conformity is no longer overdue; a proposed suspension lapses). The ISSP and the
    follow-up auditor are told.

    Raises:
        OperationError: not an admin, extended before, closed or escalated, a date not later
            than the due date or in the past, no reason.
    """
    lock_nonconformity(session, nc)
    if not admin.has_role(Role.ADMIN):
        raise OperationError("Only the certification body's admins may extend a deadline.")
    if nc.original_due_on is not None:
        raise OperationError(
            f"This deadline was extended once already (from {nc.original_due_on:%-d %b %Y}): "
            "it cannot be extended again.",
            code="extended_before",
        )
    text = (reason or "").strip()
    if not text:
        raise OperationError("Write why the deadline is extended.", field="reason")
    if new_due is None or new_due <= nc.due_on or new_due < clock.today():
        raise OperationError(
            f"Choose a new due date after {nc.due_on:%-d %b %Y} and not in the past.",
            field="due_on",
        )
    before = nc.due_on
    nc.original_due_on, nc.due_on = before, new_due
    nc.extension_reason, nc.extended_at = text[:MAX_TEXT], clock.now()
    nc.suspension_proposed_at = None
    move(
        session, nc, NcAction.EXTEND_DEADLINE, Party.ADMIN, _actor(admin), reason=text,
        extra={"due_on": new_due.isoformat(), "was_due_on": before.isoformat()},
    )  # fmt: skip
    for tell in (notices.tell_holder, notices.tell_auditor):
        tell(session, "nonconformity.deadline_extended", nc, reason=text)


def confirm_suspension(session: Session, nc: NonConformity, admin: User) -> None:
    """The admin confirms the scheduler's proposal: the certificate is suspended because of
    this overdue non-conformity (see :func:`certify.lifecycle.escalate_nonconformity`).

    Raises:
        OperationError: not an admin, or the escalation is not possible now.
    """
    if not admin.has_role(Role.ADMIN):
        raise OperationError("Only the certification body's admins may suspend.")
    lifecycle.escalate_nonconformity(session, nc, _actor(admin), party=Party.ADMIN)


def name_followup_auditor(
    session: Session, application: Application, admin: User, auditor: User
) -> None:
    """The admin names another qualified auditor to follow the case's non-conformities up:
    an active auditor, not the case's reviewer, with no conflict in their register. They are
    told.

    Raises:
        OperationError: any of these does not hold, or the case is not decided.
    """
    lock_application(session, application)
    if not admin.has_role(Role.ADMIN):
        raise OperationError("Only the certification body's admins may name the auditor.")
    if application.app_state is not AppState.DECIDED:
        raise OperationError("The case is not decided yet.")
    if not auditor.has_role(Role.AUDITOR) or not auditor.is_active:
        raise OperationError("Choose an active auditor.", field="auditor")
    if auditor.id == application.reviewer_id:
        raise OperationError(
            "The case's reviewer cannot follow its non-conformities up: choose an auditor "
            "who did not decide it.",
            field="auditor",
        )
    conflicts = register_conflicts(session, auditor, application, clock.today())
    if conflicts:
        raise OperationError(
            f"{auditor.full_name}'s conflict-of-interest register names "
            f"{conflicts[0].organisation_name}: choose someone else.",
            field="auditor",
            code="conflict_of_interest",
        )
    before = application.followup_auditor or application.auditor
    application.followup_auditor_id = auditor.id
    session.flush()
    record_event(
        session,
        _actor(admin),
        "application.followup_auditor_named",
        "application",
        application.public_id,
        before={"auditor": before.public_id if before else None},
        after={"auditor": auditor.public_id},
    )
    notify(
        session,
        "nonconformity.auditor_named",
        [auditor],
        context={"organisation": application.organisation.legal_name},
        link=path_for("followup.report", public_id=application.public_id),
    )


# --------------------------------------------------------------------------- the scheduler


def send_reminder(
    session: Session, nc: NonConformity, days: int, actor: Actor, now: dt.datetime
) -> None:
    """Remind the ISSP that *nc* is due in at most *days* days (the caller makes it once);
    the audit trail keeps that the holder was warned."""
    notices.tell_holder(session, "nonconformity.due_soon", nc, days=days)
    record_event(
        session,
        actor,
        "nonconformity.reminder_sent",
        "application",
        nc.application.public_id,
        after={"nonconformity": nc.public_id, "days": days, "due_on": nc.due_on.isoformat()},
        now=now,
    )


def mark_overdue(
    session: Session, nc: NonConformity, actor: Actor, now: dt.datetime, action: str
) -> str:
    """The scheduler marks *nc* overdue (its due date passed and it is still the holder's
    turn, or a plan is under review), tells the ISSP and the follow-up auditor, and then,
    for a grade the rubric suspends after its deadline, proposes the suspension to the admins
    (*action* ``propose``) or suspends (``suspend``). Returns what it did, in words.

    Raises:
        OperationError: it is not past due, not followed up, or the table refuses (marked
            already, closed, escalated).
    """
    lock_nonconformity(session, nc)
    require_followed_up(session, nc.application)
    if not past_due(nc.due_on, now.date()):
        raise OperationError("This non-conformity is not past its due date.")
    move(session, nc, NcAction.MARK_OVERDUE, Party.SYSTEM, actor, now=now)
    for tell in (notices.tell_holder, notices.tell_auditor):
        tell(session, "nonconformity.overdue", nc, action=action)
    application = nc.application
    rubric = get_rubric(application.standard_id, application.standard_version, session=session)
    if grade_rule(rubric, nc.grade) != SUSPEND_AFTER_DEADLINE:
        return "marked overdue"
    if action == "suspend":
        lifecycle.escalate_nonconformity(session, nc, actor, party=Party.SYSTEM, now=now)
        return "suspended"
    nc.suspension_proposed_at = now
    session.flush()
    record_event(
        session,
        actor,
        "nonconformity.suspension_proposed",
        "application",
        application.public_id,
        reason_category="major_nonconformity",
        after={"nonconformity": nc.public_id, "due_on": nc.due_on.isoformat()},
        now=now,
    )
    notices.tell_admins(session, "nonconformity.suspension_proposed", nc)
    return "suspension proposed"
