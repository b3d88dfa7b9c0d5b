"""What clients do: register, watch certificates and organisations, keep webhooks and API
tokens. Each operation takes the acting user, flushes, never commits, and is audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import socket

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from certify import clock
from certify.accounts.models import Organisation, Role, User
from certify.accounts.operations import new_user
from certify.accounts.tokens import send_account_setup
from certify.audit.operations import record_event
from certify.certificates.models import Certificate
from certify.certificates.queries import find_certificate
from certify.clients.models import ApiToken, Watch, WebhookEndpoint
from certify.core.actor import Actor
from certify.core.clients import webhooks
from certify.core.clients.addresses import (
    IPAddress,
    Target,
    TargetRefused,
    check_addresses,
    literal_address,
    parse_target,
)
from certify.operations import OperationError
from certify.transaction import record_after_response

#: How long a rotated-out webhook secret keeps signing beside the new one.
PREVIOUS_SECRET_HOURS = 24
MAX_WATCHES = 500
MAX_WEBHOOKS = 5
SCOPES = ("read", "write")
TOKEN_PREFIX = "cfy_"  # noqa: S105 - a prefix, not a secret
#: A token's ``last_used_at`` is written at most this often (not a write per API request).
TOKEN_TOUCH_EVERY = dt.timedelta(minutes=1)
#: The actor of a registration, made by someone not signed in yet.
CLIENT_REGISTRATION = Actor.system("client-registration")


def actor_of(user: User) -> Actor:
    return Actor.user(user.public_id)


# --------------------------------------------------------------------------- accounts


def register_client(session: Session, *, email: str, full_name: str) -> User:
    """A new client account with no usable password; the confirmation link (the account
    set-up link, single-use) goes to *email*: following it proves the address and sets the
    password.

    Raises:
        OperationError: the address already has an account.
    """
    user = new_user(session, email, full_name, None, {Role.CLIENT})
    record_event(session, CLIENT_REGISTRATION, "user.client_registered", "user", user.public_id)
    send_account_setup(session, user, CLIENT_REGISTRATION)
    return user


# --------------------------------------------------------------------------- watches


def _organisation_by_name_or_id(session: Session, text: str) -> Organisation | None:
    text = text.strip()
    found = session.scalar(select(Organisation).where(Organisation.public_id == text))
    if found is not None:
        return found
    # only organisations that hold (or held) a certificate are public: names of applicants
    # that were never certified are not revealed
    matches = session.scalars(
        select(Organisation)
        .join(Certificate, Certificate.organisation_id == Organisation.id)
        .where(func.lower(Organisation.legal_name) == text.lower())  # no LIKE wildcards
        .distinct()
    ).all()
    return matches[0] if len(matches) == 1 else None


def add_watch(session: Session, user: User, subject: str) -> Watch:
    """Watch the certificate whose serial *subject* is (typed any way), or else the
    certified organisation it names (its exact name, any case). Watching twice is a no-op.

    Raises:
        OperationError: nothing matches, or the list is full.
    """
    subject = subject.strip()
    prefix = str(current_app.config["SERIAL_PREFIX"])
    certificate = find_certificate(session, subject, prefix)
    organisation = None if certificate else _organisation_by_name_or_id(session, subject)
    if certificate is None and organisation is None:
        raise OperationError(
            f"No certificate has the serial {subject!r} and no certified organisation has "
            "that exact name. Check the serial (ISR-XXXX-XXXX-XXXX-C) or search the registry.",
            field="subject",
            code="not_found",
        )
    column, value = (
        (Watch.certificate_id, certificate.id)
        if certificate
        else (Watch.organisation_id, organisation.id)  # type: ignore[union-attr]
    )
    existing = session.scalar(select(Watch).where(Watch.user_id == user.id, column == value))
    if existing is not None:
        return existing
    count = len(session.scalars(select(Watch.id).where(Watch.user_id == user.id)).all())
    if count >= MAX_WATCHES:
        raise OperationError(f"A watch list holds at most {MAX_WATCHES} entries.", "subject")
    watch = Watch(
        user_id=user.id,
        certificate_id=certificate.id if certificate else None,
        organisation_id=organisation.id if organisation else None,
        created_at=clock.now(),
    )
    session.add(watch)
    session.flush()
    record_event(
        session,
        actor_of(user),
        "watch.added",
        "certificate" if certificate else "organisation",
        certificate.serial if certificate else organisation.public_id,  # type: ignore[union-attr]
    )
    return watch


def remove_watch(session: Session, user: User, watch: Watch) -> None:
    """Stop watching; audited."""
    subject = watch.certificate.serial if watch.certificate else watch.organisation.public_id  # type: ignore[union-attr]
    session.delete(watch)
    session.flush()
    record_event(session, actor_of(user), "watch.removed", "watch", subject)


# --------------------------------------------------------------------------- webhooks


def resolve(host: str, port: int) -> list[IPAddress]:
    """The IP addresses *host* resolves to now (the one DNS look-up of a delivery)."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise TargetRefused(f"{host} cannot be resolved: {exc}") from exc
    found: list[IPAddress] = []
    for info in infos:
        address = literal_address(str(info[4][0]).split("%", 1)[0])
        if address is not None and address not in found:
            found.append(address)
    return found


