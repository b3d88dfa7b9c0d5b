"""The admin's case queue: every application in a table, searchable by organisation, filtered
by state, longest waiting first, one page at a time; and each auditor's cases in progress
(shown when assigning, and on the cycle calendar)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from certify.accounts.models import Organisation, Role, User
from certify.applications.models import Application
from certify.core.workflow import FINAL_STATES, AppState

PER_PAGE = 25
#: The state filter's values besides each state: cases still open (the default), or all.
OPEN, ALL = "open", "all"


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue: the applications shown and where the page is."""

    rows: list[Application]
    page: int
    total: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def state_choices() -> list[tuple[str, str]]:
    """(value, label) for the state filter, the open cases first."""
    return [(OPEN, "Open cases (not decided or withdrawn)"), (ALL, "All cases")] + [
        (s.value, s.label) for s in AppState
    ]


def case_queue(session: Session, *, text: str, state: str, page: int) -> QueuePage:
    """The page *page* of applications whose organisation's name contains *text* (any case),
    in *state* (OPEN, ALL or a state's value), longest in their state first."""
    query = select(Application).join(Organisation, Organisation.id == Application.organisation_id)
    if text:
        query = query.where(
            func.lower(Organisation.legal_name).contains(text.lower(), autoescape=True)
        )
    if state == OPEN:
        query = query.where(Application.state.not_in([s.value for s in FINAL_STATES]))
    elif state != ALL:
        query = query.where(Application.state == state)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.options(
            selectinload(Application.organisation),
            selectinload(Application.auditor),
            selectinload(Application.reviewer),
        )
        .order_by(Application.state_changed_at, Application.id)
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    return QueuePage(list(rows), page, total)


@dataclass(frozen=True)
class OrganisationRow:
    """One registered ISSP as the admin's list shows it."""

    organisation: Organisation
    latest: Application | None
    certificates: list[Any]


@dataclass(frozen=True)
class OrganisationPage:
    rows: list[OrganisationRow]
    page: int
    total: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def organisation_list(session: Session, *, text: str, page: int) -> OrganisationPage:
    """Registered ISSPs by name, with their latest application and their certificates."""
    from certify.certificates.models import Certificate

    query = select(Organisation)
    if text:
        name = func.lower(Organisation.legal_name)
        query = query.where(name.contains(text.lower(), autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    organisations = session.scalars(
        query.options(selectinload(Organisation.members), selectinload(Organisation.sites))
        .order_by(func.lower(Organisation.legal_name), Organisation.id)
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    ids = [o.id for o in organisations]
    latest: dict[int, Application] = {}
    for application in session.scalars(
        select(Application)
        .where(Application.organisation_id.in_(ids))
        .order_by(Application.created_at, Application.id)
    ):
        latest[application.organisation_id] = application
    certificates: dict[int, list[Certificate]] = {}
    for certificate in session.scalars(
        select(Certificate)
        .where(Certificate.organisation_id.in_(ids))
        .order_by(Certificate.issued_at.desc())
    ):
        certificates.setdefault(certificate.organisation_id, []).append(certificate)
    rows = [OrganisationRow(o, latest.get(o.id), certificates.get(o.id, [])) for o in organisations]
    return OrganisationPage(rows, page, total)


def auditor_workload(session: Session) -> list[tuple[User, int]]:
    """Every active auditor with the number of cases in progress (not in a final state)
    they audit, busiest first, then by name."""
    counts = dict(
        session.execute(
            select(Application.auditor_id, func.count())
            .where(
                Application.auditor_id.is_not(None),
                Application.state.not_in([s.value for s in FINAL_STATES]),
            )
            .group_by(Application.auditor_id)
        ).all()
    )
    auditors = session.scalars(select(User).where(User.is_active).order_by(User.full_name)).all()
    rows = [(u, int(counts.get(u.id, 0))) for u in auditors if u.has_role(Role.AUDITOR)]
    return sorted(rows, key=lambda r: -r[1])
