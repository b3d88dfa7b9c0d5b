"""Second factors: who must hold one, enrolling and removing a TOTP app, recovery codes, and
checking a code at sign-in or for a dangerous action (passkeys: :mod:`certify.accounts.passkeys`).

Each operation takes the person acting (always the account's owner here), flushes, records an
audit event and never commits. Failed codes are counted per account in the sign-in throttle
table (scope ``factor``): ``SECOND_FACTOR_LIMIT`` failures are free, then each one makes the
next attempt wait, as failed passwords do; the wait holds for every device, so a thief who has
the password cannot try codes in parallel sessions.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session

from certify import clock
from certify.accounts.factor_models import Passkey, RecoveryCode, TotpCredential
from certify.accounts.models import SessionEnd, User
from certify.accounts.sessions import end_other_sessions
from certify.accounts.throttle import count_failure, factor_key, forget, load_counter
from certify.accounts.totp_secrets import (
    SecretUnreadable,
    read_secret,
    seal_after_use,
    seal_secret,
)
from certify.audit.operations import record_event
from certify.core import second_factor as sf
from certify.core.actor import Actor
from certify.core.lockout import Throttle, waiting_until
from certify.operations import OperationError


def required_roles() -> list[str]:
    """The roles that must hold a second factor (``SECOND_FACTOR_ROLES``)."""
    return [str(role) for role in current_app.config["SECOND_FACTOR_ROLES"]]


def must_hold_second_factor(user: User) -> bool:
    return sf.must_hold_second_factor((r.value for r in user.roles), required_roles())


def has_second_factor(session: Session, user: User) -> bool:
    """Whether *user* has a TOTP app or a passkey (recovery codes alone do not count)."""
    return bool(
        session.scalar(
            select(
                exists().where(TotpCredential.user_id == user.id)
                | exists().where(Passkey.user_id == user.id)
            )
        )
    )


@dataclass(frozen=True)
class Factors:
    """What *user* holds, for the security page."""

    totp: TotpCredential | None
    passkeys: list[Passkey]
    recovery_codes_left: int

    @property
    def any(self) -> bool:
        return self.totp is not None or bool(self.passkeys)


def factors_of(session: Session, user: User) -> Factors:
    totp = session.scalar(select(TotpCredential).where(TotpCredential.user_id == user.id))
    passkeys = session.scalars(
        select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.id)
    ).all()
    left = session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )
    return Factors(totp, list(passkeys), int(left or 0))


def own_event(session: Session, user: User, action: str, **after: object) -> None:
    record_event(
        session, Actor.user(user.public_id), action, "user", user.public_id, after=after or None
    )


# -- TOTP -----------------------------------------------------------------------------------


def add_totp(session: Session, actor: Actor, user: User, secret: str) -> TotpCredential:
    """Give *user* the TOTP app with *secret* without asking for a code: for the demo accounts
    (whose secret is public) and the command line. People enrol with :func:`enrol_totp`."""
    if session.scalar(select(TotpCredential.id).where(TotpCredential.user_id == user.id)):
        raise OperationError("This account already has an authenticator app.", code="totp_exists")
    credential = TotpCredential(user_id=user.id)
    seal_secret(credential, user, secret)
    session.add(credential)
    session.flush()
    record_event(
        session, actor, "user.totp_enrolled", "user", user.public_id, after={"by": "command"}
    )
    return credential


def enrol_totp(session: Session, user: User, secret: str, code: str) -> list[str] | None:
    """Enrol the authenticator app holding *secret*, once *code* shows it works; returns new
    recovery codes when *user* had none left (shown once), else None."""
    step = sf.matching_step(secret, code, clock.now(), None)
    if step is None:
        raise OperationError(
            "That code does not match. Check the app shows a code for this account and that "
            "the phone's clock is right, then type the code it shows now.",
            field="code",
            code="totp_mismatch",
        )
    if session.scalar(select(TotpCredential.id).where(TotpCredential.user_id == user.id)):
        raise OperationError("You already have an authenticator app: remove it first.")
    credential = TotpCredential(user_id=user.id, last_step=step)
    seal_secret(credential, user, secret)
    session.add(credential)
    session.flush()
    own_event(session, user, "user.totp_enrolled", by="owner")
    return (
        None if factors_of(session, user).recovery_codes_left else new_recovery_codes(session, user)
    )


def remove_totp(session: Session, user: User) -> None:
    """Remove *user*'s authenticator app (refused when it is the last factor they must hold)."""
    factors = factors_of(session, user)
    if factors.totp is None:
        raise OperationError("You have no authenticator app.", code="no_totp")
    if not factors.passkeys and must_hold_second_factor(user):
        raise OperationError(
            "Your role needs a second factor: add a passkey before removing the app.",
            code="last_factor",
        )
    session.delete(factors.totp)
    session.flush()
    own_event(session, user, "user.totp_removed")


# -- recovery codes ---------------------------------------------------------------------------


def new_recovery_codes(session: Session, user: User) -> list[str]:
    """A new set of recovery codes for *user*, replacing any earlier set; returns the codes,
    to be shown once (only their hashes are kept)."""
    batch = (
        session.scalar(select(func.max(RecoveryCode.batch)).where(RecoveryCode.user_id == user.id))
        or 0
    ) + 1
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = sf.new_recovery_codes()
    session.add_all(
        RecoveryCode(user_id=user.id, code_hash=sf.recovery_hash(code), batch=batch)
        for code in codes
    )
    session.flush()
    own_event(session, user, "user.recovery_codes_made", codes=len(codes))
    return codes


