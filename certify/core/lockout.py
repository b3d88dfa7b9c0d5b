"""Sign-in throttling policy, as pure functions: when a failed sign-in makes the next attempt
wait, and when an account's owner should hear about guessing.

Failures are counted in three scopes, each keyed by what was *submitted*, never by whether an
account exists (so the answers are the same for unknown and known e-mail addresses):

- the **pair** (e-mail address, client address): guessing one account from one place. Past
  a few failures that client waits before it may try that account again, for longer after
  each further failure. Nobody else waits: the account's owner signing in from elsewhere is
  never refused because of someone else's guesses.
- the **client address**: guessing many accounts from one place (password spraying). The
  limit is higher, since an office or a mobile network shares one address.
- the **account** (e-mail address, from anywhere): never makes anyone wait (that would let
  anyone lock anyone out), but crossing its limit alerts the owner (an ``account.throttled``
  audit event).

Each scope is a leaky bucket: a failure adds one, and one is forgotten every ``leak``, so
occasional typing mistakes never add up while steady guessing does. Counting and storing is
the web side's job (``certify.accounts.throttle``).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Throttle:
    """One scope's rule: ``limit`` recent failures are free; past it each failure makes the
    next attempt wait ``first_wait``, doubled for each further failure, at most ``max_wait``.
    One failure is forgotten every ``leak``. A zero ``first_wait`` never makes anyone wait."""

    limit: int
    leak: dt.timedelta
    first_wait: dt.timedelta = dt.timedelta(0)
    max_wait: dt.timedelta = dt.timedelta(0)

    @property
    def cap(self) -> float:
        """The most failures remembered: the count at which the wait reaches ``max_wait``
        (more would only make an attacker's bucket take longer to drain, for nothing)."""
        if not self.first_wait or self.max_wait <= self.first_wait:
            return float(self.limit + 1)
        return self.limit + 1 + math.log2(self.max_wait / self.first_wait)


@dataclass(frozen=True)
class Counter:
    """Recent failures in one scope (``level``, at ``updated_at``) and any wait in force."""

    level: float
    updated_at: dt.datetime
    wait_until: dt.datetime | None = None


@dataclass(frozen=True)
class SignInPolicy:
    """The three scopes' rules (see the module's docstring)."""

    pair: Throttle = Throttle(
        limit=5,
        leak=dt.timedelta(minutes=15),
        first_wait=dt.timedelta(seconds=30),
        max_wait=dt.timedelta(minutes=15),
    )
    address: Throttle = Throttle(
        limit=20,
        leak=dt.timedelta(minutes=5),
        first_wait=dt.timedelta(seconds=30),
        max_wait=dt.timedelta(minutes=15),
    )
    account: Throttle = Throttle(limit=20, leak=dt.timedelta(minutes=15))


def level_at(counter: Counter | None, now: dt.datetime, throttle: Throttle) -> float:
    """The failures *counter* still remembers at *now* (one leaks away every ``leak``)."""
    if counter is None:
        return 0.0
    elapsed = max((now - counter.updated_at) / throttle.leak, 0.0)
    return max(counter.level - elapsed, 0.0)


def wait_after(level: float, throttle: Throttle) -> dt.timedelta:
    """How long the next attempt waits once *level* failures are remembered: nothing up to
    ``limit``, then ``first_wait`` doubling with each further failure, at most ``max_wait``."""
    excess = level - throttle.limit
    if excess <= 0 or not throttle.first_wait:
        return dt.timedelta(0)
    return min(throttle.first_wait * 2 ** (excess - 1), throttle.max_wait)


def after_failure(counter: Counter | None, now: dt.datetime, throttle: Throttle) -> Counter:
    """*counter* after one more failure at *now*, with the wait it starts (if any)."""
    level = min(level_at(counter, now, throttle) + 1, throttle.cap)
    wait = wait_after(level, throttle)
    return Counter(level=level, updated_at=now, wait_until=now + wait if wait else None)


def waiting_until(counter: Counter | None, now: dt.datetime) -> dt.datetime | None:
    """The end of the wait *counter* imposes at *now*, or None when it imposes none."""
    if counter is None or counter.wait_until is None or counter.wait_until <= now:
        return None
    return counter.wait_until


def crossed_limit(before: float, after: float, throttle: Throttle) -> bool:
    """True when a failure took the count from below ``limit`` to ``limit`` or more: the
    moment to alert, once, until the count has leaked below the limit again."""
    return before < throttle.limit <= after


def client_key(address: str) -> str:
    """What identifies a client for throttling: its IPv4 address, or the /64 network of an
    IPv6 address (one home or server is usually given a whole /64, so counting single IPv6
    addresses would let a client start afresh by changing its address). Anything that is not
    an IP address is kept as it is."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)
