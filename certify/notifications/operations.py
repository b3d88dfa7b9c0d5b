"""Writing notifications into the outbox, and what people do with them.

:func:`notify` is called by operations, inside their transaction, and never fails the change
that causes it: a message that cannot be rendered or addressed is stored as ``failed``, with the
reason, for the admin to see (``/admin/mail``). After the transaction commits, a delivery job is
asked for (:mod:`certify.notifications.delivery`); if that request is lost, the periodic sweep
delivers the row anyway.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from jinja2 import Template
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from certify import clock
from certify.accounts.models import User
from certify.audit.operations import record_event
from certify.core.actor import Actor
from certify.db import new_public_id
from certify.notifications.kinds import KINDS
from certify.notifications.models import DeliveryStatus, Notification, NotificationPreference

log = logging.getLogger(__name__)

#: Longest text of any one value a message shows (a huge value must not make a huge mail).
MAX_VALUE_CHARS = 2000
#: Session info key: ids of notifications written in this transaction (see delivery).
OUTBOX_KEY = "certify_outbox"

_subjects = SandboxedEnvironment(autoescape=False)


@functools.lru_cache(maxsize=256)
def _subject_template(source: str) -> Template:
    """The compiled subject line *source* (a kind's subject; there are few): compiling
    it again for every message cost more than rendering it."""
    return _subjects.from_string(source)


def _clip(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
        return value[: MAX_VALUE_CHARS - 1] + "…"
    return value


def path_for(endpoint: str, **values: Any) -> str:
    """The path of *endpoint* on this registry: like ``url_for``, but also in a worker, where
    there is an app context and no request."""
    return current_app.url_map.bind("registry.invalid").build(endpoint, values)


def absolute(path: str | None) -> str | None:
    """*path* on this registry as a full address (mails are read outside the site)."""
    if path is None:
        return None
    return str(current_app.config["PUBLIC_URL"]).rstrip("/") + path


def _render(kind: str, context: Mapping[str, Any], link: str | None) -> tuple[str, str, str]:
    values = {key: _clip(value) for key, value in context.items()}
    values.update(registry_name=current_app.config["REGISTRY_NAME"], link=absolute(link))
    subject = _subject_template(KINDS[kind].subject).render(values).strip()
    # The app's templates, without its context processors: those are for pages (the
    # signed-in user, their unread count: a query per message in a request), not for mail.
    env = current_app.jinja_env
    text = env.get_template(f"mail/{kind}.txt").render(values).strip() + "\n"
    html = env.get_template("mail/_base.html").render(
        subject=subject, text=text, link=values["link"], registry_name=values["registry_name"]
    )
    return subject[:300], text, html


def _email_wanted(session: Session, user: User | None, kind: str) -> bool:
    if user is None or not KINDS[kind].optional:
        return True
    choice = session.scalar(
        select(NotificationPreference.email).where(
            NotificationPreference.user_id == user.id, NotificationPreference.kind == kind
        )
    )
    return choice is not False


def _address_problem(address: str) -> str | None:
    try:
        # syntax only; "test" domains pass (the demo and the tests use them)
        validate_email(address, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        return f"the address is not valid: {exc}"
    return None


def notify(
    session: Session,
    kind: str,
    recipients: Iterable[User | str],
    *,
    context: Mapping[str, Any],
    link: str | None = None,
) -> list[Notification]:
    """Write one notification of *kind* per recipient (a user, or an address with no account
    yet) into the outbox, in the caller's transaction. Flushes, never commits, never raises
    for a bad recipient or a template that fails: the row is then stored as failed.

    Raises:
        KeyError: *kind* is not in :data:`certify.notifications.kinds.KINDS` (a bug).
    """
    kind_info = KINDS[kind]
    host = urlsplit(str(current_app.config["PUBLIC_URL"])).hostname or "certify.invalid"
    written = []
    for recipient in recipients:
        user = recipient if isinstance(recipient, User) else None
        address = user.email if user is not None else str(recipient)
        public_id = new_public_id()
        row = Notification(
            public_id=public_id,
            message_id=f"<{public_id}@{host}>",
            kind=kind,
            user_id=user.id if user else None,
            to_address=address,
        )
        row.optional, row.link, row.created_at = kind_info.optional, link, clock.now()
        _fill(row, session, user, kind, context, link)
        session.add(row)
        written.append(row)
    session.flush()
    session.info.setdefault(OUTBOX_KEY, set()).update(r.id for r in written)
    return written


def _fill(
    row: Notification,
    session: Session,
    user: User | None,
    kind: str,
    context: Mapping[str, Any],
    link: str | None,
) -> None:
    try:
        row.subject, row.body_text, row.body_html = _render(kind, context, link)
    except Exception as exc:  # a message must never break the change it reports
        log.exception("notification %s could not be rendered", kind)
        row.subject, row.body_text, row.body_html = KINDS[kind].label, "", ""
        row.status, row.last_error = DeliveryStatus.FAILED.value, f"could not render: {exc}"
        return
    problem = _address_problem(row.to_address)
    if problem is not None:
        row.status, row.last_error = DeliveryStatus.FAILED.value, problem
    elif not _email_wanted(session, user, kind):
        row.status = DeliveryStatus.SKIPPED.value
    else:
        row.status, row.next_attempt_at = DeliveryStatus.PENDING.value, clock.now()


# --------------------------------------------------------------------------- people


def unread_count(session: Session, user: User) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


def mark_read(session: Session, user: User, public_ids: Iterable[str] | None = None) -> int:
    """Mark *user*'s notifications read (these, or all); returns how many changed."""
    statement = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if public_ids is not None:
        statement = statement.where(Notification.public_id.in_(list(public_ids)))
    result = session.execute(statement.values(read_at=clock.now()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def set_email_preferences(session: Session, user: User, wanted: Mapping[str, bool]) -> None:
    """Store which optional kinds *user* wants by e-mail. Unknown or mandatory kinds are
    ignored: nobody can switch off a security or decision message."""
    for name, email in wanted.items():
        kind = KINDS.get(name)
        if kind is None or not kind.optional:
            continue
        row = session.scalar(
            select(NotificationPreference).where(
                NotificationPreference.user_id == user.id, NotificationPreference.kind == name
            )
        )
        if row is None:
            session.add(NotificationPreference(user_id=user.id, kind=name, email=email))
        else:
            row.email = email
    session.flush()


def resend(session: Session, notification: Notification, actor: Actor) -> None:
    """Put a failed (or sent) message back in the queue, as the admin asked; audited."""
    before = notification.status
    notification.status = DeliveryStatus.PENDING.value
    notification.attempts = 0
    notification.next_attempt_at = clock.now()
    notification.lease_until = None
    session.flush()
    session.info.setdefault(OUTBOX_KEY, set()).add(notification.id)
    record_event(
        session,
        actor,
        "notification.resent",
        "notification",
        notification.public_id,
        before={"status": before},
        after={"status": notification.status, "kind": notification.kind},
    )
