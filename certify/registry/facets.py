"""What the registry's filters offer: only the countries, standards and kinds of service that
some certificate has (not the ~250 countries of the world, not standards nobody holds).

Each list is read with ``DISTINCT`` over every registry entry, which on PostgreSQL with
100,000 certificates took about 25 ms on every registry page. The lists change only when an
entry is added (certificates are never deleted), so each is kept in memory under the newest
entry's id, a primary-key lookup: the first page after an issuance reads them again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certify.core.services import SERVICES
from certify.registry.search import cert, term_table
from certify.state import app_state

T = TypeVar("T")


def _newest_entry(session: Session) -> int:
    return session.scalar(select(func.max(cert.c.certificate_id))) or 0


def _kept(session: Session, name: str, read: Callable[[Session], tuple[T, ...]]) -> list[T]:
    """*read* (a choice list), kept until a registry entry is added."""
    key = (name, _newest_entry(session))
    return list(app_state().caches.registry_facets.get_or_make(key, lambda: read(session)))


def countries_in_registry(session: Session) -> list[str]:
    """The countries of the holders of at least one certificate (for the country filter)."""
    return _kept(
        session,
        "countries",
        lambda s: tuple(s.scalars(select(cert.c.holder_country).distinct())),
    )


def services_in_registry(session: Session) -> list[tuple[str, str]]:
    """``(key, label)`` of the kinds of service at least one certificate's scope names."""

    def read(s: Session) -> tuple[tuple[str, str], ...]:
        present = set(
            s.scalars(select(term_table.c.term).where(term_table.c.kind == "v").distinct())
        )
        return tuple((key, label) for key, (label, _phrases) in SERVICES.items() if key in present)

    return _kept(session, "services", read)


def standards_in_registry(session: Session) -> list[tuple[str, str]]:
    """``(standard id, version)`` pairs that certificates name, for the standard filter."""

    def read(s: Session) -> tuple[tuple[str, str], ...]:
        rows = s.execute(
            select(cert.c.standard_id, cert.c.standard_version)
            .distinct()
            .order_by(cert.c.standard_id, cert.c.standard_version)
        )
        return tuple((row.standard_id, row.standard_version) for row in rows)

    return _kept(session, "standards", read)
