"""Actors as people read them: ``user:<public id>`` becomes the person's name.

Audit records name actors by identifier only (no personal data in the log); pages that show
histories resolve them here, in one query per page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from certify.accounts.models import User


def actor_names(session: Session, actors: Iterable[str]) -> dict[str, str]:
    """The name to show for each of *actors* (``user:…``, ``cli:…`` or ``system:…``)."""
    actors = set(actors)
    ids = {a.partition(":")[2] for a in actors if a.startswith("user:")}
    names: Mapping[str, str] = (
        dict(
            session.execute(
                select(User.public_id, User.full_name).where(User.public_id.in_(ids))
            ).all()
        )
        if ids
        else {}
    )
    return {actor: _name(actor, names) for actor in actors}


def _name(actor: str, names: Mapping[str, str]) -> str:
    kind, _, ident = actor.partition(":")
    if kind == "user":
        return names.get(ident) or "a former user"
    if kind == "system":
        return "certify (automatic)"
    return "an administrator (command line)"
