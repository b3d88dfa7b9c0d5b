"""Counting failed sign-ins for :mod:`certify.core.lockout`, which decides what they mean.

The counters live in the database (``sign_in_throttle``), not in each process or in the rate
limiter's store: every worker and server must see the same counts (in-process counters would
give a guesser one budget per worker and a fresh one after every restart), the rate limiter's
default store is per process and Redis is optional, while the database is always shared and
the failed sign-in already writes to it (its answer commits through ``keep_changes``) in the
same transaction as the ``account.throttled`` audit event.

Rows are keyed by an HMAC of the scope and what was submitted, under a key derived from
``SECRET_KEY``: the table holds no e-mail or IP address, cannot be turned back into them by
trying every address, and has rows for unknown e-mail addresses exactly as for accounts.

Concurrency: a failure locks its rows in one order (pair, client, account) with
``SELECT ... FOR UPDATE`` on PostgreSQL (SQLite's writers hold the write lock from ``BEGIN
IMMEDIATE``), so two failures never lose an increment and never deadlock; pruning skips rows
another transaction holds. Attempts already under way when a wait starts still finish: at
most one per worker.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from certify.accounts.models import SignInThrottle
from certify.core.lockout import Counter, Throttle, after_failure, client_key, level_at

#: Rows untouched for this long are deleted (every bucket has leaked empty well before).
PRUNE_AFTER = dt.timedelta(days=1)


@dataclass(frozen=True)
class ThrottleKeys:
    """The keyed hashes of one attempt's three scopes."""

    pair: str
    address: str
    account: str

    def scoped(self) -> list[tuple[str, str]]:
        """(scope, key) in the one order rows are locked in."""
        return [("pair", self.pair), ("address", self.address), ("account", self.account)]


def _hash(scope: str, *parts: str) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    key = hmac.new(secret, b"certify sign-in throttle", hashlib.sha256).digest()
    message = "\0".join((scope, *parts)).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def throttle_keys(email_normalised: str, address: str) -> ThrottleKeys:
    """The keys of an attempt for *email_normalised* (whether or not an account has it) from
    the client *address* (an IPv6 client counts by its /64 network)."""
    client = client_key(address)
    return ThrottleKeys(
        pair=_hash("pair", email_normalised, client),
        address=_hash("address", client),
        account=_hash("account", email_normalised),
    )


def factor_key(user_public_id: str) -> str:
    """The key counting one account's failed second-factor codes (scope ``factor``)."""
    return _hash("factor", user_public_id)


def load_counter(session: Session, key: str) -> Counter | None:
    """One key's counter (None when nothing is remembered), unlocked."""
    return _counter(session.scalar(select(SignInThrottle).where(SignInThrottle.key_hash == key)))


def _counter(row: SignInThrottle | None) -> Counter | None:
    if row is None:
        return None
    return Counter(level=row.level, updated_at=row.updated_at, wait_until=row.wait_until)


def load_counters(session: Session, keys: ThrottleKeys) -> dict[str, Counter | None]:
    """Each scope's counter (None when nothing is remembered), in one query, unlocked."""
    wanted = dict((key, scope) for scope, key in keys.scoped())
    rows = session.scalars(
        select(SignInThrottle).where(SignInThrottle.key_hash.in_(list(wanted)))
    ).all()
    found = {wanted[row.key_hash]: _counter(row) for row in rows}
    return {scope: found.get(scope) for scope, _key in keys.scoped()}


def _locked_row(session: Session, scope: str, key: str, now: dt.datetime) -> SignInThrottle:
    """The row of *key*, created if missing (a concurrent creator is no error), locked."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(SignInThrottle)
        .values(key_hash=key, scope=scope, level=0.0, updated_at=now)
        .on_conflict_do_nothing(index_elements=["key_hash"])
    )
    row = session.scalars(
        select(SignInThrottle)
        .where(SignInThrottle.key_hash == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return row


def count_failure(
    session: Session, scope: str, key: str, throttle: Throttle, now: dt.datetime
) -> tuple[float, Counter]:
    """Add one failure to *key*'s counter; returns the count before it and the new counter
    (with the wait it starts, if any)."""
    row = _locked_row(session, scope, key, now)
    before = _counter(row)
    counter = after_failure(before, now, throttle)
    row.level, row.updated_at, row.wait_until = counter.level, now, counter.wait_until
    return level_at(before, now, throttle), counter


def forget(session: Session, key: str) -> None:
    """Forget *key*'s failures (a correct password for that pair)."""
    session.execute(delete(SignInThrottle).where(SignInThrottle.key_hash == key))


def prune(session: Session, now: dt.datetime) -> None:
    """Delete rows idle for :data:`PRUNE_AFTER`, skipping any another transaction holds."""
    stale = (
        select(SignInThrottle.id)
        .where(SignInThrottle.updated_at < now - PRUNE_AFTER)
        .limit(500)
        .with_for_update(skip_locked=True)
    )
    session.execute(
        delete(SignInThrottle).where(SignInThrottle.id.in_(stale)),
        execution_options={"synchronize_session": False},
    )