def _use_recovery_code(session: Session, user: User, code: str, now: dt.datetime) -> bool:
    result = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == sf.recovery_hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now),
        execution_options={"synchronize_session": False},
    )
    if not getattr(result, "rowcount", 0):
        return False
    left = factors_of(session, user).recovery_codes_left
    own_event(session, user, "user.recovery_code_used", codes_left=left)
    return True


# -- checking a code ---------------------------------------------------------------------------


def _throttle() -> Throttle:
    c = current_app.config
    return Throttle(
        limit=int(c["SECOND_FACTOR_LIMIT"]),
        leak=dt.timedelta(minutes=15),
        first_wait=dt.timedelta(seconds=c["LOGIN_FIRST_WAIT_SECONDS"]),
        max_wait=dt.timedelta(seconds=c["LOGIN_MAX_WAIT_SECONDS"]),
    )


class FactorRefused(OperationError):
    """A second factor was refused; ``wait_until`` is set while attempts must wait."""

    def __init__(self, message: str, wait_until: dt.datetime | None = None) -> None:
        super().__init__(message, field="code", code="second_factor_refused")
        self.wait_until = wait_until


def _wait_message(until: dt.datetime, now: dt.datetime) -> str:
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    return (
        f"Too many wrong codes for this account. Wait {minutes} minute"
        f"{'s' if minutes > 1 else ''} (until {until:%H:%M:%S} UTC) and try again."
    )


def refuse_while_waiting(session: Session, user: User) -> None:
    """Raise :class:`FactorRefused` while *user*'s failed codes make attempts wait."""
    now = clock.now()
    until = waiting_until(load_counter(session, factor_key(user.public_id)), now)
    if until is not None:
        raise FactorRefused(_wait_message(until, now), until)


def count_factor_failure(session: Session, user: User) -> dt.datetime | None:
    """Count one failed second factor for *user*; returns the end of the wait it starts."""
    now = clock.now()
    _before, counter = count_failure(
        session, "factor", factor_key(user.public_id), _throttle(), now
    )
    session.flush()
    return waiting_until(counter, now)


def factor_succeeded(session: Session, user: User) -> None:
    forget(session, factor_key(user.public_id))


def _use_totp_code(session: Session, user: User, code: str, now: dt.datetime) -> bool:
    """Whether *code* is a code of *user*'s app not used before (then it is used up, and a
    secret stored before sealing is sealed).

    Raises:
        FactorRefused: the app's secret does not open here (counted like a wrong code).
    """
    totp = session.scalar(select(TotpCredential).where(TotpCredential.user_id == user.id))
    if totp is None:
        return False
    try:
        secret = read_secret(totp, user)
    except SecretUnreadable as unreadable:
        # counted like a wrong code, so nobody may try without limit; a clean refusal, and a
        # recovery code or a passkey still works
        raise FactorRefused(unreadable.message, count_factor_failure(session, user)) from None
    step = sf.matching_step(secret, code, now, totp.last_step)
    if step is None:
        return False
    totp.last_step, totp.last_used_at = step, now
    seal_after_use(session, totp, user, secret)
    session.flush()
    return True


def check_code(session: Session, user: User, code: str) -> str:
    """Check a TOTP or recovery code typed by *user*; returns which it was (``totp`` or
    ``recovery``). A TOTP code is accepted once; a recovery code is used up.

    Raises:
        FactorRefused: the code is wrong, already used, or attempts must wait (the caller
            commits the failure count although it answers with an error).
    """
    refuse_while_waiting(session, user)
    now = clock.now()
    if sf.looks_like_recovery_code(code):
        if _use_recovery_code(session, user, code, now):
            factor_succeeded(session, user)
            return "recovery"
    elif _use_totp_code(session, user, code, now):
        factor_succeeded(session, user)
        return "totp"
    until = count_factor_failure(session, user)
    if until is not None:
        raise FactorRefused(_wait_message(until, now), until)
    raise FactorRefused(
        "That code is not right, or was already used. Type the code your authenticator app "
        "shows now (a new one comes every 30 seconds), or one of your recovery codes."
    )


def reset_factors(session: Session, actor: Actor, user: User) -> int:
    """Remove every second factor of *user* (an operator's answer to "I lost them all") and
    end their sessions; returns how many factors (app and passkeys) were removed."""
    removed = 0
    for model in (TotpCredential, Passkey):
        result = session.execute(delete(model).where(model.user_id == user.id))
        removed += int(getattr(result, "rowcount", 0) or 0)
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    end_other_sessions(session, user, None, SessionEnd.FACTOR_CHANGED)
    session.flush()
    record_event(
        session,
        actor,
        "user.second_factors_reset",
        "user",
        user.public_id,
        after={"removed": removed},
    )
    return removed


def record_reauthentication(session: Session, user: User, method: str) -> None:
    """Audit that *user* showed a second factor again, for a dangerous action."""
    own_event(session, user, "user.reauthenticated", method=method)
