"""What an upheld appeal changes, one function per kind of decision appealed, each through the
normal operations (so the status history, the public log and the audit trail stay whole):

1. a **suspension**: the certificate is reinstated (:func:`certify.lifecycle.reinstate_on_appeal`);
2. a **withdrawal**: withdrawal is final (the status table, the revocation bit every verifier
   reads, the public log), so nothing can reinstate it; the admins are told what to do (a new
   case, and whether the certificate would still have been valid) and an
   ``appeal.remedy_required`` audit event records it;
3. a **refusal**: the case goes back to review for a new decision by a reviewer who took no
   part (:func:`certify.applications.redecision.reopen_on_appeal`; the admin names them);
4. a **non-conformity's grade**: it is regraded, its due date recomputed, or annulled
   (:mod:`certify.followup.regrading`), with the appeal's reasons.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from certify import clock, lifecycle
from certify.accounts.models import Role, User
from certify.applications.models import Decision
from certify.applications.redecision import reopen_on_appeal
from certify.audit.operations import record_event
from certify.certificates.models import Certificate
from certify.complaints.models import Appeal
from certify.core import labels
from certify.core.actor import Actor
from certify.followup.regrading import annul_nonconformity, regrade_nonconformity
from certify.notifications.audiences import staff_with
from certify.notifications.operations import notify, path_for
from certify.operations import OperationError
from certify.standards.operations import get_rubric

#: The decider's choice that annuls a non-conformity rather than regrading it.
ANNULLED = "annulled"


def carry_out(session: Session, appeal: Appeal, decider: User, new_grade: str, reasons: str) -> str:
    """Carry out what upholding *appeal* changes; returns what was done, in words.

    Raises:
        OperationError: a change the operations refuse (nothing is kept then).
    """
    actor = Actor.user(decider.public_id)
    if appeal.subject == "suspension":
        return _suspension(session, appeal, actor)
    if appeal.subject == "nc_grade":
        return _nc_grade(session, appeal, decider, new_grade, reasons)
    if appeal.subject == "refusal":
        return _refusal(session, appeal, actor)
    return _withdrawal(session, appeal, actor)


def _suspension(session: Session, appeal: Appeal, actor: Actor) -> str:
    certificate = appeal.certificate
    assert certificate is not None
    if certificate.status != "suspended" or appeal.status_change_id != _latest_suspension(
        certificate
    ):
        return "The suspension had already ended; nothing more to change."
    lifecycle.reinstate_on_appeal(session, certificate, actor, appeal.public_id)
    return f"Certificate {certificate.serial} reinstated."


def _latest_suspension(certificate: Certificate) -> int | None:
    changes = [c for c in certificate.changes if c.new_status == "suspended"]
    return changes[-1].id if changes else None


def _nc_grade(session: Session, appeal: Appeal, decider: User, new_grade: str, reasons: str) -> str:
    nc, application = appeal.nonconformity, appeal.application
    assert nc is not None and application is not None
    if new_grade == ANNULLED:
        return annul_nonconformity(session, nc, decider, reasons, appeal.public_id)
    if not new_grade:
        raise OperationError(
            "Choose the grade the non-conformity should have, or annul it.", field="new_grade"
        )
    rubric = get_rubric(application.standard_id, application.standard_version, session=session)
    return regrade_nonconformity(session, nc, rubric, new_grade, decider, reasons, appeal.public_id)


def _refusal(session: Session, appeal: Appeal, actor: Actor) -> str:
    application = appeal.application
    assert application is not None
    decision = session.scalar(
        select(Decision).where(
            Decision.application_id == application.id,
            Decision.outcome == "refused",
            Decision.decided_at == appeal.decision_at,
        )
    )
    if decision is None:  # pragma: no cover - an appeal always names its refusal
        raise OperationError("The refusal appealed cannot be found.", code="no_refusal")
    reopen_on_appeal(session, application, decision, actor, appeal.public_id)
    action = (
        f"The case of {application.organisation.legal_name} is back in review for a new "
        "decision: name a reviewer who took no part in it or in the appeal."
    )
    _tell_admins(
        session,
        appeal,
        action,
        path_for("applications.new_reviewer", public_id=application.public_id),
    )
    return (
        "The refusal is set aside: the case is back in review for a new decision by a reviewer "
        "who took no part."
    )


def _withdrawal(session: Session, appeal: Appeal, actor: Actor) -> str:
    certificate = appeal.certificate
    assert certificate is not None
    now = clock.now()
    valid = certificate.expires_after > now
    until = f"{certificate.expires_after:%-d %b %Y}"
    if valid:
        action = (
            f"Withdrawal is final (the registry, its status lists and the public log keep it), "
            f"so certificate {certificate.serial} cannot be reinstated. It would have been "
            f"valid until {until}: open a new case for {appeal.organisation.legal_name} so that "
            "a new decision can certify it again, and tell the organisation how."
        )
    else:
        action = (
            f"Certificate {certificate.serial} would have expired on {until} anyway: nothing "
            f"can be reinstated; {appeal.organisation.legal_name} may apply again."
        )
    record_event(
        session, actor, "appeal.remedy_required", "appeal", appeal.public_id,
        after={
            "subject": appeal.subject, "certificate": certificate.serial,
            "valid_until": certificate.expires_after.isoformat(), "within_validity": valid,
        },
    )  # fmt: skip
    _tell_admins(session, appeal, action, path_for("complaints.appeal", public_id=appeal.public_id))
    return "The withdrawal cannot be undone; the admins are told what to do: " + action


def _tell_admins(session: Session, appeal: Appeal, action: str, link: str) -> None:
    people = staff_with(session, Role.ADMIN)
    if people:
        notify(
            session, "appeal.remedy_required", people,
            context={
                "organisation": appeal.organisation.legal_name,
                "subject": labels.label(labels.APPEAL_SUBJECTS, appeal.subject),
                "action": action,
            },
            link=link,
        )  # fmt: skip
