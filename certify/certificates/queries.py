"""Reading certificates: by serial, live lifecycle columns, and the words for status changes.

Every page and API route that takes a serial reads the certificate through here:
:func:`certificate_by_serial` (canonical serial, or None), :func:`find_certificate` (a serial
as typed), :func:`certificate_or_404`. The hot paths (the API and the QR-code target) read the
live lifecycle columns with :func:`live_row`, outside the ORM.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from typing import Any, NamedTuple

from flask import abort
from sqlalchemy import Engine, bindparam, event, select
from sqlalchemy.orm import Session

from certify import clock
from certify.certificates.models import Certificate, CertificateStatus
from certify.core.serial import SerialError, normalise_serial
from certify.db import db_session, get_db
from certify.state import app_state

cert = Certificate.__table__

#: What a status change did, in one word, by the new status (None: the issuance).
CHANGE_WORDS = {
    None: "issued",
    "active": "reinstated",
    "suspended": "suspended",
    "withdrawn": "withdrawn",
    "superseded": "superseded",
    "expired": "expired",
}


def change_word(previous: str | None, new: str) -> str:
    """What a status change did, in one word: issued, suspended, reinstated ..."""
    if previous is None:
        return "issued"
    return CHANGE_WORDS.get(new, new)


def certificates_of_application(session: Session, application_id: int) -> list[Certificate]:
    """The certificates issued on an application's decision, newest first."""
    return list(
        session.scalars(
            select(Certificate)
            .where(Certificate.application_id == application_id)
            .order_by(Certificate.issued_at.desc())
        )
    )


def certificate_by_serial(session: Session, serial: str) -> Certificate | None:
    """The certificate with exactly this (canonical) serial, or None."""
    return session.scalar(select(Certificate).where(Certificate.serial == serial))


def find_certificate(session: Session, text: str, prefix: str) -> Certificate | None:
    """The certificate whose serial *text* is, as typed (any case, spaces, O for 0...);
    None when it is not a serial or no certificate has it."""
    try:
        serial = normalise_serial(text, prefix)
    except SerialError:
        return None
    return certificate_by_serial(session, serial)


def certificate_or_404(serial: str) -> Certificate:
    """The certificate with this canonical serial, for a view.

    Raises:
        NotFound: no certificate has it (404).
    """
    certificate = certificate_by_serial(db_session(), serial)
    if certificate is None:
        abort(404)
    return certificate


# --------------------------------------------------------------------------- live columns

_LIVE = select(
    cert.c.id,
    cert.c.status,
    cert.c.status_changed_at,
    cert.c.valid_until,
    cert.c.suspended_until,
    cert.c.superseded_by_id,
).where(cert.c.serial == bindparam("serial"))


class Live(NamedTuple):
    id: int
    status: str
    status_changed_at: dt.datetime | None
    valid_until: dt.datetime
    suspended_until: dt.datetime | None
    superseded_by_id: int | None


def _utc(value: Any) -> dt.datetime | None:
    # What UTCDateTime does on the way out: SQLite gives naive UTC text, PostgreSQL aware.
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _leave_autocommit(dbapi_connection: Any, _record: Any) -> None:
    with contextlib.suppress(Exception):  # a broken connection is discarded anyway
        if getattr(dbapi_connection, "autocommit", False):
            dbapi_connection.autocommit = False


class LiveReader:
    """Reads the lifecycle columns of one certificate with the Core statement compiled once
    for the engine's dialect, on a DBAPI connection the reader keeps (one per thread) in
    autocommit mode: no ORM session, no pool checkout, no pre-ping and no rollback per
    request. In autocommit every SELECT sees the latest committed data, so a status change is
    seen by the next request."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        compiled = _LIVE.compile(dialect=engine.dialect)
        self.sql = str(compiled)
        self.positional = bool(compiled.positional)
        self.local = threading.local()
        if engine.dialect.name == "postgresql":
            # A reader's connection goes back to the pool when its thread ends (a threaded
            # server runs each request in a new thread). It must not go back in autocommit:
            # the next ORM session would have no transaction, and no savepoints.
            event.listen(engine, "checkin", _leave_autocommit)

    def _connect(self) -> Any:
        connection = self.engine.raw_connection()  # kept checked out for this thread
        driver = connection.driver_connection
        if self.engine.dialect.name == "postgresql":
            driver.rollback()  # type: ignore[union-attr]
            driver.autocommit = True  # type: ignore[union-attr]
        # SQLite connections are already in autocommit (certify.db sets isolation_level None)
        self.local.connection = connection
        return connection

    def _discard(self) -> None:
        connection = getattr(self.local, "connection", None)
        self.local.connection = None
        if connection is not None:
            with contextlib.suppress(Exception):  # already broken: nothing to save
                connection.invalidate()

    def close(self) -> None:
        """Close this thread's connection (tests; a server keeps it for its lifetime)."""
        self._discard()

    def _fetch(self, serial: str) -> Any:
        connection = getattr(self.local, "connection", None) or self._connect()
        params: Any = (serial,) if self.positional else {"serial": serial}
        cursor = connection.cursor()
        try:
            cursor.execute(self.sql, params)
            return cursor.fetchone()
        finally:
            cursor.close()

    def __call__(self, serial: str) -> Live | None:
        try:
            row = self._fetch(serial)
        except Exception:
            # a dropped connection (database restart): reconnect once
            self._discard()
            row = self._fetch(serial)
        if row is None:
            return None
        return Live(row[0], row[1], _utc(row[2]), _utc(row[3]), _utc(row[4]), row[5])  # type: ignore[arg-type]


def live_row(serial: str) -> Any:
    """The lifecycle columns of *serial*, read now. In production the session factory is
    bound to the engine and the :class:`LiveReader` is used; tests bind sessions to their
    rolled-back connection, so there the request's session reads."""
    reader = app_state().live_reader
    if reader is not None and get_db().session_factory.kw.get("bind") is reader.engine:
        return reader(serial)
    return db_session().execute(_LIVE, {"serial": serial}).first()


def current_certificate(session: Session, organisation_id: int) -> Certificate | None:
    """The organisation's certificate in force (active or suspended, not expired), newest
    first."""
    now = clock.now()
    rows = session.scalars(
        select(Certificate)
        .where(
            Certificate.organisation_id == organisation_id,
            Certificate.status.in_(
                [CertificateStatus.ACTIVE.value, CertificateStatus.SUSPENDED.value]
            ),
        )
        .order_by(Certificate.issued_at.desc())
    ).all()
    return next((c for c in rows if c.expires_after > now), None)


def certified_since(session: Session, certificate: Certificate) -> dt.datetime:
    """When the holder was first certified without a break: the ``valid_from`` of the first
    certificate in the chain of supersessions that ends at *certificate* (the registry page,
    the API, the ISSP's cycle page, and at issuance the new credential's ``certifiedSince``
    and a renewal's PDF)."""
    first, seen = certificate, {certificate.id}
    while True:
        earlier = session.scalar(
            select(Certificate).where(Certificate.superseded_by_id == first.id)
        )
        if earlier is None or earlier.id in seen:
            return first.valid_from
        seen.add(earlier.id)
        first = earlier
