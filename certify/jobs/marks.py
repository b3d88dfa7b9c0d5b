"""Marks that make the scheduler's duties idempotent: a unique row per (duty, key)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from certify import clock
from certify.jobs.models import JobMark


def once(session: Session, name: str, key: str, summary: str | None = None) -> bool:
    """Record that duty *name* was done for *key*; False when it already was (by anyone).

    Runs in a savepoint: a duplicate leaves the caller's transaction usable.
    """
    savepoint = session.begin_nested()
    try:
        session.add(JobMark(name=name, key=key, summary=summary, done_at=clock.now()))
        session.flush()
    except IntegrityError:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True
