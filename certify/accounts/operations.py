"""Account operations. Each takes the acting party, flushes, records an audit event, and
never commits: the request or command commits once."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from certify import clock
from certify.accounts.models import (
    STAFF_ROLES,
    AddressThrottle,
    Invitation,
    Organisation,
    Role,
    Site,
    User,
    UserRole,
    normalise_email,
)
from certify.accounts.passwords import burn_time, check_password, hash_password
from certify.audit.operations import record_event
from certify.core.actor import Actor
from certify.core.lockout import LockoutPolicy, after_failure, assess
from certify.operations import OperationError

INVITATION_DAYS = 7


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


def _new_user(
    session: Session,
    email: str,
    full_name: str,
    password: str,
    roles: set[Role],
    organisation: Organisation | None = None,
) -> User:
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
        password_hash=hash_password(password),
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
    user = _new_user(session, email, full_name, password, {Role.ISSP}, org)
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
    password: str,
    roles: set[Role],
) -> User:
    """Create a certification-body staff account (admin, auditor and/or reviewer)."""
    if not roles:
        raise OperationError("Choose at least one role.", field="roles")
    if not roles <= set(STAFF_ROLES):
        raise OperationError(
            "Staff accounts hold admin, auditor or reviewer roles only; ISSP "
            "members register or are invited by their organisation.",
            field="roles",
        )
    user = _new_user(session, email, full_name, password, roles)
    record_event(
        session,
        actor,
        "user.created",
        "user",
        user.public_id,
        after={"roles": sorted(r.value for r in roles)},
    )
    return user


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """Change *user*'s own password; other sessions of theirs stop working."""
    ok, _ = check_password(user.password_hash, current)
    if not ok:
        raise OperationError("Your current password is not correct.", field="current_password")
    user.password_hash = hash_password(new)
    user.session_version += 1
    session.flush()
    record_event(
        session, Actor.user(user.public_id), "user.password_changed", "user", user.public_id
    )


# -- signing in ------------------------------------------------------------------------------


def _policy() -> LockoutPolicy:
    c = current_app.config
    return LockoutPolicy(
        slowdown_after=c["LOGIN_SLOWDOWN_AFTER"],
        lock_after=c["LOGIN_LOCK_AFTER"],
        lock_minutes=c["LOGIN_LOCK_MINUTES"],
        delay_step_seconds=c.get("LOGIN_DELAY_STEP_SECONDS", 0.5),
        max_delay_seconds=c.get("LOGIN_MAX_DELAY_SECONDS", 3.0),
    )


def _address_hash(address: str) -> str:
    # Keyed so that the table cannot be turned back into IP addresses by trying them all.
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, b"login-address:" + address.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    message: str | None = None


def _locked_message(until: dt.datetime, what: str) -> str:
    return (
        f"Too many failed sign-in attempts: {what} is locked until "
        f"{until.astimezone(dt.UTC):%H:%M} UTC. Wait until then, or ask the certification body "
        "to check your account. (Entering the right password now will not work.)"
    )


