"""The ISSP's sites after registration: add, edit, close, each an audit event (the history).

Adding a site (or a service) to a certified scope opens a scope-extension case; its decision
issues a new certificate version that supersedes the previous one. A closed site is left out
of the next case, so of the next certificate version.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from certify import clock
from certify.accounts.models import Organisation, Role, Site, User
from certify.applications.models import Application
from certify.applications.operations import open_application
from certify.audit.operations import record_event
from certify.certificates.queries import current_certificate
from certify.core.actor import Actor
from certify.core.countries import is_country
from certify.core.cycle import AuditType
from certify.cycle.operations import open_cycle_case
from certify.operations import OperationError


def _member(user: User, organisation: Organisation) -> Actor:
    if not user.has_role(Role.ISSP) or user.organisation_id != organisation.id:
        raise OperationError("Only the organisation's members manage its sites.")
    return Actor.user(user.public_id)


def _check(name: str, address: str, country: str) -> tuple[str, str, str]:
    name, address, country = name.strip(), address.strip(), country.strip().upper()
    if not name or len(name) > 200:
        raise OperationError("Give the site a name (at most 200 characters).", field="name")
    if not address or len(address) > 1000:
        raise OperationError("Give the site's address.", field="address")
    if not is_country(country):
        raise OperationError("Choose the site's country.", field="country")
    return name, address, country


def add_site(
    session: Session, organisation: Organisation, user: User, name: str, address: str, country: str
) -> tuple[Site, Application | None]:
    """Add a site; with a certificate in force and no case in progress, open the
    scope-extension case (returned as well).

    Raises:
        OperationError: not a member, or bad input.
    """
    actor = _member(user, organisation)
    name, address, country = _check(name, address, country)
    if any(
        s.name.casefold() == name.casefold() and s.closed_at is None for s in organisation.sites
    ):
        raise OperationError("An open site already has that name.", field="name")
    site = Site(organisation=organisation, name=name, address=address, country=country)
    site.added_at = clock.now()
    session.add(site)
    session.flush()
    record_event(
        session, actor, "organisation.site_added", "organisation", organisation.public_id,
        after={"site": site.public_id, "name": name, "address": address, "country": country},
    )  # fmt: skip
    certificate = current_certificate(session, organisation.id)
    if certificate is None or open_application(session, organisation.id) is not None:
        return site, None
    case = open_cycle_case(
        session, certificate, AuditType.SCOPE_EXTENSION, actor,
        reason=f"New site added: {name}",
    )  # fmt: skip
    return site, case


def edit_site(
    session: Session, site: Site, user: User, name: str, address: str, country: str
) -> None:
    """Correct a site's name, address or country (the history keeps the old values).

    Raises:
        OperationError: not a member, the site is closed, or bad input.
    """
    actor = _member(user, site.organisation)
    if site.closed_at is not None:
        raise OperationError("A closed site cannot be changed.")
    name, address, country = _check(name, address, country)
    before = {"name": site.name, "address": site.address, "country": site.country}
    site.name, site.address, site.country = name, address, country
    session.flush()
    record_event(
        session, actor, "organisation.site_edited", "organisation", site.organisation.public_id,
        before={"site": site.public_id, **before},
        after={"site": site.public_id, "name": name, "address": address, "country": country},
    )  # fmt: skip


def close_site(session: Session, site: Site, user: User, reason: str) -> None:
    """Close a site: it leaves the next case's scope and so the next certificate version.

    Raises:
        OperationError: not a member, already closed, the last open site, or no reason.
    """
    actor = _member(user, site.organisation)
    if site.closed_at is not None:
        raise OperationError("That site is already closed.")
    if not reason.strip():
        raise OperationError("Say why the site closes.", field="reason")
    if sum(1 for s in site.organisation.sites if s.closed_at is None) <= 1:
        raise OperationError("This is the organisation's last open site: add the new one first.")
    site.closed_at = clock.now()
    session.flush()
    record_event(
        session, actor, "organisation.site_closed", "organisation", site.organisation.public_id,
        reason=reason.strip()[:4000], after={"site": site.public_id, "name": site.name},
    )  # fmt: skip
