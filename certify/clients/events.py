"""What a watcher is told: the lifecycle's announcements become e-mails (the notification
outbox) and webhook deliveries (this package's outbox), in the transaction of the change.

Receivers of :mod:`certify.signals`; a watcher learns of a watched certificate's status
changes (its supersession included) and expiry warnings, and of every new certificate of a
watched organisation. Only public facts go out: the reason *category*, never its text.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from certify import clock
from certify.accounts.models import Role, User, UserRole
from certify.certificates.models import Certificate
from certify.certificates.operations import StatusChange
from certify.certificates.queries import change_word
from certify.clients.models import DeliveryState, Watch, WebhookDelivery, WebhookEndpoint
from certify.core import labels
from certify.core.credentials.dates import format_datetime as iso_datetime
from certify.notifications.operations import absolute, notify, path_for

#: Session info key: ids of webhook deliveries written in this transaction (see wakeup).
WEBHOOK_OUTBOX_KEY = "certify_webhook_outbox"


def watchers(session: Session, certificate: Certificate) -> list[User]:
    """The active clients watching *certificate* or its holder, each once."""
    return list(
        session.scalars(
            select(User)
            .join(Watch, Watch.user_id == User.id)
            .join(UserRole, UserRole.user_id == User.id)
            .where(
                User.is_active,
                UserRole.role == Role.CLIENT.value,
                or_(
                    Watch.certificate_id == certificate.id,
                    Watch.organisation_id == certificate.organisation_id,
                ),
            )
            .distinct()
            .order_by(User.id)
        )
    )


def certificate_data(certificate: Certificate) -> dict[str, Any]:
    """The public facts of *certificate* a watcher receives (the webhook's ``data``)."""
    return {
        "serial": certificate.serial,
        "holder": {"name": certificate.holder_name, "country": certificate.holder_country},
        "status": certificate.current_status.value,
        "validFrom": iso_datetime(certificate.valid_from),
        "validUntil": iso_datetime(certificate.valid_until),
        "links": {
            "page": absolute(path_for("registry.show", serial=certificate.serial)),
            "verify": absolute(path_for("verify.by_serial", serial=certificate.serial)),
            "api": absolute(path_for("api.get_certificate", serial=certificate.serial)),
        },
    }


def tell_watchers(
    session: Session,
    certificate: Certificate,
    event_type: str,
    what: str,
    extra: dict[str, Any] | None = None,
) -> None:
    """Write the e-mail and the webhook deliveries of *event_type* for every watcher."""
    people = watchers(session, certificate)
    if not people:
        return
    data = {**certificate_data(certificate), **(extra or {})}
    notify(
        session,
        "watch.update",
        people,
        context={
            "serial": certificate.serial,
            "organisation": certificate.holder_name,
            "what": what,
            "status": labels.status(data["status"]),
            "category": labels.reason_category(extra["reasonCategory"]).lower()
            if extra and extra.get("reasonCategory")
            else None,
        },
        link=path_for("registry.show", serial=certificate.serial),
    )
    enqueue_webhooks(session, people, event_type, data)


def enqueue_webhooks(
    session: Session, people: list[User], event_type: str, data: dict[str, Any]
) -> list[WebhookDelivery]:
    """One delivery per active endpoint of *people*; the body is fixed now, so every retry
    sends (and signs) the same bytes."""
    endpoints = session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.user_id.in_([p.id for p in people]), WebhookEndpoint.is_active
        )
    ).all()
    now = clock.now()
    body = {"type": event_type, "timestamp": iso_datetime(now), "data": data}
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    written = []
    for endpoint in endpoints:
        row = WebhookDelivery(
            msg_id="msg_" + secrets.token_urlsafe(18),
            endpoint_id=endpoint.id,
            event_type=event_type,
            payload=payload,
            created_at=now,
            status=DeliveryState.PENDING.value,
            attempts=0,
            next_attempt_at=now,
        )
        session.add(row)
        written.append(row)
    if written:
        session.flush()
        session.info.setdefault(WEBHOOK_OUTBOX_KEY, set()).update(r.id for r in written)
    return written


# --------------------------------------------------------------------------- receivers


def on_status_changed(_app: Any, change: StatusChange) -> None:
    word = change_word(change.previous_status, change.new_status.value)
    tell_watchers(
        change.session,
        change.certificate,
        f"certificate.{word}",
        word,
        {
            "previousStatus": change.previous_status,
            "reasonCategory": change.category,
            "changedAt": iso_datetime(change.now),
        },
    )


def on_issued(_app: Any, session: Session, certificate: Certificate) -> None:
    tell_watchers(session, certificate, "certificate.issued", "issued")


def on_expiring(_app: Any, session: Session, certificate: Certificate, days: int) -> None:
    tell_watchers(
        session, certificate, "certificate.expiring", f"expires in {days} days", {"days": days}
    )


def connect() -> None:
    """Listen to the lifecycle's announcements (idempotent: blinker keeps one of each)."""
    from certify import signals

    signals.certificate_status_changed.connect(on_status_changed)
    signals.certificate_issued.connect(on_issued)
    signals.certificate_expiring.connect(on_expiring)
