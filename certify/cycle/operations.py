"""The cycle's cases: opening a surveillance, recertification, special or scope-extension case
on a certificate, and what a decision on one does. Operations take the actor, flush, record an
audit event; none commits.

A cycle case is an :class:`~certify.applications.models.Application` like an initial one (the
same assignment, conflict-of-interest and decision rules), opened ``accepted`` (the admin or
the scheduler opens it; nothing waits for the ISSP), with ``audit_type``, the certificate it
concerns and, for a surveillance, the due date it covers.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from certify import clock
from certify.applications.models import Application, AuditAnswer, NonConformity
from certify.applications.operations import open_application
from certify.audit.operations import record_event
from certify.certificates.models import Certificate, CertificateStatus
from certify.core.actor import Actor
from certify.core.cycle import CYCLE_TYPES, AuditType, NcMark, surveillance_subset
from certify.core.rubric.model import Rubric
from certify.core.workflow import AppState
from certify.cycle import notices
from certify.operations import OperationError
from certify.standards.operations import newest_rubric_in_effect

#: Audit types that carry the last audit's answers over (the visit re-assesses a subset).
CARRY_OVER = frozenset({AuditType.SURVEILLANCE, AuditType.SPECIAL})


def source_case(session: Session, certificate: Certificate) -> Application:
    """The case whose decision issued *certificate*."""
    application = session.get(Application, certificate.application_id)
    assert application is not None
    return application


def _pinned_rubric(
    session: Session, audit_type: AuditType, certificate: Certificate
) -> tuple[str, str, str]:
    """A recertification (and a scope extension) audits against the version in effect
    today; a surveillance or special audit against the certificate's own version."""
    if audit_type in (AuditType.RECERTIFICATION, AuditType.SCOPE_EXTENSION):
        try:
            rubric = newest_rubric_in_effect(clock.today(), session=session)
        except ValueError as exc:
            raise OperationError(str(exc)) from exc
        if rubric is not None:
            return rubric.id, rubric.version, rubric.sha256
    return certificate.standard_id, certificate.standard_version, certificate.standard_sha256


def open_cycle_case(
    session: Session,
    certificate: Certificate,
    audit_type: AuditType | str,
    actor: Actor,
    *,
    due_on: dt.date | None = None,
    reason: str | None = None,
) -> Application:
    """Open a case of *audit_type* on *certificate* (in force), awaiting assignment.

    Raises:
        OperationError: not a cycle audit type, the certificate is not in force, or the
            organisation already has a case in progress.
    """
    try:
        kind = AuditType(audit_type)
    except ValueError:
        raise OperationError("Choose the kind of audit.", field="audit_type") from None
    if kind not in CYCLE_TYPES:
        raise OperationError("Choose the kind of audit.", field="audit_type")
    if certificate.current_status not in (CertificateStatus.ACTIVE, CertificateStatus.SUSPENDED):
        raise OperationError(
            f"Certificate {certificate.serial} is {certificate.current_status.value}: "
            "a cycle audit needs a certificate in force.",
            code="not_in_force",
        )
    busy = open_application(session, certificate.organisation_id)
    if busy is not None:
        raise OperationError(
            f"{certificate.holder_name} already has a case in progress "
            f"({busy.audit_type.replace('_', ' ')}, {AppState(busy.state).label.lower()}).",
            code="case_in_progress",
        )
    source = source_case(session, certificate)
    case = _new_case(session, certificate, source, kind, due_on)
    session.add(case)
    session.flush()
    if kind in CARRY_OVER and case.standard_sha256 == source.standard_sha256:
        _carry_answers_over(session, source, case)
    record_event(
        session,
        actor,
        "application.cycle_case_opened",
        "application",
        case.public_id,
        reason=(reason or "").strip() or None,
        after={
            "audit_type": kind.value,
            "certificate": certificate.serial,
            "due_on": due_on.isoformat() if due_on else None,
            "standard": case.standard_key,
        },
    )
    notices.case_opened(session, case, certificate)
    return case


