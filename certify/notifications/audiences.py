"""Who is told: the people behind an organisation, a role, a case."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from certify.accounts.models import Role, User, UserRole


def organisation_members(session: Session, organisation_id: int) -> list[User]:
    """The active members of an ISSP organisation."""
    return list(
        session.scalars(
            select(User)
            .where(User.organisation_id == organisation_id, User.is_active)
            .order_by(User.id)
            # a message needs no roles: read them only if someone asks (one query less)
            .options(lazyload(User.role_rows))
        )
    )


def staff_with(session: Session, role: Role) -> list[User]:
    """The active staff holding *role*."""
    return list(
        session.scalars(
            select(User)
            .join(UserRole)
            .where(UserRole.role == role.value, User.is_active)
            .order_by(User.id)
        )
    )
