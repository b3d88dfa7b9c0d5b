"""The JSON API: certificates, a ping, the OpenAPI document and its readable page.

``GET /api/v1/certificates/<serial>`` is the hot path. The certificate's record never
changes, so the JSON made from it is cached in process per serial; every request still reads
the live lifecycle columns (one indexed SQLAlchemy Core query), so a status change shows on
the very next request. The status history is cached under the lifecycle values it was read
with (every change moves ``status_changed_at``), so it is re-read exactly when it changed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
from collections import OrderedDict
from typing import Any, NamedTuple

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import Engine, bindparam, event, select
from werkzeug.wrappers import Response as BaseResponse

from certify.access import public
from certify.api.openapi import openapi_document
from certify.certificates.models import Certificate, CertificateStatusChange
from certify.certificates.serials import canonical_serial
from certify.core.credentials.dates import format_datetime
from certify.db import db_session, get_db, utcnow
from certify.ratelimit import public_limit
from certify.registry import search as s
from certify.registry.views import change_word

bp = Blueprint("api", __name__)

cert = Certificate.__table__
change = CertificateStatusChange.__table__
CACHE_SIZE = 20_000

_LIVE = select(
    cert.c.id,
    cert.c.status,
    cert.c.status_changed_at,
    cert.c.valid_until,
    cert.c.suspended_until,
    cert.c.superseded_by_id,
).where(cert.c.serial == bindparam("serial"))
_RECORD = select(cert.c.snapshot).where(cert.c.id == bindparam("id"))
_HISTORY = (
    select(
        change.c.changed_at,
        change.c.previous_status,
        change.c.new_status,
        change.c.reason_category,
    )
    .where(change.c.certificate_id == bindparam("id"))
    .order_by(change.c.changed_at, change.c.id)
)
_SERIAL_OF = select(cert.c.serial).where(cert.c.id == bindparam("id"))


class _LRU:
    """A small thread-safe LRU map (gunicorn sync workers are single-threaded; the dev
    server is not)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.data: OrderedDict[Any, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self.lock:
            value = self.data.get(key)
            if value is not None:
                self.data.move_to_end(key)
            return value

    def put(self, key: Any, value: Any) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)


def _caches() -> tuple[_LRU, _LRU]:
    return current_app.extensions["certify.api.caches"]


def _json(data: Any, status: int = 200) -> Response:
    response = Response(_dumps(data), status=status, mimetype="application/json")
    # Public, read-only data: any origin may read it; statuses move, so revalidate.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "no-cache"
    return response


def links(serial: str) -> dict[str, str]:
    base = current_app.config["PUBLIC_URL"]
    return {
        "page": f"{base}/registry/{serial}",
        "credential": f"{base}/certificates/{serial}.json",
        "pdf": f"{base}/certificates/{serial}.pdf",
        "verify": f"{base}/verify/{serial}",
        "api": f"{base}/api/v1/certificates/{serial}",
    }


def record_json(serial: str, snapshot: dict[str, Any]) -> dict[str, Any]:
    """The immutable part of a certificate's API answer, from its snapshot (camelCase kept)."""
    keys = (
        "holder",
        "sites",
        "scope",
        "standard",
        "level",
        "overallScore",
        "sectionScores",
        "validFrom",
        "validUntil",
        "issuedOn",
        "surveillanceDue",
    )
    record = {k: snapshot[k] for k in keys if k in snapshot}
    record["links"] = links(serial)
    return record


@bp.get("/api/v1/ping")
@public
def ping() -> Response:
    return _json({"status": "ok"})


@bp.get("/api/v1/certificates")
@public_limit("api")
@public
def list_certificates() -> Response:
    try:
        filters = s.parse_filters(request.args)
        page = s.parse_page(request.args.get("page"), maximum=100_000) or 1
        per_page = (
            s.parse_page(request.args.get("per_page"), "per_page", maximum=s.MAX_PER_PAGE)
            or s.DEFAULT_PER_PAGE
        )
    except s.FilterError as error:
        abort(400, str(error))
    result = s.search(db_session(), filters, page=page, per_page=per_page, now=utcnow())
    items = [
        {
            "serial": row["serial"],
            "status": row["status"].value,
            "holder": {"name": row["holder_name"], "country": row["holder_country"]},
            "standard": {"id": row["standard_id"], "version": row["standard_version"]},
            "level": row["level"],
            "validFrom": format_datetime(row["valid_from"]),
            "validUntil": format_datetime(row["valid_until"]),
            "links": links(row["serial"]),
        }
        for row in result.rows
    ]
    return _json(
        {"items": items, "page": result.page, "per_page": result.per_page, "total": result.total}
    )


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
    reader = current_app.extensions.get("certify.api.live_reader")
    if reader is not None and get_db().session_factory.kw.get("bind") is reader.engine:
        return reader(serial)
    return db_session().execute(_LIVE, {"serial": serial}).first()


