"""What the dashboards and the admin's list ask of the follow-up: what the ISSP must do next,
why a certificate is suspended, what waits for an auditor, proposals, and certificates ready
to be reinstated. Reading only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from certify.accounts.models import Organisation, User
from certify.applications.models import Application, NonConformity
from certify.certificates.models import Certificate, CertificateStatus, CertificateStatusChange
from certify.core.nonconformity import (
    MARKABLE_OVERDUE,
    OVERLAYS,
    NcState,
    next_step,
    past_due,
)
from certify.core.workflow import AppState
from certify.followup.escalation import suspending_nonconformities
from certify.followup.records import FOLLOWED_UP, current_suspension

CLOSED = NcState.CLOSED.value
_OVERLAY_VALUES = [s.value for s in OVERLAYS]


def _in_stage(*stages: NcState) -> ColumnElement[bool]:
    """Non-conformities whose loop state is one of *stages* (under an overlay too)."""
    values = [s.value for s in stages]
    return or_(
        NonConformity.status.in_(values),
        and_(NonConformity.status.in_(_OVERLAY_VALUES), NonConformity.stage.in_(values)),
    )


def _followed_up() -> ColumnElement[bool]:
    """Non-conformities of decided cases whose certificate is active or suspended."""
    certified = select(Certificate.application_id).where(Certificate.status.in_(FOLLOWED_UP))
    return and_(
        Application.state == AppState.DECIDED.value,
        NonConformity.application_id.in_(certified),
    )


@dataclass(frozen=True)
class Ask:
    """One non-conformity and what it waits for, in words."""

    nc: NonConformity
    who: str  # "you" (the holder) or "the auditor"
    what: str
    overdue: bool


def holder_asks(session: Session, organisation_id: int, today: dt.date) -> list[Ask]:
    """The organisation's open non-conformities, earliest due first, each with its next step."""
    rows = session.scalars(
        select(NonConformity)
        .join(Application)
        .where(
            Application.organisation_id == organisation_id,
            NonConformity.status != CLOSED,
            _followed_up(),
        )
        .order_by(NonConformity.due_on, NonConformity.id)
    ).all()
    asks = []
    for nc in rows:
        step = next_step(nc.position)
        if step is None:
            continue
        party, what = step
        who = "you" if party.value == "applicant" else "the auditor"
        asks.append(Ask(nc, who, what, past_due(nc.due_on, today)))
    return asks


@dataclass(frozen=True)
class Suspension:
    """A suspended certificate: the change that suspended it and what it rests on."""

    certificate: Certificate
    change: CertificateStatusChange | None
    nonconformities: list[NonConformity]


def holder_suspensions(session: Session, organisation_id: int) -> list[Suspension]:
    """The organisation's suspended certificates, with why and the non-conformities."""
    found = []
    for certificate in session.scalars(
        select(Certificate).where(
            Certificate.organisation_id == organisation_id,
            Certificate.status == CertificateStatus.SUSPENDED.value,
        )
    ):
        change = current_suspension(session, certificate)
        tied = suspending_nonconformities(session, change) if change else []
        found.append(Suspension(certificate, change, tied))
    return found


def waiting_for_auditor(session: Session, user: User) -> list[NonConformity]:
    """Plans and evidence waiting for *user*, the follow-up auditor of their cases."""
    mine = or_(
        Application.followup_auditor_id == user.id,
        and_(Application.followup_auditor_id.is_(None), Application.auditor_id == user.id),
    )
    return list(
        session.scalars(
            select(NonConformity)
            .join(Application)
            .where(
                mine,
                _in_stage(NcState.PLAN_SUBMITTED, NcState.EVIDENCE_SUBMITTED),
                _followed_up(),
            )
            .order_by(NonConformity.due_on, NonConformity.id)
        )
    )


def followed_up_cases(session: Session, user: User) -> list[Application]:
    """The certified cases whose non-conformities *user* follows up (as their auditor, or
    named by the admin), with an active or suspended certificate: where they record what a
    visit or a complaint finds."""
    certified = select(Certificate.application_id).where(Certificate.status.in_(FOLLOWED_UP))
    return list(
        session.scalars(
            select(Application)
            .where(
                Application.state == AppState.DECIDED.value,
                Application.id.in_(certified),
                or_(
                    Application.followup_auditor_id == user.id,
                    and_(
                        Application.followup_auditor_id.is_(None),
                        Application.auditor_id == user.id,
                    ),
                ),
            )
            .order_by(Application.decided_at.desc())
        )
    )


