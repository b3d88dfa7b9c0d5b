"""Appeals: an ISSP's member appeals a refusal, a suspension, a withdrawal or a
non-conformity's grade within the rubric's appeal window; an admin names someone who took no
part in that decision, who decides it with reasons.

An upheld appeal changes the decision through the normal operations, so the status history,
the transparency log and the audit trail stay whole (:mod:`certify.complaints.remedies`): a
suspension is lifted by a reinstatement; a refusal goes back to review for a new decision by
a reviewer who took no part; a non-conformity is regraded (its due date recomputed) or
annulled; a withdrawal, final in the status table, becomes an instruction to the admins and
an audit event.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from certify import clock
from certify.accounts.models import Role, User
from certify.applications.models import Application, Decision, NonConformity
from certify.audit.operations import record_event
from certify.certificates.models import Certificate, CertificateStatusChange
from certify.complaints import notices, remedies
from certify.complaints.attachments import Upload, attach, stored_files
from certify.complaints.impartiality import decider_problem
from certify.complaints.models import Appeal
from certify.core.actor import Actor
from certify.core.complaints import (
    APPEAL_OUTCOMES,
    AppealAction,
    AppealState,
    Party,
    TransitionRefused,
    appeal_deadline,
    next_appeal_state,
    within_appeal_window,
)
from certify.operations import OperationError
from certify.standards.operations import get_rubric

MAX_TEXT = 8000


@dataclass(frozen=True)
class Appealable:
    """One decision an ISSP may appeal now: its kind, a key the form names it by, what it
    is, when it was made, the window's end and the people who took part in it."""

    subject: str
    key: str
    label: str
    decided_at: Any
    deadline: Any
    application: Application
    certificate: Certificate | None = None
    status_change: CertificateStatusChange | None = None
    nonconformity: NonConformity | None = None
    involved: tuple[str, ...] = ()


def _window(session: Session, application: Application) -> int:
    rubric = get_rubric(application.standard_id, application.standard_version, session=session)
    return rubric.appeal_window_days


def _user_ids(session: Session, *ids: int | None) -> tuple[str, ...]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return ()
    return tuple(session.scalars(select(User.public_id).where(User.id.in_(wanted))))


def _actor_id(actor: str) -> tuple[str, ...]:
    kind, _, ident = actor.partition(":")
    return (ident,) if kind == "user" else ()


def appealable_decisions(session: Session, organisation_id: int) -> list[Appealable]:
    """The decisions about the organisation that can be appealed now (within the window)."""
    now = clock.now()
    found: list[Appealable] = []
    applications = session.scalars(
        select(Application).where(Application.organisation_id == organisation_id)
    ).all()
    for application in applications:
        days = _window(session, application)
        for d in session.scalars(
            select(Decision).where(
                Decision.application_id == application.id, Decision.outcome == "refused"
            )
        ):
            found.append(
                Appealable(
                    "refusal", f"decision:{d.public_id}",
                    f"Refusal of certification on {d.decided_at:%-d %b %Y}",
                    d.decided_at, appeal_deadline(d.decided_at, days), application,
                    involved=_user_ids(
                        session, d.reviewer_id, application.auditor_id, application.reviewer_id
                    ),
                )
            )  # fmt: skip
        found.extend(_status_decisions(session, application, days))
        for nc in session.scalars(
            select(NonConformity).where(
                NonConformity.application_id == application.id, NonConformity.status != "closed"
            )
        ):
            found.append(
                Appealable(
                    "nc_grade", f"nc:{nc.public_id}",
                    f"Grade '{nc.grade}' of the non-conformity on {nc.criterion_id}",
                    nc.created_at, appeal_deadline(nc.created_at, days), application,
                    nonconformity=nc, involved=_user_ids(session, nc.created_by_id),
                )
            )  # fmt: skip
    return [
        a
        for a in found
        if within_appeal_window(a.decided_at, _days(a), now) and not _already_appealed(session, a)
    ]


def _days(item: Appealable) -> int:
    return (item.deadline - item.decided_at).days


def _status_decisions(session: Session, application: Application, days: int) -> list[Appealable]:
    out = []
    certificates = session.scalars(
        select(Certificate).where(Certificate.application_id == application.id)
    )
    for certificate in certificates:
        for change in certificate.changes:
            if change.new_status not in ("suspended", "withdrawn"):
                continue
            subject = "suspension" if change.new_status == "suspended" else "withdrawal"
            ncs = session.scalars(
                select(NonConformity.created_by_id).where(NonConformity.suspension_id == change.id)
            ).all()
            involved = _actor_id(change.actor) + _user_ids(session, *ncs)
            out.append(
                Appealable(
                    subject, f"change:{change.id}",
                    f"{subject.capitalize()} of certificate {certificate.serial} on "
                    f"{change.changed_at:%-d %b %Y}",
                    change.changed_at, appeal_deadline(change.changed_at, days), application,
                    certificate=certificate, status_change=change, involved=involved,
                )
            )  # fmt: skip
    return out