def _record_text(live: Any, serial: str) -> str:
    """The cached JSON members (without braces) made from the immutable record."""
    records, _histories = _caches()
    text = records.get(live.id)
    if text is None:
        snapshot = json.loads(db_session().execute(_RECORD, {"id": live.id}).scalar_one())
        text = _dumps(record_json(serial, snapshot))[1:-1]
        records.put(live.id, text)
    return text


def _history_text(live: Any) -> str:
    """The cached ``supersededBy`` and ``statusHistory`` members, keyed by the lifecycle
    values they were read with: any status change moves ``status_changed_at``."""
    _records, histories = _caches()
    key = (live.id, live.status, live.status_changed_at, live.suspended_until)
    text = histories.get(key)
    if text is None:
        session = db_session()
        history = [
            {
                "changedAt": format_datetime(row.changed_at),
                "change": change_word(row.previous_status, row.new_status),
                "previousStatus": row.previous_status,
                "newStatus": row.new_status,
                "reasonCategory": row.reason_category,
            }
            for row in session.execute(_HISTORY, {"id": live.id})
        ]
        superseded_by = None
        if live.superseded_by_id is not None:
            superseded_by = session.execute(_SERIAL_OF, {"id": live.superseded_by_id}).scalar()
        text = _dumps({"supersededBy": superseded_by, "statusHistory": history})[1:-1]
        histories.put(key, text)
    return text


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@bp.get("/api/v1/certificates/<serial>")
@public_limit("api")
@public
def get_certificate(serial: str) -> BaseResponse:
    if len(serial) > 64 or not serial.isprintable():
        # never a serial; and PostgreSQL refuses NUL characters in a query outright
        abort(404, "There is no certificate with this serial.")
    live = live_row(serial)
    if live is None:
        canonical = canonical_serial(serial)
        if canonical is not None and canonical != serial:
            return redirect(url_for("api.get_certificate", serial=canonical), code=301)
        abort(404, "There is no certificate with this serial.")
    now = utcnow()
    head = _dumps(
        {
            "serial": serial,
            "status": s.live_status(live.status, live.valid_until, now).value,
            "suspendedUntil": (
                format_datetime(live.suspended_until) if live.suspended_until else None
            ),
            "asOf": format_datetime(now),
        }
    )
    body = f"{head[:-1]},{_record_text(live, serial)},{_history_text(live)}}}"
    response = Response(body, mimetype="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/api/v1/openapi.json")
@public
def openapi() -> Response:
    response = _json(openapi_document(current_app.config["PUBLIC_URL"]))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/api/docs")
@public
def docs() -> str:
    document = openapi_document(current_app.config["PUBLIC_URL"])
    return render_template(
        "api/docs.html",
        document=document,
        operations=_operations(document),
        schemas={k: json.dumps(v, indent=2) for k, v in document["components"]["schemas"].items()},
    )


def _schema_name(item: dict[str, Any], document: dict[str, Any]) -> tuple[str, list[str], str]:
    """(description, media types, schema name or '') of a response item."""
    if "$ref" in item:
        item = document["components"]["responses"][item["$ref"].rsplit("/", 1)[1]]
    content = item.get("content", {})
    names = []
    for media in content.values():
        ref = media.get("schema", {}).get("$ref", "")
        names.append(ref.rsplit("/", 1)[1] if ref else "")
    return item.get("description", ""), list(content), next((n for n in names if n), "")


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    operations = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = []
            for status, response in operation["responses"].items():
                description, media, schema = _schema_name(response, document)
                responses.append(
                    {"status": status, "description": description, "media": media, "schema": schema}
                )
            body = operation.get("requestBody", {}).get("content", {})
            operations.append(
                {
                    "id": operation["operationId"],
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": operation.get("parameters", []),
                    "body": list(body),
                    "responses": responses,
                }
            )
    return operations


def init_app(app: Flask) -> None:
    from certify.api import validation

    app.register_blueprint(bp)
    app.extensions["certify.api.caches"] = (_LRU(CACHE_SIZE), _LRU(CACHE_SIZE))
    app.extensions["certify.api.live_reader"] = LiveReader(get_db(app).engine)
    validation.init_app(app, openapi_document())
