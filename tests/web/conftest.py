"""Web fixtures: the app on the migrated test database, one rolled-back transaction per test."""

from __future__ import annotations

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


@pytest.fixture
def create_user(app: Flask, session: Session):
    """Factory: ``create_user(role, ...)`` makes a user (ISSP users get an organisation)."""
    from certify.accounts.models import Role
    from certify.accounts.operations import SiteData, create_staff_user, register_issp
    from certify.core.actor import Actor

    counter = {"n": 0}

    def make(
        *roles: str, email: str | None = None, password: str = PASSWORD, org_name: str | None = None
    ):
        with app.app_context():
            return _make(*roles, email=email, password=password, org_name=org_name)

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


def login(client: FlaskClient, user_or_email: Any, password: str = PASSWORD):
    """Sign *user_or_email* in through the real login form; returns the response."""
    email = getattr(user_or_email, "email", user_or_email)
    return client.post("/login", data={"email": email, "password": password})


@pytest.fixture
def login_as(client: FlaskClient, create_user):
    """``login_as("admin")`` creates a user with those roles, signs in, returns the user."""

    def do(*roles: str, **kwargs: Any):
        user = create_user(*roles, **kwargs)
        response = login(client, user)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return do
