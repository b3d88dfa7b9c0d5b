"""Demo data: a small but complete registry to explore. Demo passwords are for demos only."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certify.audit.models import AuditEvent


def database_is_empty(session: Session) -> bool:
    """True when nothing has happened in this database yet (no audit event at all)."""
    return session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def load_demo(echo: Callable[[str], object] = print) -> None:
    """Create the demo data through the same operations people use."""
    echo("demo data: nothing to load yet")
