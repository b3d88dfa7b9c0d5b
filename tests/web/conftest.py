"""Web fixtures: the app on the migrated test database, one rolled-back transaction per test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from certify import create_app
from certify.clock import ManualClock
from certify.db import get_db
from certify.state import app_state

SECRET = "test-secret-key-that-is-long-enough"


def make_test_config(database_url: str, instance_path: str, **overrides: Any) -> dict[str, Any]:
    """The settings every test app starts from."""
    config: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": SECRET,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": instance_path,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        # Every /api/ response is checked against the OpenAPI document (certify.api.validation).
        "VALIDATE_API_RESPONSES": True,
        # A template that would print an undefined value (a misspelt name, an index into an
        # object that has none) fails the test instead of showing nothing.
        "TEMPLATES_REFUSE_UNDEFINED_OUTPUT": True,
        "PUBLIC_URL": "http://registry.test",
        # jobs (outbox delivery) run where they are enqueued; mail goes to instance/mail/
        "JOBS_URL": "immediate",
        # Cheap argon2 parameters: the suite hashes many passwords.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "ARGON2_PARALLELISM": 1,
    }
    config.update(overrides)
    return config


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Override settings for one test: ``@pytest.mark.parametrize`` or a fixture of its own."""
    return {}


@pytest.fixture
def app(migrated_engine: Engine, database_url: str, tmp_path, app_config) -> Iterator[Flask]:
    application = create_app(
        make_test_config(database_url, str(tmp_path / "instance"), **app_config)
    )
    db = get_db(application)
    connection = migrated_engine.connect()
    outer = connection.begin()
    # Sessions join the outer transaction through savepoints, so a view's commit() is real
    # for the test yet everything is rolled back afterwards.
    factory = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    db.session_factory = db.writer_factory = factory
    yield application
    outer.rollback()
    connection.close()
    db.engine.dispose()


@pytest.fixture
def clock(app: Flask) -> ManualClock:
    """The app's clock, stopped at the current time; tests move it with ``advance``/``set``."""
    manual = ManualClock()
    app_state(app).clock = manual
    return manual


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A session on the test transaction, for arranging and checking data.

    It deliberately lives outside any app context: requests made by the test client must get
    app contexts (and so ``g``, the signed-in user and their own sessions) of their own.
    """
    s = get_db(app).session_factory()
    yield s
    s.close()


# -- people ---------------------------------------------------------------------------------

PASSWORD = "correct horse battery"
#: The TOTP secret of every test user whose role must hold a second factor (SECOND_FACTOR_ROLES).
TEST_TOTP_SECRET = "TESTSONLYTOTPSECRETFORCERTIFYABC"


@pytest.fixture
def create_user(app: Flask, session: Session):
    """Factory: ``create_user(role, ...)`` makes a user (ISSP users get an organisation)."""
    from certify.accounts.factors import add_totp, must_hold_second_factor
    from certify.accounts.models import Role
    from certify.accounts.operations import SiteData, create_staff_user, register_issp
    from certify.core.actor import Actor

    counter = {"n": 0}

    def make(
        *roles: str,
        email: str | None = None,
        password: str = PASSWORD,
        org_name: str | None = None,
        second_factor: bool | None = None,
    ):
        """*second_factor*: give the user the TOTP app of TEST_TOTP_SECRET (default: when
        their role must hold a second factor, as staff enrolled already would)."""
        with app.app_context():
            user = _make(*roles, email=email, password=password, org_name=org_name)
            if second_factor is None:
                second_factor = must_hold_second_factor(user)
            if second_factor:
                add_totp(session, Actor.cli("tests"), user, TEST_TOTP_SECRET)
                session.commit()
            return user

    def _make(*roles: str, email: str | None, password: str, org_name: str | None):
        counter["n"] += 1
        n = counter["n"]
        roles = roles or ("issp",)
        email = email or f"{'-'.join(roles)}{n}@example.org"
        if roles == ("client",):
            from certify.accounts.operations import new_user

            user = new_user(session, email, f"Client {n}", password, {Role.CLIENT})
        elif "issp" in roles:
            user = register_issp(
                session,
                legal_name=org_name or f"Org {n} Ltd",
                country="KE",
                registration_number=f"REG-{n}",
                website=None,
                sites=[SiteData(f"Site {n}", f"Street {n}, Nairobi", "KE")],
                full_name=f"Member {n}",
                email=email,
                password=password,
            )
        else:
            user = create_staff_user(
                session,
                Actor.cli("tests"),
                email=email,
                full_name=f"Staff {n}",
                password=password,
                roles={Role(r) for r in roles},
            )
        session.commit()
        return user

    return make


def login(client: FlaskClient, user_or_email: Any, password: str = PASSWORD, **query: str):
    """Sign *user_or_email* in through the real login form, answering the second-factor step
    with the user's TOTP app when it comes; returns the last response."""
    email = getattr(user_or_email, "email", user_or_email)
    response = client.post(
        "/login", data={"email": email, "password": password}, query_string=query
    )
    if response.status_code == 302 and response.location.startswith("/login/second-factor"):
        code = totp_code_for(client.application, email)
        assert code is not None, f"{email} has no authenticator app"
        response = client.post("/login/second-factor", data={"code": code})
    return response


