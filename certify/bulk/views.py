"""``/verify/bulk`` (a page) and ``POST /api/v1/verify/bulk``: many certificates at once."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from certify import clock
from certify.access import public
from certify.bulk.forms import BulkForm
from certify.bulk.lookup import look_up
from certify.core.clients.bulk import MAX_BYTES, BulkInputError, Entry, decode, parse, to_csv
from certify.core.credentials.dates import format_datetime
from certify.db import db_session, read_only
from certify.ratelimit import public_limit
from certify.security import csrf

bp = Blueprint("bulk", __name__)


def _read(data: bytes) -> list[Entry]:
    entries = parse(decode(data), str(current_app.config["SERIAL_PREFIX"]))
    base = str(current_app.config["PUBLIC_URL"]).rstrip("/")
    look_up(db_session(), entries, clock.now(), base)
    return entries


def _upload_bytes(upload: Any) -> bytes:
    """At most one byte more than allowed (so too large is told), the file closed at once."""
    if upload is None or not upload.filename:
        return b""
    try:
        return bytes(upload.read(MAX_BYTES + 1))
    finally:
        upload.close()


def _counts(entries: list[Entry]) -> dict[str, int]:
    counts = {"found": 0, "unknown": 0, "malformed": 0}
    for entry in entries:
        counts[entry.outcome] = counts.get(entry.outcome, 0) + 1
    return counts


@bp.route("/verify/bulk", methods=["GET", "POST"])
@public_limit("verify")
@public
@read_only  # looking up only: a reader session, never a commit
def index() -> Any:
    form = BulkForm()
    if request.method == "GET":
        return render_template("bulk/index.html", form=form)
    error = None
    if not form.validate_on_submit():
        error = "Choose a file or paste some serials."
    else:
        data = _upload_bytes(form.file.data)
        if not data:
            data = (form.text.data or "").encode()
        if not data.strip():
            error = "Choose a file or paste some serials: nothing was sent."
        else:
            try:
                entries = _read(data)
            except BulkInputError as exc:
                error = str(exc)
    if error is not None:
        return render_template("bulk/index.html", form=form, error=error), 400
    if form.output.data == "csv":
        return Response(
            "\ufeff" + to_csv(entries),
            mimetype="text/csv",
            headers={"Content-Disposition": 'attachment; filename="verification.csv"'},
        )
    return render_template(
        "bulk/index.html",
        form=form,
        entries=entries,
        counts=_counts(entries),
        as_of=clock.now(),
    )


@bp.post("/api/v1/verify/bulk")
@csrf.exempt  # an API for machines: no session, no cookies, nothing to forge
@public_limit("verify")
@public
@read_only
def api_bulk() -> BaseResponse:
    upload = request.files.get("file")
    data = _upload_bytes(upload) if upload is not None else request.get_data(cache=False)
    try:
        entries = _read(data or b"")
    except BulkInputError as exc:
        response = jsonify({"error": {"code": "bad_request", "message": str(exc)}})
        response.status_code = 400
        return response
    return jsonify(
        {
            "asOf": format_datetime(clock.now()),
            "counts": _counts(entries),
            "items": [
                {
                    "line": e.line,
                    "input": e.text,
                    "outcome": e.outcome,
                    "message": e.message,
                    **({"certificate": e.answer} if e.answer else {}),
                }
                for e in entries
            ],
        }
    )
