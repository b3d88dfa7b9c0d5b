"""Account operations. Each takes the acting party, flushes, records an audit event, and
never commits: the request or command commits once."""

from __future__ import annotations

import datetime as dt
import math
import secrets
from dataclasses import dataclass, replace

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from certify import clock
from certify.accounts.models import (
    STAFF_ROLES,
    Organisation,
    Role,
    SessionEnd,
    Site,
    User,
    UserRole,
    UserSession,
    normalise_email,
)
from certify.accounts.notices import notify_password_changed, notify_throttled
from certify.accounts.passwords import burn_time, check_password, hash_password
from certify.accounts.sessions import end_other_sessions
from certify.accounts.throttle import (
    ThrottleKeys,
    count_failure,
    forget,
    load_counters,
    prune,
    throttle_keys,
)
from certify.audit.operations import record_event
from certify.core.actor import Actor
from certify.core.lockout import Counter, SignInPolicy, Throttle, crossed_limit, waiting_until
from certify.operations import OperationError


@dataclass(frozen=True)
class SiteData:
    name: str
    address: str
    country: str


def _email_taken(session: Session, email: str) -> bool:
    return (
        session.scalar(select(User.id).where(User.email_normalised == normalise_email(email)))
        is not None
    )


def new_user(
    session: Session,
    email: str,
    full_name: str,
    password: str | None,
    roles: set[Role],
    organisation: Organisation | None = None,
) -> User:
    """A new account; with *password* None it has no usable password until its owner sets
    one from the link e-mailed to them.

    Raises:
        OperationError: the e-mail address already has an account.
    """
    if _email_taken(session, email):
        raise OperationError(
            "An account with this e-mail address already exists (addresses are the same "
            "whatever their capital letters). Sign in instead, or use another address.",
            field="email",
            code="email_taken",
        )
    user = User(
        email=email.strip(),
        email_normalised=normalise_email(email),
        full_name=full_name.strip(),
        # no password yet: a hash of 32 random bytes nobody knows, never matched
        password_hash=hash_password(password or secrets.token_urlsafe(32)),
        organisation=organisation,
        role_rows=[UserRole(role=r.value) for r in sorted(roles)],
    )
    session.add(user)
    session.flush()
    return user


def register_issp(
    session: Session,
    *,
    legal_name: str,
    country: str,
    registration_number: str,
    website: str | None,
    sites: list[SiteData],
    full_name: str,
    email: str,
    password: str,
) -> User:
    """Create an ISSP organisation with its sites and its first member (who acts for it)."""
    if not sites:
        raise OperationError("Add at least one site where the organisation works.", field="sites")
    org = Organisation(
        legal_name=legal_name.strip(),
        country=country.upper(),
        registration_number=registration_number.strip(),
        website=(website or "").strip() or None,
        sites=[
            Site(name=s.name.strip(), address=s.address.strip(), country=s.country.upper())
            for s in sites
        ],
    )
    session.add(org)
    user = new_user(session, email, full_name, password, {Role.ISSP}, org)
    record_event(
        session,
        Actor.user(user.public_id),
        "organisation.registered",
        "organisation",
        org.public_id,
        after={
            "legal_name": org.legal_name,
            "country": org.country,
            "registration_number": org.registration_number,
            "website": org.website,
            "sites": len(org.sites),
            "first_member": user.public_id,
        },
    )
    return user


def create_staff_user(
    session: Session,
    actor: Actor,
    *,
    email: str,
    full_name: str,
    roles: set[Role],
    password: str | None = None,
) -> User:
    """Create a certification-body staff account (admin, auditor and/or reviewer). Without a
    *password* (the normal case) the caller sends the person a link to choose one
    (:func:`certify.accounts.tokens.send_account_setup`); demo accounts pass theirs."""
    if not roles:
        raise OperationError("Choose at least one role.", field="roles")
    if not roles <= set(STAFF_ROLES):
        raise OperationError(
            "Staff accounts hold admin, auditor or reviewer roles only; ISSP "
            "members register or are invited by their organisation.",
            field="roles",
        )
    user = new_user(session, email, full_name, password, roles)
    record_event(
        session,
        actor,
        "user.created",
        "user",
        user.public_id,
        after={"roles": sorted(r.value for r in roles)},
    )
    return user


def change_password(
    session: Session, user: User, current: str, new: str, keep: UserSession | None = None
) -> None:
    """Change *user*'s own password; every session of theirs but *keep* (the one they changed
    it from) is revoked, so a stolen cookie dies with the old password."""
    ok, _ = check_password(user.password_hash, current)
    if not ok:
        raise OperationError("Your current password is not correct.", field="current_password")
    user.password_hash = hash_password(new)
    ended = end_other_sessions(session, user, keep, SessionEnd.PASSWORD_CHANGED)
    session.flush()
    record_event(
        session,
        Actor.user(user.public_id),
        "user.password_changed",
        "user",
        user.public_id,
        after={"other_sessions_ended": ended},
    )
    notify_password_changed(session, user)