def _new_case(
    session: Session,
    certificate: Certificate,
    source: Application,
    kind: AuditType,
    due_on: dt.date | None,
) -> Application:
    """The case, its scope copied from the certified case: the sites still open (for a
    surveillance or special audit, those of the certificate still open; else every open
    site, so a new one joins)."""
    standard_id, version, sha256 = _pinned_rubric(session, kind, certificate)
    open_sites = [s.public_id for s in certificate.organisation.sites if s.closed_at is None]
    if kind in CARRY_OVER:
        open_sites = [s for s in open_sites if s in set(source.scope_site_ids)] or open_sites
    now = clock.now()
    case = Application(
        organisation_id=certificate.organisation_id,
        state=AppState.ACCEPTED.value,
        audit_type=kind.value,
        certificate_id=certificate.id,
        due_on=due_on,
        standard_id=standard_id,
        standard_version=version,
        standard_sha256=sha256,
        services=source.services,
        headcount=source.headcount,
        impact_headcount=source.impact_headcount,
        impact_groups=source.impact_groups,
        contact_name=source.contact_name,
        contact_email=source.contact_email,
        contact_phone=source.contact_phone,
        site_ids=json.dumps(sorted(open_sites)),
        created_at=now,
        updated_at=now,
        submitted_at=now,
    )
    return case


def _carry_answers_over(session: Session, source: Application, case: Application) -> None:
    """The last audit's answers become the starting point: the visit re-assesses its subset,
    and the score stays complete. Findings and auditor-only notes stay with their case."""
    rows = session.scalars(select(AuditAnswer).where(AuditAnswer.application_id == source.id)).all()
    for row in rows:
        session.add(
            AuditAnswer(
                application_id=case.id,
                criterion_id=row.criterion_id,
                answer=row.answer,
                notes=None,
                private_notes=None,
                evidence_refs=None,
                updated_at=clock.now(),
                updated_by_id=row.updated_by_id,
            )
        )
    session.flush()


def cycle_cases(session: Session, certificate: Certificate) -> list[Application]:
    """Every cycle case opened on *certificate*, oldest first."""
    return list(
        session.scalars(
            select(Application)
            .where(Application.certificate_id == certificate.id)
            .order_by(Application.id)
        )
    )


def nonconformity_marks(session: Session, organisation_id: int) -> list[NcMark]:
    """The organisation's non-conformities, as the surveillance subset reads them."""
    rows = session.scalars(
        select(NonConformity)
        .join(Application, NonConformity.application_id == Application.id)
        .where(Application.organisation_id == organisation_id)
    ).all()
    return [
        NcMark(nc.criterion_id, nc.closed_at.date() if nc.closed_at and nc.is_closed else None)
        for nc in rows
    ]


def visit_criteria(
    session: Session, case: Application, rubric: Rubric, added: list[str] | None = None
) -> list[str] | None:
    """The criteria this case assesses: a surveillance's subset (see
    :func:`certify.core.cycle.surveillance_subset`, with what the plan adds), or None for
    everything."""
    if case.audit_type != AuditType.SURVEILLANCE.value:
        return None
    if added is None:
        from certify.cycle.models import AuditPlan

        plan = session.scalar(select(AuditPlan).where(AuditPlan.application_id == case.id))
        added = plan.extra_criteria if plan is not None else []
    marks = nonconformity_marks(session, case.organisation_id)
    return surveillance_subset(rubric, marks, clock.today(), added)


def after_positive_decision(session: Session, case: Application, actor: Actor) -> bool:
    """What certifying a cycle case does besides the decision: True when a certificate is
    to be issued (initial, recertification, scope extension: the new one supersedes the
    old in the issuance); for a surveillance or special audit, the certificate in force is
    maintained and the ``certificate.surveillance_done`` event names it."""
    kind = AuditType(case.audit_type)
    if kind.issues_certificate:
        return True
    certificate = session.get(Certificate, case.certificate_id) if case.certificate_id else None
    record_event(
        session,
        actor,
        f"certificate.{kind.value}_done",
        "certificate",
        certificate.serial if certificate else case.public_id,
        after={"case": case.public_id, "due_on": case.due_on.isoformat() if case.due_on else None},
    )
    return False


def surveillance_history(session: Session, certificate: Certificate) -> list[Application]:
    """The decided surveillance cases of *certificate* whose decision certified (the visit
    was passed), oldest first."""
    return [
        c
        for c in cycle_cases(session, certificate)
        if c.audit_type == AuditType.SURVEILLANCE.value
        and c.state == AppState.DECIDED.value
        and c.decision == "certified"
    ]
