"""Database plumbing: the declarative base, UTC timestamps, sessions and migrations.

One SQLAlchemy session per request (or CLI command), created on first use and closed when
the application context ends. Operations flush; the view or command commits once.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import (
    DateTime,
    Engine,
    MetaData,
    String,
    create_engine,
    event,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MIGRATIONS = Path(__file__).parent / "migrations"


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every database.

    PostgreSQL stores ``timestamptz``; SQLite has no zone support, so the value is stored
    as naive UTC and given its zone back when read. Naive datetimes are refused on the way
    in: a naive value is ambiguous, and silently guessing its zone is how audit times drift.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: certify stores aware UTC datetimes only")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Base of every model: constraint names follow one convention so migrations are stable."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime()}


def new_public_id() -> str:
    """A random opaque identifier for URLs (128 bits, URL-safe, no sequential information)."""
    return secrets.token_urlsafe(16)


PublicId = String(32)


def _configure_sqlite(engine: Engine) -> None:
    """Make SQLite behave: foreign keys, WAL, a busy timeout and real transactions.

    pysqlite's own transaction handling breaks savepoints and delays BEGIN; we switch it off
    and emit BEGIN ourselves (the SQLAlchemy-documented recipe). Writing sessions begin with
    BEGIN IMMEDIATE so they take the write lock before their first read: two requests can then
    never both read the audit chain's head and then both append after it.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # 16 MiB of page cache per connection (SQLite's default is 2 MiB). It fills only as
            # pages are used; with a large transparency log the default made every append read
            # the right edge of its B-trees back from the OS (log append at 1,000,000 entries:
            # 1.1 ms median with 2 MiB, 0.6 ms with 16; more brought nothing; bench_translog).
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


#: Page cache per SQLite connection, in KiB (see the ``connect`` hook).
SQLITE_CACHE_KIB = 16 * 1024


def make_engine(url: str, echo: bool = False) -> Engine:
    """Create an engine for *url* with certify's settings for its dialect."""
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
        path = url.split("///", 1)[-1]
        if path and path != ":memory:" and "/" in path:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


class Database:
    """The app's engine and session factory (``app_state().db``).

    Tests replace :attr:`session_factory` to bind sessions to a connection whose outer
    transaction is rolled back after each test.
    """

    def __init__(self, url: str, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo)
        self.session_factory: sessionmaker[Session] = sessionmaker(
            bind=self.engine, expire_on_commit=False
        )
        # Writers on SQLite begin IMMEDIATE; PostgreSQL ignores the option.
        self.writer_factory: sessionmaker[Session] = sessionmaker(
            bind=self.engine.execution_options(sqlite_immediate=True), expire_on_commit=False
        )

    def new_session(self, writer: bool = True) -> Session:
        """A new session; *writer* sessions take SQLite's write lock at BEGIN."""
        return (self.writer_factory if writer else self.session_factory)()


def get_db(app: Flask | None = None) -> Database:
    """The :class:`Database` of *app* (default: the current app)."""
    from certify.state import app_state

    return app_state(app).db


F = TypeVar("F", bound=Callable[..., Any])

#: Methods that never change state: their requests read only, whatever the view.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def read_only(view: F) -> F:
    """Declare that *view* only reads, whatever its method (a POST that computes an answer,
    such as verifying an uploaded document). Its requests get a reader session, which on
    SQLite never waits for another process's write lock, and they never commit
    (:func:`certify.transaction.finish_request`)."""
    view.certify_read_only = True  # type: ignore[attr-defined]
    return view


def records(view: F) -> F:
    """Declare that *view* writes although its method is safe: a GET that must leave a record
    (a staff member's download of evidence is an audit event, issue 24). Its requests get a
    writer session and commit on success like a POST."""
    view.certify_records = True  # type: ignore[attr-defined]
    return view


def request_is_read_only() -> bool:
    """True in a request with a safe method (GET, HEAD, OPTIONS) or to a view declared
    :func:`read_only` (looking through ``functools.wraps`` layers); False outside requests
    (CLI commands write)."""
    if not has_request_context():
        return False
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    declared: bool | None = None
    while view is not None and declared is None:
        if getattr(view, "certify_read_only", False):
            declared = True
        elif getattr(view, "certify_records", False):
            declared = False
        view = getattr(view, "__wrapped__", None)
    if declared is not None:
        return declared
    return request.method in SAFE_METHODS


def db_session() -> Session:
    """The session of the current request or command, created on first use.

    Requests that can change state (anything but GET, HEAD and OPTIONS, unless the view is
    declared :func:`read_only`) and CLI commands get writer sessions; reads get plain ones so
    they never wait for a writer on SQLite.
    """
    session: Session | None = g.get("_certify_db_session")
    if session is None:
        session = get_db().new_session(writer=not request_is_read_only())
        g._certify_db_session = session
    return session


def _close_session(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("_certify_db_session", None)
    if session is not None:
        session.close()


def discard_session() -> None:
    """Roll back and close the current session, if any; the next :func:`db_session` call
    starts a fresh one. For error handling: a failed flush or commit leaves the session
    unusable until rolled back, and nothing in it is worth keeping."""
    session: Session | None = g.pop("_certify_db_session", None)
    if session is None:
        return
    try:
        session.rollback()
        session.close()
    except Exception:  # a broken connection: the pool discards it; nothing here to save
        log.warning("discarding a failed database session", exc_info=True)


def init_app(app: Flask) -> Database:
    """Make *app*'s database and close each context's session at its end."""
    app.teardown_appcontext(_close_session)
    return Database(app.config["DATABASE_URL"], app.config["DATABASE_ECHO"])


def alembic_config(connection: Connection | None = None, url: str | None = None) -> AlembicConfig:
    """An Alembic configuration for certify's migrations, on *connection* or *url*."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade_database(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to *revision* on *engine* (idempotent)."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)
