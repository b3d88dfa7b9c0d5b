"""Sign-in throttling policy: when to slow down and when to lock, as a pure function.

Counting failures and storing locks is the web side's job; deciding is here so the rules are
tested on their own and the same for accounts and client addresses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class LockoutPolicy:
    """Failures before slowing down, failures before locking, how long a lock lasts."""

    slowdown_after: int = 3
    lock_after: int = 10
    lock_minutes: int = 15
    delay_step_seconds: float = 0.5
    max_delay_seconds: float = 3.0


@dataclass(frozen=True)
class Assessment:
    """What to do with a sign-in attempt: refuse because locked, and how long to delay."""

    locked: bool
    locked_until: dt.datetime | None
    delay_seconds: float


def assess(
    failures: int, locked_until: dt.datetime | None, now: dt.datetime, policy: LockoutPolicy
) -> Assessment:
    """Assess an attempt given the failures counted so far and any current lock.

    A lock in force refuses the attempt whatever the password. Otherwise, past
    ``slowdown_after`` failures each answer is delayed a little more (capped), which makes
    guessing slow without letting one client tie up a worker for long.
    """
    if locked_until is not None and locked_until > now:
        return Assessment(True, locked_until, 0.0)
    extra = failures - policy.slowdown_after + 1
    delay = 0.0 if extra <= 0 else min(extra * policy.delay_step_seconds, policy.max_delay_seconds)
    return Assessment(False, None, delay)


def after_failure(
    failures: int, now: dt.datetime, policy: LockoutPolicy
) -> tuple[int, dt.datetime | None]:
    """The new failure count and, when it reaches the threshold, the end of the lock."""
    failures += 1
    if failures >= policy.lock_after:
        return failures, now + dt.timedelta(minutes=policy.lock_minutes)
    return failures, None
