"""Sign-in throttling policy: free failures, then growing waits; leaking counts; alerts."""

from __future__ import annotations

import datetime as dt

import pytest

from certify.core.lockout import (
    Counter,
    SignInPolicy,
    Throttle,
    after_failure,
    client_key,
    crossed_limit,
    level_at,
    wait_after,
    waiting_until,
)

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
PAIR = Throttle(
    limit=5,
    leak=dt.timedelta(minutes=15),
    first_wait=dt.timedelta(seconds=30),
    max_wait=dt.timedelta(minutes=15),
)
SECOND = dt.timedelta(seconds=1)


def fail(times: int, throttle: Throttle = PAIR, start: Counter | None = None) -> Counter | None:
    counter = start
    for _ in range(times):
        counter = after_failure(counter, NOW, throttle)
    return counter


def test_failures_up_to_the_limit_are_free() -> None:
    counter = fail(5)
    assert counter is not None and counter.level == 5
    assert counter.wait_until is None and waiting_until(counter, NOW) is None


def test_waits_grow_after_the_limit_and_stop_at_the_longest() -> None:
    waits = [wait_after(level, PAIR).total_seconds() for level in range(5, 14)]
    assert waits[:6] == [0, 30, 60, 120, 240, 480]
    assert waits[6:] == [900, 900, 900]


def test_the_sixth_failure_makes_the_next_attempt_wait() -> None:
    counter = fail(6)
    assert counter is not None
    assert waiting_until(counter, NOW) == NOW + 30 * SECOND
    assert waiting_until(counter, NOW + 30 * SECOND) is None  # the wait is over


def test_failures_leak_away() -> None:
    counter = fail(5)
    assert level_at(counter, NOW + dt.timedelta(minutes=30), PAIR) == 3
    assert level_at(counter, NOW + dt.timedelta(days=1), PAIR) == 0
    # occasional typing mistakes never add up to a wait
    counter = None
    for hour in range(48):
        counter = after_failure(counter, NOW + dt.timedelta(hours=hour), PAIR)
        assert counter.wait_until is None


def test_the_count_stops_where_the_wait_is_longest() -> None:
    counter = fail(1000)
    assert counter is not None and counter.level == pytest.approx(PAIR.cap)
    assert wait_after(counter.level, PAIR) == PAIR.max_wait
    # so an attacker's pair drains in hours, not days
    assert level_at(counter, NOW + dt.timedelta(hours=3), PAIR) == 0


def test_a_throttle_without_waits_only_counts() -> None:
    account = SignInPolicy().account
    counter = fail(100, account)
    assert counter is not None and counter.wait_until is None


def test_the_alert_fires_once_when_the_limit_is_crossed() -> None:
    account = SignInPolicy().account
    counter: Counter | None = None
    alerts = 0
    for _ in range(40):
        before = level_at(counter, NOW, account)
        counter = after_failure(counter, NOW, account)
        alerts += crossed_limit(before, counter.level, account)
    assert alerts == 1


def test_the_default_policy_lets_an_office_share_an_address() -> None:
    policy = SignInPolicy()
    assert policy.address.limit > policy.pair.limit
    assert policy.account.first_wait == dt.timedelta(0)  # the account scope never waits


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("unknown", "unknown"),
    ],
)
def test_an_ipv6_client_counts_by_its_64_network(address, key) -> None:
    assert client_key(address) == key
