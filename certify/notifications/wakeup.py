"""After a commit that wrote to the outbox, ask a worker to deliver at once.

:func:`certify.notifications.operations.notify` notes the rows it wrote in the session's
``info``; when that session commits, the delivery job is enqueued (a rollback forgets them: a
change that did not happen sends nothing). If the request for the job is lost (the queue is
down, the process dies right after the commit), the periodic delivery finds the rows anyway:
the outbox in the database, not the queue, is what guarantees delivery.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from certify.notifications.operations import OUTBOX_KEY

log = logging.getLogger(__name__)


_COMMITTED = "certify_committed"


def _after_commit(session: Session) -> None:
    session.info[_COMMITTED] = True


def _after_transaction_end(session: Session, transaction: Any) -> None:
    # SQLAlchemy reports a savepoint's release as a commit too: only the end of the
    # outermost transaction makes the rows visible to a worker.
    if not session.info.pop(_COMMITTED, False) or transaction.parent is not None:
        return
    written = session.info.pop(OUTBOX_KEY, None)
    if not written:
        return
    from certify.jobs.tasks import deliver_notifications

    try:
        deliver_notifications()
    except Exception:  # the queue is down: the periodic delivery will find the rows
        log.warning("could not ask for delivery of %d message(s)", len(written), exc_info=True)


def _after_rollback(session: Session, previous_transaction: Any) -> None:
    # Only the whole transaction's rollback undoes the messages; a savepoint's does not.
    if previous_transaction.parent is None:
        session.info.pop(OUTBOX_KEY, None)


def listen() -> None:
    """Install the hooks on every session (idempotent)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_transaction_end", _after_transaction_end)
        event.listen(Session, "after_soft_rollback", _after_rollback)