# -- signing in ------------------------------------------------------------------------------


def _policy() -> SignInPolicy:
    c = current_app.config
    first = dt.timedelta(seconds=c["LOGIN_FIRST_WAIT_SECONDS"])
    longest = dt.timedelta(seconds=c["LOGIN_MAX_WAIT_SECONDS"])
    default = SignInPolicy()
    return SignInPolicy(
        pair=replace(default.pair, limit=c["LOGIN_PAIR_LIMIT"], first_wait=first, max_wait=longest),
        address=replace(
            default.address, limit=c["LOGIN_ADDRESS_LIMIT"], first_wait=first, max_wait=longest
        ),
        account=replace(default.account, limit=c["LOGIN_ACCOUNT_ALERT"]),
    )


@dataclass(frozen=True)
class SignInResult:
    """The signed-in user; or why not, and until when the client must wait (if it must)."""

    user: User | None
    message: str | None = None
    wait_until: dt.datetime | None = None


WRONG = "The e-mail address or password is not correct. Check both and try again."


def _wait_result(until: dt.datetime, now: dt.datetime, pair: bool) -> SignInResult:
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    what = "for this e-mail address from your network" if pair else "from your network"
    return SignInResult(
        None,
        f"Too many failed sign-in attempts {what}. Wait {minutes} minute"
        f"{'s' if minutes > 1 else ''} (until {until.astimezone(dt.UTC):%H:%M:%S} UTC) and "
        "try again; the password is not checked until then.",
        until,
    )


def _refusal(counters: dict[str, Counter | None], now: dt.datetime) -> SignInResult | None:
    """The answer when a wait is in force for the pair or the client (the longer one), else
    None."""
    waits = [
        (until, scope == "pair")
        for scope in ("pair", "address")
        if (until := waiting_until(counters[scope], now)) is not None
    ]
    if not waits:
        return None
    until, pair = max(waits)
    return _wait_result(until, now, pair)


def sign_in(session: Session, email: str, password: str, address: str) -> SignInResult:
    """Check a sign-in attempt from the client *address* (:mod:`certify.core.lockout`).

    While a wait is in force for this (e-mail, client) pair or this client, the attempt is
    refused without looking the account up or checking the password. Unknown and known e-mail
    addresses are counted, answered and timed alike (a password hash is computed either way).
    A failure is counted for the pair, the client and the e-mail address; the account's owner
    elsewhere is never refused. When an account's failures from anywhere cross the alert
    limit, an ``account.throttled`` audit event is recorded (the hook for telling the owner).
    """
    now = clock.now()
    identifier = normalise_email(email)
    keys = throttle_keys(identifier, address)
    refusal = _refusal(load_counters(session, keys), now)
    if refusal is not None:
        return refusal
    user = session.scalar(select(User).where(User.email_normalised == identifier))
    if user is not None and user.is_active:
        ok, new_hash = check_password(user.password_hash, password)
    else:
        burn_time(password)
        ok, new_hash = False, None
    if ok and user is not None:
        forget(session, keys.pair)
        user.last_login_at = now
        if new_hash:
            user.password_hash = new_hash
        session.flush()
        return SignInResult(user)
    return _count_failure(session, keys, user, now)


def _count_failure(
    session: Session, keys: ThrottleKeys, user: User | None, now: dt.datetime
) -> SignInResult:
    policy = _policy()
    throttles = {"pair": policy.pair, "address": policy.address, "account": policy.account}
    after: dict[str, Counter | None] = {}
    for scope, key in keys.scoped():
        before, counter = count_failure(session, scope, key, throttles[scope], now)
        after[scope] = counter
        alert = scope == "account" and crossed_limit(before, counter.level, policy.account)
        if alert and user is not None:
            _record_throttled(session, user, policy.account)
    prune(session, now)
    session.flush()
    return _refusal(after, now) or SignInResult(None, WRONG)


def _record_throttled(session: Session, user: User, throttle: Throttle) -> None:
    minutes = int(throttle.leak.total_seconds() // 60)
    record_event(
        session,
        Actor.system("sign-in"),
        "account.throttled",
        "user",
        user.public_id,
        reason=(
            f"{throttle.limit} failed sign-in attempts from anywhere, each remembered for "
            f"about {minutes} minutes"
        ),
        after={"alert_limit": throttle.limit},
    )
    notify_throttled(session, user, throttle.limit)
