"""The audit trail in the database: appends, append-only rows, concurrency and `audit verify`."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text

from certify import create_app
from certify.audit.models import AuditEvent, AuditHead
from certify.audit.operations import record_event, verify_audit_chain
from certify.core.actor import Actor
from certify.db import get_db
from tests.web.conftest import make_test_config

ACTOR = Actor.cli("tester")


def test_events_chain_and_verify(session) -> None:
    first = record_event(session, ACTOR, "thing.created", "thing", "t1", after={"a": 1})
    second = record_event(
        session,
        ACTOR,
        "thing.changed",
        "thing",
        "t1",
        reason="typo",
        reason_category="administrative",
        before={"a": 1},
        after={"a": 2},
    )
    assert second.prev_hash == first.hash and second.seq == first.seq + 1
    assert first.after == '{"a":1}'
    assert session.get(AuditHead, 1).head_hash == second.hash
    report = verify_audit_chain(session)
    assert report.ok and report.checked == second.seq


def test_actor_is_recorded_as_given(session) -> None:
    event = record_event(session, Actor.user("AbC123"), "x.y")
    assert event.actor == "user:AbC123"
    assert event.occurred_at.tzinfo is not None


@pytest.fixture
def live_app(fresh_database_url, tmp_path):
    app = create_app(make_test_config(fresh_database_url, str(tmp_path / "instance")))
    yield app
    get_db(app).engine.dispose()


def _append(app, n: int, label: str) -> None:
    db = get_db(app)
    with db.new_session(writer=True) as s:
        for i in range(n):
            record_event(s, ACTOR, "test.append", "thing", f"{label}-{i}")
        s.commit()


def test_rows_are_append_only_in_the_database(live_app) -> None:
    _append(live_app, 2, "a")
    with get_db(live_app).new_session() as s:
        with pytest.raises(Exception, match="append-only"):
            s.execute(text("UPDATE audit_event SET actor = 'cli:mallory' WHERE seq = 1"))
        s.rollback()
        with pytest.raises(Exception, match="append-only"):
            s.execute(text("DELETE FROM audit_event WHERE seq = 1"))
        s.rollback()


def test_concurrent_appends_never_fork_the_chain(live_app) -> None:
    threads = [threading.Thread(target=_append, args=(live_app, 10, f"t{k}")) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with get_db(live_app).new_session(writer=False) as s:
        report = verify_audit_chain(s)
        assert report.ok, report.problem
        assert report.checked == 60
        assert s.scalar(select(AuditHead.length)) == 60


def _drop_triggers(app) -> None:
    """What an attacker with database administrator rights could do."""
    db = get_db(app)
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("DROP TRIGGER audit_event_append_only ON audit_event"))
        else:
            conn.execute(text("DROP TRIGGER audit_event_no_update"))
            conn.execute(text("DROP TRIGGER audit_event_no_delete"))


def _verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def test_audit_verify_passes_on_an_intact_trail(live_app) -> None:
    _append(live_app, 3, "ok")
    result = _verify(live_app)
    assert result.exit_code == 0, result.output
    assert "3 event(s) checked" in result.output


TAMPERING = {
    "seq": "seq = 99",
    "occurred_at": "occurred_at = occurred_at + INTERVAL '1 second'",
    "actor": "actor = 'cli:mallory'",
    "action": "action = 'test.other'",
    "subject_type": "subject_type = 'other'",
    "subject_id": "subject_id = 'other'",
    "reason_category": "reason_category = 'fraud'",
    "reason": "reason = 'added later'",
    "before": "before = '{}'",
    "after": "after = '[2]'",
    "prev_hash": "prev_hash = '" + "1" * 64 + "'",
    "canonical": "canonical = canonical || canonical",
    "hash": "hash = '" + "2" * 64 + "'",
}


@pytest.mark.parametrize("column", sorted(TAMPERING))
def test_changing_any_column_makes_audit_verify_fail_naming_the_event(live_app, column) -> None:
    assert {c.name for c in AuditEvent.__table__.columns} == set(TAMPERING)  # every column
    _append(live_app, 4, "x")
    _drop_triggers(live_app)
    change = TAMPERING[column]
    db = get_db(live_app)
    if db.engine.dialect.name == "sqlite":
        change = change.replace(
            "occurred_at + INTERVAL '1 second'", "datetime(occurred_at, '+1 second')"
        )
    with db.engine.begin() as conn:
        conn.execute(text(f"UPDATE audit_event SET {change} WHERE seq = 3"))
    result = _verify(live_app)
    assert result.exit_code == 1
    assert "event #3" in result.output or "event #99" in result.output


def test_deleting_an_event_makes_audit_verify_fail(live_app) -> None:
    _append(live_app, 4, "x")
    _drop_triggers(live_app)
    with get_db(live_app).engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq = 2"))
    result = _verify(live_app)
    assert (
        result.exit_code == 1 and "event #3" in result.output and "#2 is missing" in result.output
    )


def test_deleting_the_newest_event_makes_audit_verify_fail(live_app) -> None:
    _append(live_app, 4, "x")
    _drop_triggers(live_app)
    with get_db(live_app).engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq = 4"))
    result = _verify(live_app)
    assert result.exit_code == 1 and "removed" in result.output
