"""Sign-in throttling policy."""

from __future__ import annotations

import datetime as dt

from certify.core.lockout import LockoutPolicy, after_failure, assess

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
POLICY = LockoutPolicy(
    slowdown_after=3, lock_after=10, lock_minutes=15, delay_step_seconds=0.5, max_delay_seconds=3.0
)


def test_no_delay_before_the_slowdown_threshold() -> None:
    for failures in range(3):
        assert assess(failures, None, NOW, POLICY).delay_seconds == 0


def test_delay_grows_then_caps() -> None:
    delays = [assess(f, None, NOW, POLICY).delay_seconds for f in range(3, 20)]
    assert delays[:4] == [0.5, 1.0, 1.5, 2.0]
    assert delays == sorted(delays)
    assert max(delays) == 3.0


def test_the_tenth_failure_locks_for_the_configured_time() -> None:
    failures, lock = 0, None
    for _ in range(9):
        failures, lock = after_failure(failures, NOW, POLICY)
        assert lock is None
    failures, lock = after_failure(failures, NOW, POLICY)
    assert lock == NOW + dt.timedelta(minutes=15)


def test_a_lock_in_force_refuses_and_an_expired_one_does_not() -> None:
    until = NOW + dt.timedelta(minutes=1)
    assert assess(0, until, NOW, POLICY).locked
    assert not assess(0, until, until + dt.timedelta(seconds=1), POLICY).locked
