"""The audit hash chain, without a database."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from certify.core.actor import Actor
from certify.core.audit_chain import (
    GENESIS_HASH,
    EventFields,
    StoredEvent,
    event_bytes,
    event_hash,
    verify_chain,
)

T0 = dt.datetime(2026, 11, 28, 4, 5, 6, 123456, tzinfo=dt.UTC)


def build_chain(n: int) -> list[StoredEvent]:
    events, prev = [], GENESIS_HASH
    for i in range(1, n + 1):
        fields = EventFields(
            i,
            T0 + dt.timedelta(seconds=i),
            f"user:u{i}",
            "thing.changed",
            "thing",
            f"t{i}",
            None,
            None,
            None,
            '{"x":1}',
            prev,
        )
        data = event_bytes(fields)
        prev = event_hash(data)
        events.append(StoredEvent(fields, data, prev))
    return events


def test_an_intact_chain_verifies() -> None:
    chain = build_chain(5)
    report = verify_chain(chain, 5, chain[-1].hash)
    assert report.ok and report.checked == 5


def test_an_empty_chain_verifies_against_the_genesis_head() -> None:
    assert verify_chain([], 0, GENESIS_HASH).ok


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(EventFields)])
def test_changing_any_field_names_that_event(field: str) -> None:
    chain = build_chain(4)
    target = chain[2]
    value = getattr(target.fields, field)
    if isinstance(value, int):
        new = value + 7
    elif isinstance(value, dt.datetime):
        new = value + dt.timedelta(microseconds=1)
    elif value is None:
        new = "inserted"
    else:
        new = value + "x"
    chain[2] = dataclasses.replace(
        target, fields=dataclasses.replace(target.fields, **{field: new})
    )
    report = verify_chain(chain, 4, chain[-1].hash)
    assert not report.ok
    # the row is named by its stored position (as altered, when the position itself was)
    assert report.event_seq == chain[2].fields.seq


def test_changing_stored_bytes_or_hash_is_caught() -> None:
    chain = build_chain(3)
    chain[1] = dataclasses.replace(chain[1], canonical=chain[1].canonical + b" ")
    assert verify_chain(chain, 3, chain[-1].hash).event_seq == 2
    chain = build_chain(3)
    chain[1] = dataclasses.replace(chain[1], hash="f" * 64)
    assert verify_chain(chain, 3, chain[-1].hash).event_seq == 2


def test_removing_an_event_in_the_middle_is_caught() -> None:
    chain = build_chain(5)
    head = chain[-1].hash
    del chain[2]
    report = verify_chain(chain, 5, head)
    assert not report.ok and report.event_seq == 4 and "#3" in (report.problem or "")


def test_removing_the_newest_event_is_caught_by_the_head() -> None:
    chain = build_chain(5)
    head = chain[-1].hash
    report = verify_chain(chain[:-1], 5, head)
    assert not report.ok and "head" in (report.problem or "")


def test_a_missing_head_fails() -> None:
    assert not verify_chain(build_chain(1), None, None).ok


def test_naive_times_are_refused() -> None:
    fields = EventFields(
        1,
        dt.datetime(2026, 1, 1),
        "cli:x",
        "a",
        None,
        None,
        None,
        None,
        None,
        None,
        GENESIS_HASH,
    )
    with pytest.raises(ValueError, match="timezone"):
        event_bytes(fields)


def test_actor_strings() -> None:
    assert str(Actor.user("abc_DEF-1")) == "user:abc_DEF-1"
    assert str(Actor.cli("root")) == "cli:root"
    assert str(Actor.cli("we ird/name")) == "cli:we_ird_name"
    assert Actor.parse("system:expiry") == Actor.system("expiry")
    with pytest.raises(ValueError):
        Actor.parse("nobody")
    with pytest.raises(ValueError):
        Actor("user", "has space")