def sign_in(
    session: Session, email: str, password: str, address: str, sleep: bool = True
) -> SignInResult:
    """Check a sign-in attempt, counting failures per account and per client address.

    Past a few failures answers slow down; at the threshold the account (and the address) is
    locked for a while, a correct password included, and an audit event is recorded.
    """
    now = clock.now()
    policy = _policy()
    bucket_key = _address_hash(address)
    bucket = session.scalar(
        select(AddressThrottle).where(AddressThrottle.address_hash == bucket_key)
    )
    if bucket is None:
        bucket = AddressThrottle(address_hash=bucket_key, failures=0)
        session.add(bucket)
    user = session.scalar(select(User).where(User.email_normalised == normalise_email(email)))

    address_state = assess(bucket.failures, bucket.locked_until, now, policy)
    if address_state.locked and address_state.locked_until:
        return SignInResult(
            None, _locked_message(address_state.locked_until, "signing in from your network")
        )
    if user is not None:
        user_state = assess(user.failed_logins, user.locked_until, now, policy)
        if user_state.locked and user_state.locked_until:
            return SignInResult(None, _locked_message(user_state.locked_until, "this account"))
        delay = max(user_state.delay_seconds, address_state.delay_seconds)
    else:
        delay = address_state.delay_seconds
    if sleep and delay:
        time.sleep(delay)

    if user is not None and user.is_active:
        ok, new_hash = check_password(user.password_hash, password)
    else:
        burn_time(password)
        ok, new_hash = False, None

    if ok and user is not None:
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        if new_hash:
            user.password_hash = new_hash
        bucket.failures = 0
        bucket.locked_until = None
        session.flush()
        return SignInResult(user)

    bucket.failures, bucket_lock = after_failure(bucket.failures, now, policy)
    bucket.updated_at = now
    if bucket_lock:
        bucket.locked_until = bucket_lock
        bucket.failures = 0
        record_event(
            session,
            Actor.system("sign-in"),
            "address.locked",
            "address",
            None,
            reason=f"{policy.lock_after} failed sign-in attempts from one address",
            after={"locked_until": bucket_lock.isoformat()},
        )
    if user is not None:
        user.failed_logins, user_lock = after_failure(user.failed_logins, now, policy)
        if user_lock:
            user.locked_until = user_lock
            user.failed_logins = 0
            record_event(
                session,
                Actor.system("sign-in"),
                "user.locked",
                "user",
                user.public_id,
                reason=f"{policy.lock_after} failed sign-in attempts in a row",
                after={"locked_until": user_lock.isoformat()},
            )
            session.flush()
            return SignInResult(None, _locked_message(user_lock, "this account"))
    session.flush()
    if bucket_lock:
        return SignInResult(None, _locked_message(bucket_lock, "signing in from your network"))
    return SignInResult(
        None, "The e-mail address or password is not correct. Check both and try again."
    )


# -- invitations -------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invitation(session: Session, user: User) -> str:
    """A one-time link token for a colleague to join *user*'s organisation (valid 7 days).

    Only the token's hash is stored: the link is shown once, to the person who made it.
    """
    if user.organisation is None or not user.has_role(Role.ISSP):
        raise OperationError("Only members of an organisation can invite colleagues to it.")
    token = secrets.token_urlsafe(24)
    invitation = Invitation(
        organisation=user.organisation,
        token_hash=_token_hash(token),
        created_by_id=user.id,
        expires_at=clock.now() + dt.timedelta(days=INVITATION_DAYS),
    )
    session.add(invitation)
    session.flush()
    record_event(
        session,
        Actor.user(user.public_id),
        "invitation.created",
        "organisation",
        user.organisation.public_id,
        after={"expires_at": invitation.expires_at.isoformat()},
    )
    return token


def find_invitation(session: Session, token: str) -> Invitation:
    """The usable invitation for *token*; OperationError when unknown, used or expired."""
    invitation = session.scalar(
        select(Invitation).where(Invitation.token_hash == _token_hash(token))
    )
    if invitation is None:
        raise OperationError(
            "This invitation link is not valid. Ask your colleague for a new one.",
            code="invalid_invitation",
        )
    if invitation.used_at is not None:
        raise OperationError(
            "This invitation link has already been used. Ask your colleague for a new one.",
            code="invalid_invitation",
        )
    if invitation.expires_at <= clock.now():
        raise OperationError(
            "This invitation link has expired. Ask your colleague for a new one.",
            code="invalid_invitation",
        )
    return invitation


def accept_invitation(
    session: Session, token: str, *, full_name: str, email: str, password: str
) -> User:
    """Create the invited colleague's account in the inviting organisation; the link is spent."""
    invitation = find_invitation(session, token)
    user = _new_user(session, email, full_name, password, {Role.ISSP}, invitation.organisation)
    invitation.used_at = clock.now()
    invitation.used_by_id = user.id
    session.flush()
    record_event(
        session,
        Actor.user(user.public_id),
        "organisation.member_joined",
        "organisation",
        invitation.organisation.public_id,
        after={"member": user.public_id},
    )
    return user
