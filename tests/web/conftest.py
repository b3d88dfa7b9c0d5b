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
from certify.db import get_db

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
        "PUBLIC_URL": "http://registry.test",
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
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A session on the test transaction, for arranging and checking data."""
    with app.app_context():
        from certify.db import db_session

        yield db_session()