def suspension_proposals(session: Session) -> list[NonConformity]:
    """Overdue non-conformities whose suspension the scheduler proposed, not yet decided."""
    return list(
        session.scalars(
            select(NonConformity)
            .join(Application)
            .where(
                NonConformity.suspension_proposed_at.is_not(None),
                NonConformity.suspension_id.is_(None),
                NonConformity.status != CLOSED,
                _followed_up(),
            )
            .order_by(NonConformity.due_on, NonConformity.id)
        )
    )


def ready_for_reinstatement(session: Session) -> list[Suspension]:
    """Suspended certificates whose suspension rests on non-conformities, every one of them
    now verified closed: the admin may reinstate them."""
    ready = []
    for certificate in session.scalars(
        select(Certificate)
        .where(Certificate.status == CertificateStatus.SUSPENDED.value)
        .order_by(Certificate.id)
    ):
        change = current_suspension(session, certificate)
        tied = suspending_nonconformities(session, change) if change else []
        if tied and all(nc.is_closed for nc in tied):
            ready.append(Suspension(certificate, change, tied))
    return ready


@dataclass(frozen=True)
class Filters:
    """The admin list's filters (already checked against the known values)."""

    status: str = "not_closed"  # "not_closed", "all", or a stored state
    grade: str = ""
    organisation: str = ""
    overdue: bool = False


def open_counts(session: Session, today: dt.date) -> dict[str, int]:
    """How many non-conformities across the registry are not closed, and how many of those
    are past their due date."""
    open_ = NonConformity.status != CLOSED
    count = select(func.count()).select_from(NonConformity)
    return {
        "open": session.scalar(count.where(open_)) or 0,
        "overdue": session.scalar(count.where(open_, NonConformity.due_on < today)) or 0,
    }


def registry_nonconformities(
    session: Session, filters: Filters, today: dt.date, limit: int = 500
) -> list[tuple[NonConformity, Application]]:
    """Non-conformities across the registry, earliest due first, as the filters say."""
    query = select(NonConformity, Application).join(Application).join(Organisation)
    if filters.status == "not_closed":
        query = query.where(NonConformity.status != CLOSED)
    elif filters.status != "all":
        query = query.where(NonConformity.status == filters.status)
    if filters.grade:
        query = query.where(NonConformity.grade == filters.grade)
    if filters.organisation:
        needle = filters.organisation.lower()
        query = query.where(func.lower(Organisation.legal_name).contains(needle, autoescape=True))
    if filters.overdue:
        query = query.where(NonConformity.due_on < today, NonConformity.status != CLOSED)
    query = query.order_by(NonConformity.due_on, NonConformity.id).limit(limit)
    return [(nc, application) for nc, application in session.execute(query).all()]


# --------------------------------------------------------------------------- the scheduler


def overdue_candidates(session: Session, today: dt.date) -> list[int]:
    """Ids of followed-up non-conformities past their due date whose loop state may be marked
    overdue (not already under an overlay), earliest due first."""
    return list(
        session.scalars(
            select(NonConformity.id)
            .join(Application)
            .where(
                NonConformity.status.in_([s.value for s in MARKABLE_OVERDUE]),
                NonConformity.due_on < today,
                _followed_up(),
            )
            .order_by(NonConformity.due_on, NonConformity.id)
        )
    )


def reminder_candidates(session: Session, today: dt.date, horizon_days: int) -> list[NonConformity]:
    """Followed-up non-conformities due within *horizon_days* that still wait for the holder
    (not closed, not escalated, no evidence waiting for verification)."""
    return list(
        session.scalars(
            select(NonConformity)
            .join(Application)
            .where(
                NonConformity.status.not_in(
                    [CLOSED, NcState.ESCALATED.value, NcState.EVIDENCE_SUBMITTED.value]
                ),
                NonConformity.due_on >= today,
                NonConformity.due_on <= today + dt.timedelta(days=horizon_days),
                _followed_up(),
            )
            .order_by(NonConformity.due_on, NonConformity.id)
        )
    )