def totp_code_for(app: Flask, email: str) -> str | None:
    """A TOTP code of *email*'s app that the server accepts now: in a step at most one away
    from the app's clock and after the last step used (each code works once); None when they
    have no app."""
    from sqlalchemy import select

    from certify.accounts.factor_models import TotpCredential
    from certify.accounts.models import User, normalise_email
    from certify.accounts.totp_secrets import read_secret
    from certify.core.second_factor import TOTP_STEP, TOTP_WINDOW, step_at, totp_code

    with get_db(app).session_factory() as s:
        row = s.execute(
            select(TotpCredential, User)
            .join(User, User.id == TotpCredential.user_id)
            .where(User.email_normalised == normalise_email(email))
        ).first()
        if row is None:
            return None
        credential, user = row
        with app.app_context():  # the secret is sealed by the app's key-encryption key
            secret = read_secret(credential, user)
        app_clock = app_state(app).clock
        current = step_at(app_clock.now())
        last = credential.last_step if credential.last_step is not None else current - 99
        step = max(current, last + 1)  # not current - 1: the step may turn before the check
        if step > current + TOTP_WINDOW and isinstance(app_clock, ManualClock):
            # every code of this minute was used: a test on its own clock waits for the next
            app_clock.advance(dt.timedelta(seconds=TOTP_STEP * (step - current - TOTP_WINDOW)))
            current = step_at(app_clock.now())
        assert step <= current + TOTP_WINDOW, (
            f"every TOTP code of {email} in this minute was used: use the clock fixture"
        )
        return totp_code(secret, step)


@pytest.fixture
def login_as(client: FlaskClient, create_user):
    """``login_as("admin")`` creates a user with those roles, signs in, returns the user."""

    def do(*roles: str, **kwargs: Any):
        user = create_user(*roles, **kwargs)
        response = login(client, user)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return do


# -- a PKCS#11 token ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory):
    """One real SoftHSM2 token for the session (``tests/softhsm.py``): SoftHSM reads its token
    folder once per process, so the token is made once (defined here, once, so every module
    shares it) and each test's keys live in it side by side, told apart by their random
    ``CKA_ID``. A missing SoftHSM2 or python-pkcs11 skips, and fails in CI
    (``CERTIFY_REQUIRE_TOOLS``)."""
    from tests.core.tools import require_tool, tools_required
    from tests.softhsm import make_token, softhsm_module

    require_tool("softhsm2-util")
    if softhsm_module() is None:
        message = "the SoftHSM2 PKCS#11 module is missing (Debian package softhsm2)"
        if tools_required():
            pytest.fail(f"{message}, and CERTIFY_REQUIRE_TOOLS is set")
        pytest.skip(message)
    pytest.importorskip("pkcs11", reason="python-pkcs11 (test extra) is not installed")
    return make_token(tmp_path_factory.mktemp("softhsm"))


@pytest.fixture
def token_config(softhsm, tmp_path) -> dict[str, Any]:
    """certify's settings for the session's token (the PIN in a file in instance/), with a
    label prefix of the test's own: objects found by label (the evidence KEK) stay apart."""
    import secrets

    return {
        **softhsm.settings(tmp_path / "instance" / "pkcs11-pin"),
        "PKCS11_LABEL_PREFIX": f"t{secrets.token_hex(4)}",
    }
