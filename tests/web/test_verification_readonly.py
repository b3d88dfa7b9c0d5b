"""Verification only reads: ``POST /verify`` and ``POST /api/v1/verify`` get reader sessions,
so a long writer holding SQLite's write lock does not make them wait (they used to wait the
15 s busy timeout and answer 500; issue 25, finding 5)."""

from __future__ import annotations

import io
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from certify import clock, create_app
from certify.db import db_session, get_db, make_engine
from tests.conftest import ON_POSTGRES
from tests.web.conftest import make_test_config

#: Far below the 15 s a writer session waits for SQLite's lock before failing.
PROMPT_SECONDS = 5.0


@pytest.fixture
def live_app(fresh_database_url, tmp_path):
    app = create_app(make_test_config(fresh_database_url, str(tmp_path / "instance")))
    yield app
    get_db(app).engine.dispose()


def _issue(app) -> bytes:
    """Issue one certificate for real (committed); return its credential."""
    from benchmarks.bench_issuance import _answers, _decided_application
    from certify.core.actor import Actor
    from certify.core.scoring.engine import score
    from certify.lifecycle import issue_certificate
    from certify.standards.operations import get_rubric

    with app.app_context():
        session = db_session()
        rubric = get_rubric("isrps", "1.0")
        certificate = issue_certificate(
            session,
            _decided_application(session, rubric, 1),
            score=score(rubric, _answers(rubric)),
            rubric=rubric,
            decided_at=clock.now(),
            actor=Actor.cli("tests"),
        )
        session.commit()
        return bytes(certificate.credential)


@contextmanager
def writer_holding_the_lock(url: str) -> Iterator[None]:
    """Another connection in the middle of a long write: on SQLite it holds the database's
    write lock (BEGIN IMMEDIATE); on PostgreSQL it holds the certificate table in EXCLUSIVE
    mode (only plain reads may proceed)."""
    if ON_POSTGRES:
        engine = make_engine(url)
        with engine.connect() as conn:
            conn.execute(text("LOCK TABLE certificate IN EXCLUSIVE MODE"))
            yield
            conn.rollback()
        engine.dispose()
        return
    conn = sqlite3.connect(make_url(url).database, isolation_level=None, timeout=1)
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def test_verification_answers_promptly_while_a_writer_holds_the_lock(
    live_app, fresh_database_url
) -> None:
    credential = _issue(live_app)
    client = live_app.test_client()
    with writer_holding_the_lock(fresh_database_url):
        started = time.monotonic()
        api = client.post("/api/v1/verify", data=credential, content_type="application/json")
        api_seconds = time.monotonic() - started
        started = time.monotonic()
        page = client.post(
            "/verify",
            data={"file": (io.BytesIO(credential), "certificate.json")},
            content_type="multipart/form-data",
        )
        page_seconds = time.monotonic() - started
    assert api.status_code == 200, api.get_data(as_text=True)[:300]
    assert api.json["verdict"] == "valid"
    assert api.json["certificate"] is not None  # the registry's record was read
    assert api_seconds < PROMPT_SECONDS
    assert page.status_code == 200
    assert "Genuine and valid" in page.get_data(as_text=True)
    assert page_seconds < PROMPT_SECONDS
