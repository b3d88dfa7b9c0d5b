"""A new decision after an upheld appeal against a refusal (issue 19): the decided case goes
back to review (``REOPEN_ON_APPEAL`` in the workflow table), the admin names a reviewer who
took no part in the case or the appeal, who declares no conflict and then decides it on the
review page like any reviewer. The refusal stays on record as a :class:`Decision`; the new
decision is another one, never an edit of it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from certify import clock
from certify.accounts.models import Role, User
from certify.applications.assignment import register_conflicts
from certify.applications.models import Application, AuditAnswer, Decision
from certify.applications.operations import lock_application, transition
from certify.audit.operations import record_event
from certify.complaints.models import Appeal
from certify.core.actor import Actor
from certify.core.workflow import Action, AppState, Party
from certify.notifications.operations import notify, path_for
from certify.operations import OperationError


def reopen_on_appeal(
    session: Session, application: Application, decision: Decision, actor: Actor, appeal_id: str
) -> None:
    """Send the case refused by *decision* back to review because appeal *appeal_id* was
    upheld: the workflow's ``REOPEN_ON_APPEAL``, recorded with the appeal and the refusal;
    the case's reviewer is released (they took part) and the admins are asked to name another.

    Raises:
        OperationError: the case is no longer decided, or *decision* is not its standing
            refusal (a later decision was made).
    """
    lock_application(session, application)
    latest = session.scalar(
        select(Decision)
        .where(Decision.application_id == application.id, Decision.outcome != "returned")
        .order_by(Decision.decided_at.desc(), Decision.id.desc())
        .limit(1)
    )
    if application.decision != "refused" or latest is None or latest.id != decision.id:
        raise OperationError(
            "This refusal is no longer the case's standing decision, so it cannot be reopened.",
            code="not_the_refusal",
        )
    application.reviewer_id = None
    application.decision = None
    transition(
        session, application, Action.REOPEN_ON_APPEAL, Party.SYSTEM, actor,
        reason=f"Appeal {appeal_id} upheld.",
        extra={"appeal": appeal_id, "refusal": decision.public_id},
    )  # fmt: skip


def took_part(session: Session, application: Application, user: User) -> str | None:
    """Why *user* took part in *application*'s decisions, or None: its auditor, anyone who
    wrote its assessment, any reviewer who decided it, and anyone who decided or took part
    in a decision appealed on it (the appeal's record)."""
    if user.id == application.auditor_id:
        return "audited this case"
    wrote = select(AuditAnswer.id).where(
        AuditAnswer.application_id == application.id, AuditAnswer.updated_by_id == user.id
    )
    if session.scalar(wrote.limit(1)) is not None:
        return "audited this case"
    decided = select(Decision.id).where(
        Decision.application_id == application.id, Decision.reviewer_id == user.id
    )
    if session.scalar(decided.limit(1)) is not None:
        return "decided this case before"
    for appeal in session.scalars(select(Appeal).where(Appeal.application_id == application.id)):
        if appeal.decider_id == user.id:
            return "decided an appeal on this case"
        if user.public_id in appeal.involved:
            return "took part in a decision appealed on this case"
    return None


def awaits_reviewer(application: Application) -> bool:
    """The case was reopened on appeal and no reviewer is named yet."""
    return application.app_state is AppState.AUDIT_SUBMITTED and application.reviewer_id is None


def name_new_reviewer(
    session: Session, application: Application, admin: User, reviewer: User
) -> None:
    """The admin names the reviewer of a case reopened on appeal: an active reviewer who took
    no part in it (:func:`took_part`) and has no registered conflict. They are told, and
    declare like any assignee before seeing the case.

    Raises:
        OperationError: not an admin, the case is not waiting for a reviewer, or the person
            is not impartial.
    """
    lock_application(session, application)
    if not admin.has_role(Role.ADMIN):
        raise OperationError("Only an administrator may name the reviewer.", code="not_admin")
    if not awaits_reviewer(application):
        raise OperationError("This case is not waiting for a reviewer.", code="not_waiting")
    if not reviewer.has_role(Role.REVIEWER) or not reviewer.is_active:
        raise OperationError("Choose an active reviewer.", field="reviewer")
    reason = took_part(session, application, reviewer)
    if reason is not None:
        raise OperationError(
            f"{reviewer.full_name} {reason}: the new decision is made by someone who took "
            "no part. Choose someone else.",
            field="reviewer",
            code="took_part",
        )
    if register_conflicts(session, reviewer, application, clock.today()):
        raise OperationError(
            f"{reviewer.full_name}'s conflict-of-interest register names this organisation: "
            "choose someone else.",
            field="reviewer",
            code="conflict_of_interest",
        )
    application.reviewer_id = reviewer.id
    session.flush()
    record_event(
        session, Actor.user(admin.public_id), "application.reviewer_named", "application",
        application.public_id, after={"reviewer": reviewer.public_id, "new_decision": True},
    )  # fmt: skip
    notify(
        session, "case.assigned", [reviewer],
        context={"organisation": application.organisation.legal_name, "role": "reviewer"},
        link=path_for("applications.declaration", public_id=application.public_id),
    )  # fmt: skip
