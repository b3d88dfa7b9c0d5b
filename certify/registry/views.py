"""The public registry: search, certificate pages, the CSV export and the Atom feed.

Everything shown comes from the immutable certificate record (its snapshot) and the status
changes; statuses are computed live on every request, so a suspension shows at once. No
reason text is shown (it may name people), only the reason category.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import xml.etree.ElementTree as ET
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
)
from sqlalchemy import select

from certify import clock
from certify.access import public
from certify.certificates.models import Certificate, CertificateStatusChange
from certify.certificates.queries import certificate_by_serial, certified_since, change_word
from certify.certificates.serials import redirect_to_canonical
from certify.core.countries import country_choices
from certify.cycle.operations import surveillance_history
from certify.db import db_session
from certify.ratelimit import public_limit
from certify.registry import facets
from certify.registry import search as s

bp = Blueprint("registry", __name__)

CSV_MAX_ROWS = 100_000
FEED_ENTRIES = 50
ATOM = "http://www.w3.org/2005/Atom"


def _filters_or_error() -> tuple[s.Filters, str | None]:
    try:
        return s.parse_filters(request.args), None
    except s.FilterError as error:
        return s.Filters(), str(error)


@bp.get("/registry")
@public_limit("search")
@public
def index() -> Any:
    filters, error = _filters_or_error()
    page = 1
    if error is None:
        try:
            page = s.parse_page(request.args.get("page")) or 1
        except s.FilterError as exc:
            error = str(exc)
    now = clock.now()
    result = None
    if error is None:
        result = s.search(db_session(), filters, page=page, now=now)
    return (
        render_template(
            "registry/index.html",
            filters=filters,
            result=result,
            error=error,
            now=now,
            countries=_countries(),
            standards=facets.standards_in_registry(db_session()),
            services=facets.services_in_registry(db_session()),
            statuses=s.STATUSES,
            levels=s.LEVELS,
            args=filters.as_args(),
        ),
        400 if error else 200,
    )


def _countries() -> list[tuple[str, str]]:
    """The countries with at least one certificate, by name (not the ~250 of the world)."""
    present = set(facets.countries_in_registry(db_session()))
    return [(code, name) for code, name in country_choices() if code in present]


@bp.get("/registry/export.csv")
@public_limit("search")
@public
def export_csv() -> Response:
    try:
        filters = s.parse_filters(request.args)
    except s.FilterError as error:
        abort(400, str(error))
    now = clock.now()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "serial",
            "holder",
            "country",
            "standard",
            "standard_version",
            "level",
            "status",
            "valid_from",
            "valid_until",
            "page",
        ]
    )
    base = current_app.config["PUBLIC_URL"]
    for row in s.search_all(db_session(), filters, now=now, limit=CSV_MAX_ROWS):
        writer.writerow(
            s.csv_row(
                [
                    row["serial"],
                    row["holder_name"],
                    row["holder_country"],
                    row["standard_id"],
                    row["standard_version"],
                    row["level"],
                    row["status"].value,
                    row["valid_from"].date().isoformat(),
                    row["valid_until"].date().isoformat(),
                    f"{base}/registry/{row['serial']}",
                ]
            )
        )
    # A byte-order mark so spreadsheets read the names as UTF-8.
    response = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="registry-{now:%Y%m%dT%H%M%SZ}.csv"'
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


def _feed_id(serial: str, changed_at: dt.datetime, status: str) -> str:
    base = current_app.config["PUBLIC_URL"]
    return f"{base}/registry/{serial}#status-{changed_at:%Y%m%dT%H%M%S.%fZ}-{status}"


def _atom_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


@bp.get("/registry/feed.atom")
@public_limit("search")
@public
def feed() -> Response:
    change = CertificateStatusChange.__table__
    cert = Certificate.__table__
    rows = (
        db_session()
        .execute(
            select(
                change.c.changed_at,
                change.c.previous_status,
                change.c.new_status,
                change.c.reason_category,
                cert.c.serial,
                cert.c.holder_name,
                cert.c.holder_country,
            )
            .join(cert, cert.c.id == change.c.certificate_id)
            .order_by(change.c.changed_at.desc(), change.c.id.desc())
            .limit(FEED_ENTRIES)
        )
        .all()
    )
    base = current_app.config["PUBLIC_URL"]
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    sub(root, "id", f"{base}/registry/feed.atom")
    sub(root, "title", f"{current_app.config['REGISTRY_NAME']}: certificate status changes")
    sub(root, "updated", _atom_time(rows[0].changed_at if rows else clock.now()))
    sub(root, "link", rel="self", href=f"{base}/registry/feed.atom")
    sub(root, "link", rel="alternate", href=f"{base}/registry", type="text/html")
    author = sub(root, "author")
    sub(author, "name", current_app.config["REGISTRY_NAME"])
    for row in rows:
        entry = sub(root, "entry")
        word = change_word(row.previous_status, row.new_status)
        sub(entry, "id", _feed_id(row.serial, row.changed_at, row.new_status))
        sub(entry, "title", f"{row.holder_name}: certificate {row.serial} {word}")
        sub(entry, "updated", _atom_time(row.changed_at))
        sub(entry, "link", rel="alternate", href=f"{base}/registry/{row.serial}", type="text/html")
        summary = f"Certificate {row.serial} of {row.holder_name} ({row.holder_country}) {word}"
        summary += f" on {_atom_time(row.changed_at)}; status now {row.new_status}"
        if row.reason_category:
            summary += f" (reason: {row.reason_category.replace('_', ' ')})"
        sub(entry, "summary", summary + ".")
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    response = Response(body, mimetype="application/atom+xml")
    response.headers["Cache-Control"] = "no-cache"
    return response


def next_surveillance(due: list[str], now: dt.datetime) -> str | None:
    """The first surveillance date on or after today, or None."""
    today = now.astimezone(dt.UTC).date().isoformat()
    upcoming = [d for d in due if d >= today]
    return min(upcoming) if upcoming else None


@bp.get("/registry/<serial>")
@public_limit("search")
@public
def show(serial: str) -> Any:
    moved = redirect_to_canonical("registry.show", serial)
    if moved is not None:
        return moved
    certificate = certificate_by_serial(db_session(), serial)
    if certificate is None:
        abort(404)
    now = clock.now()
    snapshot = certificate.snapshot_data
    done = surveillance_history(db_session(), certificate)
    covered = {c.due_on.isoformat() for c in done if c.due_on is not None}
    due = [d for d in snapshot.get("surveillanceDue", []) if d not in covered]
    return render_template(
        "registry/show.html",
        certificate=certificate,
        snapshot=snapshot,
        status=certificate.status_at(now),
        changes=sorted(certificate.changes, key=lambda c: (c.changed_at, c.id), reverse=True),
        change_word=change_word,
        next_due=next_surveillance(due, now),
        now=now,
        since=certified_since(db_session(), certificate),
        renews=db_session().scalar(
            select(Certificate.id).where(Certificate.superseded_by_id == certificate.id).limit(1)
        )
        is not None,
        surveillance_done=done,
    )
