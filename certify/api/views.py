"""The JSON API: certificates, a ping, the OpenAPI document and its readable page.

``GET /api/v1/certificates/<serial>`` is the hot path. The certificate's record never
changes, so the JSON made from it is cached in process per serial; every request still reads
the live lifecycle columns (one indexed SQLAlchemy Core query), so a status change shows on
the very next request. The status history is cached under the lifecycle values it was read
with (every change moves ``status_changed_at``), so it is re-read exactly when it changed.
"""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import bindparam, select
from werkzeug.wrappers import Response as BaseResponse

from certify import clock
from certify.access import public
from certify.api.openapi import openapi_document
from certify.certificates.models import Certificate, CertificateStatusChange
from certify.certificates.queries import certified_since, change_word, live_row
from certify.certificates.serials import canonical_serial
from certify.core.credentials.dates import format_datetime
from certify.db import db_session
from certify.ratelimit import public_limit
from certify.registry import search as s
from certify.state import app_state

bp = Blueprint("api", __name__)

cert = Certificate.__table__
change = CertificateStatusChange.__table__

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
    result = s.search(db_session(), filters, page=page, per_page=per_page, now=clock.now())
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


def _record_text(live: Any, serial: str) -> str:
    """The cached JSON members (without braces) made from the immutable record, and
    ``certifiedSince`` (its chain of predecessors is fixed at issuance)."""
    records = app_state().caches.api_records
    text = records.get(live.id)
    if text is None:
        session = db_session()
        snapshot = json.loads(session.execute(_RECORD, {"id": live.id}).scalar_one())
        record = record_json(serial, snapshot)
        certificate = session.get(Certificate, live.id)
        assert certificate is not None
        record["certifiedSince"] = format_datetime(certified_since(session, certificate))
        text = _dumps(record)[1:-1]
        records.put(live.id, text)
    return text


def _history_text(live: Any) -> str:
    """The cached ``supersededBy`` and ``statusHistory`` members, keyed by the lifecycle
    values they were read with: any status change moves ``status_changed_at``."""
    histories = app_state().caches.api_histories
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
    now = clock.now()
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
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    serial = db_session().scalar(select(Certificate.serial).order_by(Certificate.id).limit(1))
    operations = _operations(document)
    for op in operations:
        op["examples"] = _examples(op, base, serial or "ISR-0000-0000-0000-0")
    return render_template(
        "api/docs.html",
        document=document,
        operations=operations,
        schemas={k: json.dumps(v, indent=2) for k, v in document["components"]["schemas"].items()},
    )


#: Example values for query parameters in the generated examples (the rest are left out).
_EXAMPLE_VALUES = {
    "country": "KE",
    "status": "active",
    "at": "2026-06-30T12:00:00Z",
    "index": "0",
    "size": "1",
    "old": "1",
    "new": "2",
    "start": "0",
    "end": "10",
}


def _examples(op: dict[str, Any], base: str, serial: str) -> list[str]:
    """Ready-to-paste curl commands for *op*: path parameters filled in (a real serial of this
    registry when there is one), required query parameters and a few telling optional ones,
    the API token's header where the operation needs one."""
    path = op["path"].replace("{serial}", serial)
    query = [
        f"{p['name']}={_EXAMPLE_VALUES[p['name']]}"
        for p in op["parameters"]
        if p.get("in") == "query" and p["name"] in _EXAMPLE_VALUES
    ]
    url = base + path + ("?" + "&".join(query) if query else "")
    head = "curl -s" + (' -H "Authorization: Bearer $CERTIFY_API_TOKEN"' if op["secured"] else "")
    if op["method"] in ("GET", "DELETE"):
        return [f"{head}{' -X DELETE' if op['method'] == 'DELETE' else ''} '{url}'"]
    if not op["body"]:
        return [f"{head} -X {op['method']} '{url}'"]
    examples = []
    for media in op["body"]:
        if media == "multipart/form-data":
            examples.append(f"{head} -F 'file=@certificate.pdf' '{url}'")
        else:
            name = (
                "credential.json"
                if path.endswith("/verify")
                else "request" + (".json" if "json" in media else ".txt")
            )
            examples.append(f"{head} -H 'Content-Type: {media}' --data-binary '@{name}' '{url}'")
    return examples


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
                    "secured": bool(operation.get("security")),
                }
            )
    return operations
