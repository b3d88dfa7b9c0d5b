"""Fixtures shared by every test.

The schema is built by running the migrations (never ``create_all``), once per test session,
on SQLite by default or on the database named by ``CERTIFY_TEST_DATABASE_URL``. Each web test
runs inside a transaction that is rolled back afterwards; tests that need real commits (threads,
CLI, a live server) ask for ``fresh_database_url``, a database of their own.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
from hypothesis import settings
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from certify.db import make_engine, upgrade_database

# Property tests explore new examples on developers' machines; in CI they replay a fixed
# sequence, so a submission is judged on the same examples every time (what developers find is
# added as an explicit test).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

TEST_DATABASE_URL = os.environ.get("CERTIFY_TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")


def _require_tools() -> bool:
    return os.environ.get("CERTIFY_REQUIRE_TOOLS", "") not in ("", "0")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI (CERTIFY_REQUIRE_TOOLS=1) a skipped test fails: nothing may quietly not run."""
    report = yield
    if _require_tools() and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped in CI, where nothing may be skipped: {reason}"
    return report


def _schema_url(base: str, schema: str) -> str:
    url = make_url(base)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


def _create_schema(schema: str) -> None:
    engine = make_engine(TEST_DATABASE_URL)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


def _drop_schema(schema: str) -> None:
    engine = make_engine(TEST_DATABASE_URL)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def new_database_url(tmp_dir: str, label: str) -> tuple[str, object]:
    """A new empty database: a SQLite file in *tmp_dir*, or a new PostgreSQL schema.

    Returns the URL and a cleanup callable.
    """
    if ON_POSTGRES:
        schema = f"certify_{label}_{secrets.token_hex(4)}"
        _create_schema(schema)
        return _schema_url(TEST_DATABASE_URL, schema), lambda: _drop_schema(schema)
    return f"sqlite:///{tmp_dir}/{label}.sqlite3", lambda: None


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[str]:
    """The session's shared test database, migrated to head."""
    url, cleanup = new_database_url(str(tmp_path_factory.mktemp("db")), f"main_{worker_id}")
    yield url
    cleanup()  # type: ignore[operator]


@pytest.fixture(scope="session")
def migrated_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade_database(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def fresh_database_url(tmp_path) -> Iterator[str]:
    """A database of the test's own, migrated, whose commits are real."""
    url, cleanup = new_database_url(str(tmp_path), "fresh")
    engine = make_engine(url)
    upgrade_database(engine)
    engine.dispose()
    yield url
    cleanup()  # type: ignore[operator]


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A real S3-compatible server (SeaweedFS) for this test session (one per xdist worker)."""
    from tests.s3_server import start_seaweedfs

    server = start_seaweedfs(tmp_path_factory.mktemp("seaweedfs"))
    server.create_bucket(S3_TEST_BUCKET)
    yield server
    server.stop()


#: One bucket per server (SeaweedFS gives each bucket volumes of its own); each test gets a
#: fresh, empty prefix in it.
S3_TEST_BUCKET = "certify-tests"


@pytest.fixture
def s3_settings(s3_server) -> dict[str, object]:
    """certify's settings for a new, empty prefix of the test bucket on :func:`s3_server`."""
    return {**s3_server.settings(S3_TEST_BUCKET), "S3_PREFIX": f"t-{secrets.token_hex(6)}"}
