"""The application factory, configuration, security headers and error pages."""

from __future__ import annotations

import secrets

import pytest
from flask import Flask, request
from flask_wtf import FlaskForm
from wtforms import StringField

from certify import create_app
from certify.config import ConfigurationError
from tests.web.conftest import make_test_config


def test_refuses_to_start_without_a_real_secret_key(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("CERTIFY_SECRET_KEY", raising=False)
    for secret in (None, "dev", "short"):
        with pytest.raises(ConfigurationError, match="secret key"):
            create_app({"SECRET_KEY": secret, "INSTANCE_PATH": str(tmp_path)})


def test_configuration_order_defaults_instance_env_test(tmp_path, monkeypatch) -> None:
    secret = secrets.token_urlsafe(48)  # made here: a key written in the repository is refused
    (tmp_path / "config.py").write_text(
        f'SECRET_KEY = "{secret}"\nREGISTRY_NAME = "From file"\n'
        'SERIAL_PREFIX = "FIL"\nMAX_UPLOAD_MB = 5\n'
    )
    monkeypatch.delenv("CERTIFY_SECRET_KEY", raising=False)
    monkeypatch.setenv("CERTIFY_REGISTRY_NAME", "From env")
    monkeypatch.setenv("CERTIFY_MAX_UPLOAD_MB", "7")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SERIAL_PREFIX": "TST"})
    assert app.config["SECRET_KEY"] == secret  # file beats default
    assert app.config["REGISTRY_NAME"] == "From env"  # env beats file
    assert app.config["MAX_UPLOAD_MB"] == 7  # env values are parsed
    assert app.config["SERIAL_PREFIX"] == "TST"  # the test mapping beats everything
    assert app.config["DATABASE_URL"].startswith("sqlite:///" + str(tmp_path))


def test_https_public_url_makes_cookies_secure(tmp_path) -> None:
    app = create_app(
        make_test_config("sqlite://", str(tmp_path), PUBLIC_URL="https://reg.example/")
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["PUBLIC_URL"] == "https://reg.example"
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_home_page(client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert b"Impact Sourcing Service Providers" in response.data
    assert b'<html lang="en">' in response.data


@pytest.mark.parametrize("path", ["/", "/does-not-exist", "/api/v1/does-not-exist"])
def test_security_headers_on_every_response(client, path) -> None:
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def test_no_inline_script_in_pages(client) -> None:
    body = client.get("/").get_data(as_text=True)
    assert "<script>" not in body and " onclick=" not in body and " style=" not in body


def test_404_is_a_friendly_page_for_people_and_json_under_api(client) -> None:
    page = client.get("/nowhere")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert b"There is nothing at this address" in page.data
    api = client.get("/api/v1/nowhere")
    assert api.status_code == 404 and api.is_json
    assert api.json["error"]["code"] == "not_found" and api.json["error"]["message"]


def test_405_under_api_is_json(client) -> None:
    response = client.delete("/healthz")
    assert response.status_code == 405


def _add_test_routes(app: Flask) -> None:
    from flask_wtf.csrf import generate_csrf

    from certify.access import public
    from certify.security import csrf

    class NameForm(FlaskForm):
        name = StringField()

    @app.post("/_test/form")
    @public
    def form_view():  # type: ignore[no-untyped-def]
        form = NameForm()
        return ("ok", 200) if form.validate_on_submit() else ("invalid", 422)

    @app.get("/_test/token")
    @public
    def token_view():  # type: ignore[no-untyped-def]
        return generate_csrf()

    @app.post("/_test/upload")
    @csrf.exempt
    @public
    def upload_view():  # type: ignore[no-untyped-def]
        return str(len(request.form))

    @app.get("/_test/boom")
    @public
    def boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internal detail")

    @app.get("/api/_test/boom")
    @public
    def api_boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internal detail")


@pytest.fixture
def strict_app(migrated_engine, database_url, tmp_path):
    app = create_app(
        make_test_config(
            database_url,
            str(tmp_path),
            WTF_CSRF_ENABLED=True,
            PROPAGATE_EXCEPTIONS=False,
            MAX_CONTENT_LENGTH=1024,
        )
    )
    _add_test_routes(app)
    return app


def test_post_without_csrf_token_is_400(strict_app) -> None:
    client = strict_app.test_client()
    response = client.post("/_test/form", data={"name": "x"})
    assert response.status_code == 400
    assert b"nothing was saved" in response.data


def test_post_with_csrf_token_passes(strict_app) -> None:
    client = strict_app.test_client()
    token = client.get("/_test/token").get_data(as_text=True)
    assert client.post("/_test/form", data={"name": "x", "csrf_token": token}).status_code == 200
    assert (
        client.post("/_test/form", data={"name": "x", "csrf_token": token + "x"}).status_code == 400
    )


def test_request_size_limit_gives_413(strict_app) -> None:
    client = strict_app.test_client()
    response = client.post("/_test/upload", data={"f": "x" * 5000})
    assert response.status_code == 413
    assert b"too large" in response.data


def test_unexpected_errors_are_friendly_and_hide_details(strict_app) -> None:
    client = strict_app.test_client()
    page = client.get("/_test/boom")
    assert page.status_code == 500 and b"secret internal detail" not in page.data
    assert b"Something went wrong" in page.data
    api = client.get("/api/_test/boom")
    assert api.status_code == 500 and api.json["error"]["code"] == "internal_server_error"


def test_405_under_api_is_json_with_allow(client) -> None:
    response = client.delete("/api/v1/verify")
    assert response.status_code == 405
    assert response.is_json and response.json["error"]["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]


def test_double_slashes_are_not_redirected(client) -> None:
    # found by the property run: /api/v1/certificates/%2F0 used to answer an HTML 308
    response = client.get("/api/v1/certificates/%2F0")
    assert response.status_code == 404
    assert response.is_json


def test_sqlite_connections_get_the_larger_page_cache(app) -> None:
    from certify.db import SQLITE_CACHE_KIB, get_db

    engine = get_db(app).engine
    if engine.dialect.name != "sqlite":
        assert engine.dialect.name == "postgresql"  # the pragma is SQLite's; nothing to check
        return
    with engine.connect() as connection:
        size = connection.exec_driver_sql("PRAGMA cache_size").scalar()
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    assert size == -SQLITE_CACHE_KIB
    assert mode == "wal"


def test_readyz_names_what_works(client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "checks": {
            "database": {"ok": True},
            "keys": {"ok": True},
            "storage": {"ok": True},
            "jobs": {"ok": True},
        },
    }


def test_readyz_says_when_the_database_is_down_while_healthz_stays_up(tmp_path) -> None:
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    down = "postgresql+psycopg://postgres@127.0.0.1:1/certify?connect_timeout=2"
    app = create_app(make_test_config(down, str(tmp_path / "instance")))
    client = app.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert "127.0.0.1:1" not in response.get_data(as_text=True)  # no connection details
    assert client.get("/healthz").status_code == 200  # the process itself is up


def test_a_template_printing_an_undefined_value_fails_in_tests(app) -> None:
    """The suite runs with TEMPLATES_REFUSE_UNDEFINED_OUTPUT: printing a missing value (a
    misspelt attribute, an index into an object that has none) is an error, not an empty
    string; testing one (``if``, ``is defined``, ``or``) is allowed, and so is the CSRF field
    a test turned off."""
    import jinja2
    from flask import render_template_string

    with app.test_request_context():
        env = app.jinja_env
        assert render_template_string("{% if missing %}x{% endif %}{{ missing or 'y' }}") == "y"
        assert render_template_string("[{{ form.csrf_token }}]", form=object()) == "[]"
        for source in ("{{ missing }}", "{{ thing.name }}", "{{ pair[0] }}"):
            with pytest.raises(jinja2.UndefinedError):
                render_template_string(source, thing=object(), pair=object())
        assert env.undefined.__name__ == "PrintedUndefined"
