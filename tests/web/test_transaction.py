"""One place commits: a request succeeds and commits once at its end, or it rolls back.

The test routes are added to the test's own app (the access test walks another app), each
writing a row to the organisation table, so whether the row survives the request is whether
the request committed.
"""

from __future__ import annotations

import pytest
from flask import abort, jsonify
from sqlalchemy import select

from certify.access import public
from certify.accounts.models import Organisation, SignInThrottle, User
from certify.db import db_session, read_only
from certify.operations import OperationError
from certify.transaction import attempt, keep_changes
from tests.web.conftest import login


def _add_org(name: str) -> None:
    db_session().add(Organisation(legal_name=name, country="KE", registration_number="R-1"))
    db_session().flush()


def _exists(session, name: str) -> bool:
    session.expire_all()
    return session.scalar(select(Organisation).where(Organisation.legal_name == name)) is not None


@pytest.fixture
def app_config():
    # the test's own /api/ route is not in the OpenAPI document
    return {"VALIDATE_API_RESPONSES": False}


@pytest.fixture
def routes(app):
    """Test routes on this app: each writes an organisation named after itself."""

    def route(rule, methods=("POST",)):
        def register(view):
            view = public(view)
            app.add_url_rule(rule, view.__name__, view, methods=list(methods))
            return view

        return register

    @route("/t/ok")
    def ok():
        _add_org("ok")
        return "done"

    @route("/t/read", methods=("GET",))
    def read():
        _add_org("read")
        return "a page"

    @route("/t/read-post")
    @read_only
    def read_post():
        _add_org("read-post")
        return "an answer"

    @route("/t/refused")
    def refused():
        _add_org("refused")
        abort(400)

    @route("/t/kept")
    def kept():
        _add_org("kept")
        keep_changes()
        return "counted", 401

    @route("/t/operation")
    def operation():
        _add_org("operation")
        raise OperationError("That cannot be done now.", code="not_now")

    @route("/api/t/operation")
    def api_operation():
        _add_org("api-operation")
        raise OperationError("That cannot be done now.", code="not_now")

    @route("/t/attempt")
    def attempted():
        _add_org("before-attempt")
        with attempt() as done:
            _add_org("inside-attempt")
            raise OperationError("Refused.")
        return jsonify(ok=done.ok, message=done.error.message if done.error else None)

    @route("/t/crash", methods=("GET",))
    def crash():
        session = db_session()
        session.add(User(email="twice@example.org", full_name="A", password_hash="x"))
        session.add(User(email="twice@example.org", full_name="B", password_hash="x"))
        session.flush()  # a unique violation: the session now needs a rollback
        return "never"

    return app


def test_a_successful_post_commits(routes, client, session) -> None:
    assert client.post("/t/ok").status_code == 200
    assert _exists(session, "ok")


def test_a_get_never_commits_whatever_it_flushes(routes, client, session) -> None:
    assert client.get("/t/read").status_code == 200
    assert not _exists(session, "read")


def test_a_post_declared_read_only_never_commits(routes, client, session) -> None:
    assert client.post("/t/read-post").status_code == 200
    assert not _exists(session, "read-post")


def test_an_error_response_rolls_back(routes, client, session) -> None:
    assert client.post("/t/refused").status_code == 400
    assert not _exists(session, "refused")


def test_keep_changes_commits_an_error_response(routes, client, session) -> None:
    assert client.post("/t/kept").status_code == 401
    assert _exists(session, "kept")


def test_an_operation_error_no_view_caught_is_a_409_and_rolls_back(routes, client, session):
    response = client.post("/t/operation")
    assert response.status_code == 409
    assert "That cannot be done now." in response.get_data(as_text=True)
    assert not _exists(session, "operation")
    response = client.post("/api/t/operation")
    assert response.status_code == 409
    assert response.json == {"error": {"code": "not_now", "message": "That cannot be done now."}}
    assert not _exists(session, "api-operation")


def test_attempt_rolls_back_at_once_and_reports(routes, client, session) -> None:
    response = client.post("/t/attempt")
    assert response.json == {"ok": False, "message": "Refused."}
    # the whole transaction went: the write before the refused operation too
    assert not _exists(session, "before-attempt") and not _exists(session, "inside-attempt")


def test_a_database_failure_still_gets_the_error_page_with_its_headers(
    routes, client, login_as
) -> None:
    # Signed in: the error page's navigation reads the user, after the failed flush.
    login_as("admin")
    response = client.get("/t/crash")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Sign out" in response.get_data(as_text=True)  # the navigation still knows the user


def test_views_never_commit() -> None:
    """The one place that commits is certify.transaction (and CLI commands)."""
    import pathlib

    import certify

    root = pathlib.Path(certify.__file__).parent
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*views.py")
        if "commit()" in path.read_text() or "rollback()" in path.read_text()
    ]
    assert offenders == []


def test_login_failures_still_count(client, create_user, session) -> None:
    user = create_user("admin")
    assert login(client, user, "wrong password").status_code == 401
    session.expire_all()
    levels = session.scalars(select(SignInThrottle.level)).all()
    assert levels == [1.0, 1.0, 1.0]  # the pair, the client and the e-mail address
