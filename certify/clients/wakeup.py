"""After a commit that wrote webhook deliveries, ask a worker to send them at once (the
periodic task sends them anyway if that request is lost; a rollback forgets them)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from certify.clients.events import WEBHOOK_OUTBOX_KEY

log = logging.getLogger(__name__)

_COMMITTED = "certify_webhooks_committed"


def _after_commit(session: Session) -> None:
    session.info[_COMMITTED] = True


def _after_transaction_end(session: Session, transaction: Any) -> None:
    # a savepoint's release is reported as a commit too: only the outermost one counts
    if not session.info.pop(_COMMITTED, False) or transaction.parent is not None:
        return
    written = session.info.pop(WEBHOOK_OUTBOX_KEY, None)
    if not written:
        return
    from certify.clients.tasks import deliver_webhooks

    try:
        deliver_webhooks()
    except Exception:  # the queue is down: the periodic task will find the rows
        log.warning("could not ask for delivery of %d webhook(s)", len(written), exc_info=True)


def _after_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop(WEBHOOK_OUTBOX_KEY, None)


def listen() -> None:
    """Install the hooks on every session (idempotent)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_transaction_end", _after_transaction_end)
        event.listen(Session, "after_soft_rollback", _after_rollback)