def checked_target(url: str) -> tuple[Target, list[IPAddress]]:
    """*url*'s parts and the addresses a request may use, under the SSRF policy
    (:mod:`certify.core.clients.addresses`; ``WEBHOOK_ALLOW_INTERNAL`` lets an admin allow
    internal targets, for tests and closed networks).

    Raises:
        TargetRefused: why the target is refused.
    """
    config = current_app.config
    target = parse_target(url, allow_http=bool(config["WEBHOOK_ALLOW_HTTP"]))
    addresses = resolve(target.host, target.port)
    allowed = check_addresses(
        target.host,
        addresses,
        allow_internal=bool(config["WEBHOOK_ALLOW_INTERNAL"]),
    )
    return target, list(allowed)


def add_webhook(session: Session, user: User, url: str) -> tuple[WebhookEndpoint, str]:
    """A new webhook endpoint for *user*; returns it with its secret (shown once).

    Raises:
        OperationError: the URL is refused (see :func:`checked_target`) or too many.
    """
    try:
        checked_target(url)
    except TargetRefused as exc:
        raise OperationError(f"This address is refused: {exc}.", "url", "bad_url") from exc
    count = len(
        session.scalars(select(WebhookEndpoint.id).where(WebhookEndpoint.user_id == user.id)).all()
    )
    if count >= MAX_WEBHOOKS:
        raise OperationError(f"An account has at most {MAX_WEBHOOKS} webhooks.", "url")
    secret = webhooks.new_secret()
    endpoint = WebhookEndpoint(
        user_id=user.id, url=url.strip(), secret=secret, created_at=clock.now()
    )
    session.add(endpoint)
    session.flush()
    record_event(
        session,
        actor_of(user),
        "webhook.added",
        "webhook",
        endpoint.public_id,
        after={"url": endpoint.url},
    )
    return endpoint, secret


def rotate_webhook_secret(session: Session, user: User, endpoint: WebhookEndpoint) -> str:
    """A new secret; the old one keeps signing beside it for :data:`PREVIOUS_SECRET_HOURS`."""
    import datetime as dt

    endpoint.previous_secret = endpoint.secret
    endpoint.previous_until = clock.now() + dt.timedelta(hours=PREVIOUS_SECRET_HOURS)
    endpoint.secret = webhooks.new_secret()
    session.flush()
    record_event(session, actor_of(user), "webhook.secret_rotated", "webhook", endpoint.public_id)
    return endpoint.secret


def secrets_in_use(endpoint: WebhookEndpoint) -> list[str]:
    """The secrets that sign a message now: the current one, and the previous until its time."""
    found = [endpoint.secret]
    if (
        endpoint.previous_secret
        and endpoint.previous_until
        and endpoint.previous_until > clock.now()
    ):
        found.append(endpoint.previous_secret)
    return found


def remove_webhook(session: Session, user: User, endpoint: WebhookEndpoint) -> None:
    """Delete the endpoint and its delivery log; audited."""
    public_id = endpoint.public_id
    session.delete(endpoint)
    session.flush()
    record_event(session, actor_of(user), "webhook.removed", "webhook", public_id)


# --------------------------------------------------------------------------- API tokens


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(
    session: Session, user: User, name: str, scopes: list[str]
) -> tuple[ApiToken, str]:
    """A new API token; returns the row and the token (shown once; only its hash is kept).

    Raises:
        OperationError: unknown scopes or none.
    """
    wanted = [s for s in SCOPES if s in scopes]
    if not wanted or set(scopes) - set(SCOPES):
        raise OperationError("Choose the token's scopes: read, write or both.", "scopes")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        name=name.strip()[:100] or "API token",
        token_hash=token_digest(token),
        scopes=" ".join(wanted),
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    record_event(
        session,
        actor_of(user),
        "api_token.created",
        "api_token",
        row.public_id,
        after={"scopes": row.scopes},
    )
    return row, token


def revoke_api_token(session: Session, user: User, row: ApiToken) -> None:
    """The token stops working at once; audited. Revoking twice is a no-op."""
    if row.revoked_at is not None:
        return
    row.revoked_at = clock.now()
    session.flush()
    record_event(session, actor_of(user), "api_token.revoked", "api_token", row.public_id)


def user_for_token(session: Session, token: str) -> tuple[User, frozenset[str]] | None:
    """The active client and the scopes of *token*, or None (unknown, revoked, or its user
    is no longer an active client). Records when it was last used: at most once every
    :data:`TOKEN_TOUCH_EVERY`, after the response (API reads never commit), whatever the
    request's outcome (a token that authenticated was used, even for a refused write)."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
    if row is None or row.revoked_at is not None:
        return None
    user = row.user
    if not user.is_active or not user.has_role(Role.CLIENT):
        return None
    now = clock.now()
    if row.last_used_at is None or now - row.last_used_at >= TOKEN_TOUCH_EVERY:
        record_after_response(
            update(ApiToken)
            .where(
                ApiToken.id == row.id,
                or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now),
            )
            .values(last_used_at=now)
        )
    return user, frozenset(row.scopes.split())
