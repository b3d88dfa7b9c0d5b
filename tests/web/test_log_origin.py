"""The log's origin is fixed when the log is created and stored (issue 20, migration 0015):
changing ``PUBLIC_URL`` later neither breaks ``log verify`` nor starts a second log; an
existing log keeps the origin its checkpoints carry."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select, text

from certify import clock, create_app
from certify.certificates.keys import get_keystore
from certify.certificates.rotation import rotate_keys
from certify.core.tlog.checkpoint import parse_checkpoint
from certify.core.tlog.note import open_note
from certify.db import get_db, make_engine, upgrade_database
from certify.translog.models import LogHead
from certify.translog.steps import log_key_changes
from tests.web.conftest import make_test_config


@pytest.fixture
def live_app(fresh_database_url, tmp_path):
    app = create_app(make_test_config(fresh_database_url, str(tmp_path / "instance")))
    yield app
    get_db(app).engine.dispose()


def _log_keys(app) -> None:
    with app.app_context(), get_db(app).new_session() as session:
        log_key_changes(session, get_keystore(), clock.now())
        session.commit()


def test_changing_public_url_keeps_the_log_and_log_verify_passes(live_app) -> None:
    _log_keys(live_app)  # the log is created under http://registry.test
    live_app.config["PUBLIC_URL"] = "https://certify.example.org"
    result = live_app.test_cli_runner().invoke(args=["log", "verify"])
    assert result.exit_code == 0, result.output
    assert "log intact" in result.output and "origin registry.test/log" in result.output
    assert "PUBLIC_URL now gives certify.example.org/log" in result.output
    with live_app.app_context():
        rotate_keys()
    _log_keys(live_app)  # appends after the change go on under the stored origin
    result = live_app.test_cli_runner().invoke(args=["log", "verify"])
    assert result.exit_code == 0, result.output
    client = live_app.test_client()
    pub = client.get("/.well-known/certify/log.pub").text.strip()
    assert pub.startswith("registry.test/log+")
    assert json.loads(client.get("/.well-known/certify/keys.json").data)["log_key"] == pub
    checkpoint = parse_checkpoint(open_note(client.get("/api/v1/log/checkpoint").text, [pub]))
    assert checkpoint.origin == "registry.test/log" and checkpoint.size == 4
    with get_db(live_app).new_session() as session:
        head = session.scalar(select(LogHead))
        assert head is not None and head.origin == "registry.test/log"


def test_a_new_log_takes_its_origin_from_public_url_at_its_first_append(
    fresh_database_url, tmp_path
) -> None:
    config = make_test_config(
        fresh_database_url, str(tmp_path / "i"), PUBLIC_URL="https://a.example"
    )
    app = create_app(config)
    try:
        with get_db(app).new_session() as session:
            assert session.scalar(select(LogHead.origin)) is None
        _log_keys(app)
        with get_db(app).new_session() as session:
            assert session.scalar(select(LogHead.origin)) == "a.example/log"
    finally:
        get_db(app).engine.dispose()


def test_the_migration_keeps_an_existing_logs_origin_and_last_time(tmp_path) -> None:
    from tests.conftest import new_database_url

    url, cleanup = new_database_url(str(tmp_path), "origin")
    engine = make_engine(url)
    try:
        upgrade_database(engine, "0012")
        entry = json.dumps({"index": 0, "time": "2026-02-03T04:05:06Z"}).encode()
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO log_entry (idx, event, serial, entry, leaf_hash) "
                    "VALUES (0, 'credential_key_added', NULL, :entry, :leaf)"
                ),
                {"entry": entry, "leaf": b"\0" * 32},
            )
            conn.execute(
                text("INSERT INTO log_checkpoint (size, note) VALUES (1, :note)"),
                {"note": "old.example/log\n1\nAAAA\n\n— old.example/log sig\n"},
            )
            conn.execute(text("UPDATE log_head SET size = 1 WHERE id = 1"))
        upgrade_database(engine)
        with engine.connect() as conn:
            row = conn.execute(text("SELECT origin, last_time FROM log_head")).one()
        assert tuple(row) == ("old.example/log", "2026-02-03T04:05:06Z")
    finally:
        engine.dispose()
        cleanup()  # type: ignore[operator]


def test_entry_times_never_run_backwards(live_app) -> None:
    from certify.core.tlog.entry import LogEvent
    from certify.translog.store import append_entry, current_signer

    later = dt.datetime(2030, 1, 1, 12, 0, 30, tzinfo=dt.UTC)
    with live_app.app_context(), get_db(live_app).new_session() as session:
        signer = current_signer(session)
        append_entry(session, LogEvent.CREDENTIAL_KEY_ADDED, later, key_id="a", signer=signer)
        earlier = later - dt.timedelta(seconds=20)
        second = append_entry(
            session, LogEvent.CREDENTIAL_KEY_ADDED, earlier, key_id="b", signer=signer
        )
        session.commit()
    assert json.loads(second.entry)["time"] == "2030-01-01T12:00:30Z"
