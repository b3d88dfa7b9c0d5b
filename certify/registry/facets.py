"""What the registry's filters offer: only the countries, standards and kinds of service that
some certificate has (not the ~250 countries of the world, not standards nobody holds)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from certify.core.services import SERVICES
from certify.registry.search import cert, term_table


def countries_in_registry(session: Session) -> list[str]:
    """The countries of the holders of at least one certificate (for the country filter)."""
    return list(session.scalars(select(cert.c.holder_country).distinct()))


def services_in_registry(session: Session) -> list[tuple[str, str]]:
    """``(key, label)`` of the kinds of service at least one certificate's scope names."""
    present = set(
        session.scalars(select(term_table.c.term).where(term_table.c.kind == "v").distinct())
    )
    return [(key, label) for key, (label, _phrases) in SERVICES.items() if key in present]


def standards_in_registry(session: Session) -> list[tuple[str, str]]:
    """``(standard id, version)`` pairs that certificates name, for the standard filter."""
    return [
        (row.standard_id, row.standard_version)
        for row in session.execute(
            select(cert.c.standard_id, cert.c.standard_version)
            .distinct()
            .order_by(cert.c.standard_id, cert.c.standard_version)
        )
    ]
