"""The log's public API (``/api/v1/log/*``), a certificate's logged history
(``/api/v1/certificates/<serial>/status``) and the ``/log`` page.

Hashes and roots are standard base64; an entry is given as its exact canonical JSON text (a
string), so a client hashes ``0x00 || UTF-8(entry)`` to get the leaf hash. Bad parameters
are a 400 with ``{"error": {"code", "message"}}``, never a 500.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from certify import clock
from certify.access import public
from certify.certificates.keys import KeyStoreError
from certify.certificates.queries import find_certificate
from certify.core.tlog import merkle
from certify.core.tlog.checkpoint import parse_checkpoint
from certify.core.tlog.note import split_note
from certify.db import db_session
from certify.translog import store
from certify.translog.history import certificate_history
from certify.translog.models import LogEntry
from certify.translog.store import MAX_ENTRIES_PER_PAGE, b64

bp = Blueprint("translog", __name__)

#: Checkpoints and entries change with every append: cache briefly, anyone may read them.
SHORT_CACHE = "public, max-age=10"
LATEST_ON_PAGE = 20
_UINT_RE = re.compile(r"[0-9]{1,19}")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


class BadParameter(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@bp.errorhandler(BadParameter)
def _bad_parameter(error: BadParameter) -> tuple[Response, int]:
    return jsonify({"error": {"code": error.code, "message": error.message}}), 400


@bp.errorhandler(KeyStoreError)
def _keys_missing(error: KeyStoreError) -> tuple[Response, int]:
    # The operator's problem, not the visitor's: say so without details, log the cause.
    current_app.logger.error("key store unavailable: %s", error)
    message = "The registry's log key is not available right now."
    if request.path.startswith("/api/"):
        return jsonify({"error": {"code": "service_unavailable", "message": message}}), 503
    return Response(message, mimetype="text/plain"), 503


def _public(response: Response) -> Response:
    response.headers["Cache-Control"] = SHORT_CACHE
    # Public, read-only data: any origin may read it (no credentials are involved).
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _uint(name: str) -> int:
    value = request.args.get(name)
    if value is None or value == "":
        raise BadParameter("missing_parameter", f"the parameter {name!r} is required")
    if not _UINT_RE.fullmatch(value):
        raise BadParameter(
            "invalid_parameter", f"{name!r} must be a non-negative integer, not {value[:40]!r}"
        )
    return int(value)


def _entry_json(row: LogEntry) -> dict[str, Any]:
    return {
        "index": row.idx,
        "entry": bytes(row.entry).decode("utf-8"),
        "leaf_hash": b64(bytes(row.leaf_hash)),
    }


@bp.get("/api/v1/log/checkpoint")
@public
def checkpoint() -> Response:
    note = store.latest_checkpoint(db_session())
    return _public(Response(note, mimetype="text/plain"))


@bp.get("/api/v1/log/entries")
@public
def entries() -> Response:
    start, end = _uint("start"), _uint("end")
    if end <= start:
        raise BadParameter("invalid_range", "end must be greater than start (end is exclusive)")
    if end - start > MAX_ENTRIES_PER_PAGE:
        raise BadParameter("range_too_large", f"at most {MAX_ENTRIES_PER_PAGE} entries per request")
    session = db_session()
    size = store.log_size(session)
    if start > size:
        raise BadParameter("out_of_range", f"start is beyond the log's {size} entries")
    rows = store.get_entries(session, start, min(end, size))
    return _public(jsonify({"entries": [_entry_json(row) for row in rows]}))


@bp.get("/api/v1/log/proof/inclusion")
@public
def inclusion() -> Response:
    index, size = _uint("index"), _uint("size")
    session = db_session()
    current = store.log_size(session)
    if not index < size <= current:
        raise BadParameter(
            "out_of_range", f"need index < size <= {current} (the log's current size)"
        )
    proof = store.inclusion_proof(session, index, size)
    return _public(
        jsonify(
            {
                "index": proof.index,
                "size": proof.size,
                "leaf_hash": b64(proof.leaf_hash),
                "root_hash": b64(proof.root),
                "hashes": [b64(h) for h in proof.hashes],
            }
        )
    )


@bp.get("/api/v1/log/proof/consistency")
@public
def consistency() -> Response:
    old, new = _uint("old"), _uint("new")
    session = db_session()
    current = store.log_size(session)
    if not 0 < old <= new <= current:
        raise BadParameter(
            "out_of_range", f"need 0 < old <= new <= {current} (the log's current size)"
        )
    proof = store.consistency_proof(session, old, new)
    return _public(
        jsonify(
            {
                "old": proof.old,
                "new": proof.new,
                "old_root_hash": b64(proof.old_root),
                "new_root_hash": b64(proof.new_root),
                "hashes": [b64(h) for h in proof.hashes],
            }
        )
    )


def _parse_at(text: str | None) -> dt.datetime:
    """``at``: an RFC 3339 date-time with a zone, or a date (meaning the end of that UTC day)."""
    if text is None or text == "":
        return clock.now()
    if _DATE_RE.fullmatch(text):
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise BadParameter("invalid_parameter", f"{text!r} is not a valid date") from None
        return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC)
    from certify.core.credentials.dates import parse_datetime

    try:
        return parse_datetime(text)
    except (ValueError, OverflowError):
        raise BadParameter(
            "invalid_parameter",
            "'at' must be an RFC 3339 date-time with a time zone or a date (YYYY-MM-DD)",
        ) from None


@bp.get("/api/v1/certificates/<serial>/status")
@public
def certificate_status(serial: str) -> Response | tuple[Response, int]:
    at = _parse_at(request.args.get("at"))
    session = db_session()
    certificate = find_certificate(session, serial, current_app.config["SERIAL_PREFIX"])
    if certificate is None:
        message = "There is no certificate with this serial."
        return jsonify({"error": {"code": "not_found", "message": message}}), 404
    history = certificate_history(session, certificate.serial)
    status = history.status_at(at, certificate.expires_after)
    return _public(
        jsonify(
            {
                "serial": certificate.serial,
                "at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "status": status,
                "log": {
                    "size": history.size,
                    "root_hash": b64(history.root),
                    "checkpoint": history.checkpoint,
                },
                "entries": [
                    {
                        "index": item.index,
                        "entry": item.entry.decode("utf-8"),
                        "leaf_hash": b64(merkle.leaf_hash(item.entry)),
                        "hashes": [b64(h) for h in item.proof],
                    }
                    for item in history.items
                ],
            }
        )
    )


@bp.get("/log")
@public
def log_page() -> str:
    session = db_session()
    note = store.latest_checkpoint(session)
    text, _ = split_note(note)
    current = parse_checkpoint(text)
    rows = store.get_entries(session, max(0, current.size - LATEST_ON_PAGE), current.size)
    from certify.core.tlog.entry import parse_log_entry

    latest = [(row.idx, parse_log_entry(bytes(row.entry))) for row in reversed(rows)]
    return render_template(
        "translog/log.html",
        checkpoint=note,
        size=current.size,
        root=b64(current.root_hash),
        origin=current.origin,
        latest=latest,
        verifier_key=store.current_verifier_key(),
    )