def lodge_appeal(
    session: Session,
    user: User,
    key: str,
    grounds: str,
    store: Any,
    uploads: Sequence[Upload],
) -> Appeal:
    """A member of the ISSP appeals the decision *key* names, with grounds and files; the
    admins are told.

    Raises:
        OperationError: not an ISSP member, the decision is not appealable (now), already
            appealed, no grounds, or a refused file.
    """
    if not user.has_role(Role.ISSP) or user.organisation_id is None:
        raise OperationError("Only a member of the organisation may appeal.", code="not_member")
    choice = next(
        (a for a in appealable_decisions(session, user.organisation_id) if a.key == key), None
    )
    if choice is None:
        raise OperationError(
            "Choose a decision that can still be appealed (the appeal window may have ended).",
            field="decision",
        )
    text = (grounds or "").strip()
    if not text:
        raise OperationError("Write the grounds of your appeal.", field="grounds")
    if len(text) > MAX_TEXT:
        raise OperationError(f"Keep the grounds under {MAX_TEXT} characters.", field="grounds")
    if _already_appealed(session, choice):
        raise OperationError("This decision has already been appealed.", field="decision")
    appeal = Appeal(
        organisation_id=user.organisation_id, subject=choice.subject,
        application_id=choice.application.id,
        certificate_id=choice.certificate.id if choice.certificate else None,
        status_change_id=choice.status_change.id if choice.status_change else None,
        nonconformity_id=choice.nonconformity.id if choice.nonconformity else None,
        decision_at=choice.decided_at, involved_json=json.dumps(sorted(set(choice.involved))),
        grounds=text, lodged_by_id=user.id, lodged_at=clock.now(),
        state=AppealState.LODGED.value,
    )  # fmt: skip
    session.add(appeal)
    session.flush()
    with stored_files(session, store) as created:
        files = attach(session, store, uploads, created, appeal=appeal)
        record_event(
            session, Actor.user(user.public_id), "appeal.lodged", "appeal", appeal.public_id,
            after={"subject": choice.subject, "decision": choice.key, "files": len(files)},
        )  # fmt: skip
    session.refresh(appeal)
    notices.tell_appeal(session, appeal, "appeal.lodged", "admins")
    return appeal


def _already_appealed(session: Session, choice: Appealable) -> bool:
    same = select(Appeal.id).where(
        Appeal.organisation_id == choice.application.organisation_id,
        Appeal.subject == choice.subject,
        Appeal.decision_at == choice.decided_at,
    )
    return session.scalar(same.limit(1)) is not None


def lock_appeal(session: Session, appeal: Appeal) -> Appeal:
    session.execute(select(Appeal.id).where(Appeal.id == appeal.id).with_for_update())
    session.expire_all()
    return appeal


def _step(appeal: Appeal, action: AppealAction, party: Party) -> AppealState:
    try:
        return next_appeal_state(AppealState(appeal.state), action, party)
    except TransitionRefused as exc:
        raise OperationError(str(exc), code="invalid_transition") from exc


def assign_decider(session: Session, appeal: Appeal, admin: User, decider: User) -> None:
    """The admin names who decides the appeal: someone who took no part in the decision.

    Raises:
        OperationError: not an admin, decided already, or the person took part / has a conflict.
    """
    lock_appeal(session, appeal)
    if not admin.has_role(Role.ADMIN):
        raise OperationError("Only an administrator may assign an appeal.", code="not_admin")
    after = _step(appeal, AppealAction.ASSIGN, Party.ADMIN)
    problem = decider_problem(session, appeal, decider)
    if problem is not None:
        raise OperationError(problem, field="decider", code="not_impartial")
    appeal.decider_id, appeal.assigned_at, appeal.state = decider.id, clock.now(), after.value
    session.flush()
    session.refresh(appeal)
    record_event(
        session, Actor.user(admin.public_id), "appeal.assigned", "appeal", appeal.public_id,
        after={"decider": decider.public_id},
    )  # fmt: skip
    notices.tell_appeal(session, appeal, "appeal.assigned", "decider")


def decide_appeal(
    session: Session, appeal: Appeal, user: User, outcome: str, reasons: str, new_grade: str = ""
) -> None:
    """The decider upholds or dismisses the appeal with reasons; an upheld appeal changes the
    decision through the lifecycle (see the module's docstring). The ISSP is told.

    Raises:
        OperationError: not the (impartial) decider, not assigned, an unknown outcome, no
            reasons, or a change the lifecycle refuses (nothing is kept then).
    """
    lock_appeal(session, appeal)
    if appeal.decider_id != user.id:
        raise OperationError("Only the person assigned may decide this appeal.", code="not_decider")
    problem = decider_problem(session, appeal, user)
    if problem is not None:
        raise OperationError(problem, code="not_impartial")
    after = _step(appeal, AppealAction.DECIDE, Party.HANDLER)
    if outcome not in APPEAL_OUTCOMES:
        raise OperationError("Choose whether the appeal is upheld or dismissed.", field="outcome")
    text = (reasons or "").strip()
    if not text or len(text) > MAX_TEXT:
        raise OperationError(
            f"Write your reasons (at most {MAX_TEXT} characters).", field="reasons"
        )
    actor = Actor.user(user.public_id)
    remedy = (
        remedies.carry_out(session, appeal, user, new_grade, text) if outcome == "upheld" else None
    )
    appeal.state, appeal.outcome, appeal.reasons = after.value, outcome, text
    appeal.remedy, appeal.decided_at = remedy, clock.now()
    session.flush()
    record_event(
        session, actor, "appeal.decided", "appeal", appeal.public_id,
        after={"outcome": outcome, "remedy": remedy},
    )  # fmt: skip
    notices.tell_appeal(session, appeal, "appeal.decided", "issp")
