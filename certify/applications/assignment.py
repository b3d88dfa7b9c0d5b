"""Assigning a case and impartiality: conflict-of-interest registers and declarations.

Assignment refuses the same person as auditor and reviewer and anyone whose register names the
organisation within :data:`CONFLICT_LOOKBACK_YEARS`; assignees see a case only after declaring,
for that assignment, that they have no conflict (a declared conflict sends the case back).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from certify import clock
from certify.accounts.models import Role, User
from certify.applications.models import (
    Application,
    ConflictDeclaration,
    ConflictRegisterEntry,
)
from certify.applications.operations import _actor, lock_application, transition
from certify.audit.operations import record_event
from certify.core.actor import Actor
from certify.core.workflow import Action, AppState, Party
from certify.notifications.audiences import staff_with
from certify.notifications.operations import notify, path_for
from certify.operations import OperationError

CONFLICT_LOOKBACK_YEARS = 2


def _conflicting_entries(application: Application, today: dt.date) -> Select[Any]:
    """Register entries that conflict with *application*'s organisation: the same organisation
    (linked, or by name) with a link that has not ended or ended within two years."""
    org = application.organisation
    cutoff = (
        today.replace(year=today.year - CONFLICT_LOOKBACK_YEARS)
        if not (today.month == 2 and today.day == 29)
        else today.replace(year=today.year - CONFLICT_LOOKBACK_YEARS, day=28)
    )
    return select(ConflictRegisterEntry).where(
        or_(
            ConflictRegisterEntry.organisation_id == org.id,
            func.lower(ConflictRegisterEntry.organisation_name) == org.legal_name.lower(),
        ),
        or_(
            ConflictRegisterEntry.ended_on.is_(None),
            ConflictRegisterEntry.ended_on >= cutoff,
        ),
    )


def register_conflicts(
    session: Session, user: User, application: Application, today: dt.date
) -> list[ConflictRegisterEntry]:
    """Register entries of *user* that conflict with *application*'s organisation."""
    statement = _conflicting_entries(application, today)
    return list(session.scalars(statement.where(ConflictRegisterEntry.user_id == user.id)))


def conflicts_on_record(
    session: Session, application: Application, today: dt.date
) -> dict[int, list[ConflictRegisterEntry]]:
    """Everyone's register entries that conflict with *application*'s organisation, by user
    id (declarations made on earlier cases included: they go into the register)."""
    found: dict[int, list[ConflictRegisterEntry]] = {}
    statement = _conflicting_entries(application, today).order_by(ConflictRegisterEntry.id)
    for entry in session.scalars(statement):
        found.setdefault(entry.user_id, []).append(entry)
    return found


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
    lock_application(session, application)
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
    admin for reassignment; when both have declared none, the audit starts. The reviewer
    named for a new decision after an upheld appeal (the case waits in ``audit_submitted``)
    declares too: a conflict releases them and the case waits for another."""
    lock_application(session, application)
    role = assignee_role(application, user)
    redecision = role == "reviewer" and application.app_state == AppState.AUDIT_SUBMITTED
    if role is None or (application.app_state != AppState.ASSIGNED and not redecision):
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
        _release(session, application, user, role, statement, redecision=redecision)
        return
    if redecision:
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


def _release(
    session: Session,
    application: Application,
    user: User,
    role: str,
    statement: str,
    *,
    redecision: bool,
) -> None:
    """A declared conflict: into the person's register, and off the case."""
    # The declaration goes into the person's register for this organisation, so that no
    # later assignment to its cases forgets it.
    org = application.organisation
    add_register_entry(
        session,
        user,
        organisation_name=org.legal_name,
        organisation_id=org.id,
        relationship=(
            f"Declared a conflict of interest when assigned as {role} "
            f"(application {application.public_id}): {statement.strip()}"
        ),
        started_on=clock.now().date(),
        ended_on=None,
    )
    if role == "auditor":
        application.auditor_id = None
    else:
        application.reviewer_id = None
    endpoint = "applications.new_reviewer" if redecision else "applications.assign"
    notify(
        session, "case.released", staff_with(session, Role.ADMIN),
        context={"person": user.full_name, "role": role, "organisation": org.legal_name,
                 "new_decision": redecision},
        link=path_for(endpoint, public_id=application.public_id),
    )  # fmt: skip
    if redecision:  # the audit is done: the case waits for another reviewer, as it was
        session.flush()
        return
    transition(
        session,
        application,
        Action.RELEASE,
        Party.AUDITOR if role == "auditor" else Party.REVIEWER,
        _actor(user),
        reason="conflict of interest declared",
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
