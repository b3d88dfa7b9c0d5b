"""After a commit that wrote to the outbox, ask a worker to deliver at once.

:func:`certify.notifications.operations.notify` notes the rows it wrote in the session's
``info``; when that session commits, the delivery job is enqueued (a rollback forgets them: a
change that did not happen sends nothing). If the request for the job is lost (the queue is
down, the process dies right after the commit), the periodic delivery finds the rows anyway:
the outbox in the database, not the queue, is what guarantees delivery.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from certify.notifications.operations import OUTBOX_KEY

log = logging.getLogger(__name__)


_COMMITTED = "certify_committed"
#: Session ``info`` key → (ask a worker to deliver, what the rows are called in a warning).
#: Every outbox of the app (messages here, webhook deliveries in certify.clients) uses the
#: same hooks: :func:`register` adds one.
_OUTBOXES: dict[str, tuple[Callable[[], Any], str]] = {}


def _deliver_notifications() -> Any:
    from certify.jobs.tasks import deliver_notifications

    return deliver_notifications()


def register(key: str, enqueue: Callable[[], Any], what: str) -> None:
    """Wake a worker with *enqueue* after a commit that noted rows under *key*."""
    _OUTBOXES[key] = (enqueue, what)


def _after_commit(session: Session) -> None:
    session.info[_COMMITTED] = True


def _after_transaction_end(session: Session, transaction: Any) -> None:
    # SQLAlchemy reports a savepoint's release as a commit too: only the end of the
    # outermost transaction makes the rows visible to a worker.
    if not session.info.pop(_COMMITTED, False) or transaction.parent is not None:
        return
    for key, (enqueue, what) in _OUTBOXES.items():
        written = session.info.pop(key, None)
        if not written:
            continue
        try:
            enqueue()
        except Exception:  # the queue is down: the periodic delivery will find the rows
            log.warning("could not ask for delivery of %d %s", len(written), what, exc_info=True)


def _after_rollback(session: Session, previous_transaction: Any) -> None:
    # Only the whole transaction's rollback undoes the rows; a savepoint's does not.
    if previous_transaction.parent is None:
        for key in _OUTBOXES:
            session.info.pop(key, None)


def listen() -> None:
    """Install the hooks on every session (idempotent)."""
    register(OUTBOX_KEY, _deliver_notifications, "message(s)")
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_transaction_end", _after_transaction_end)
        event.listen(Session, "after_soft_rollback", _after_rollback)
