"""``/impact`` (the page), ``/impact.csv`` and ``/impact.json`` (the downloads), and the API:
``/api/v1/impact`` and ``/api/v1/certificates/<serial>/impact``."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from certify import clock
from certify.access import public
from certify.certificates.queries import certificate_by_serial
from certify.core.clients.bulk import safe_cell
from certify.core.credentials.dates import format_datetime
from certify.core.serial import SerialError, normalise_serial
from certify.db import db_session
from certify.impact.queries import figures_of, registry_impact
from certify.ratelimit import public_limit

bp = Blueprint("impact", __name__)

CSV_COLUMNS = (
    "serial",
    "holder",
    "country",
    "standard",
    "period_end",
    "workforce_band",
    "impact_workers_band",
    "criterion",
    "title",
    "unit",
    "basis",
    "value",
    "withheld_because",
)

#: What each field of the downloads means (the data dictionary, also on the page).
DATA_DICTIONARY = {
    "serial": "the certificate's serial; its page is /registry/<serial>",
    "holder": "the certified organisation (ISSP)",
    "country": "ISO 3166-1 alpha-2 country of the holder",
    "standard": "standard id and version the certificate was issued on",
    "period_end": "the last day of the period the audited figures cover (the decision date)",
    "workforce_band": "the whole workforce, as a band (never a head count)",
    "impact_workers_band": "impact workers, as a band; empty when fewer than the minimum "
    "group size",
    "criterion": "the standard's criterion the figure answers (e.g. FW-3)",
    "title": "what the criterion measures",
    "unit": "the figure's unit (percent, hours per impact worker per year...)",
    "basis": "the basis of the figure when the criterion has several (e.g. profit or revenue)",
    "value": "the audited value, rounded half-up to 2 decimals",
    "withheld_because": "why no value is published, when none is",
}


def _summary() -> dict[str, Any]:
    return registry_impact(db_session(), clock.now())


@bp.get("/impact")
@public
def index() -> Any:
    data = _summary()
    return render_template("impact/index.html", data=data, dictionary=DATA_DICTIONARY)


def _csv_rows(rows: list[dict[str, Any]]) -> list[list[str]]:
    lines = []
    for row in rows:
        figures = row["impactFigures"]
        for figure in figures.get("figures", []):
            lines.append(
                [
                    row["serial"],
                    row["holder"],
                    row["country"],
                    row["standard"],
                    figures.get("periodEnd") or "",
                    figures.get("workforceBand") or "",
                    figures.get("impactWorkersBand") or "",
                    figure["criterion"],
                    figure["title"],
                    figure.get("unit", ""),
                    figure.get("basis", ""),
                    figure.get("value", ""),
                    figure.get("reason", ""),
                ]
            )
    return lines


@bp.get("/impact.csv")
@public_limit("api")
@public
def download_csv() -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in _csv_rows(_summary()["rows"]):
        writer.writerow([safe_cell(str(cell)) for cell in line])
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="impact.csv"'},
    )


def _json_summary() -> dict[str, Any]:
    data = _summary()
    return {
        "asOf": format_datetime(data["asOf"]),
        "certificates": data["certificates"],
        "impactWorkersAtLeast": data["impactWorkersAtLeast"],
        "byCountry": data["byCountry"],
        "byTargetGroup": data["byTargetGroup"],
        "indicators": data["indicators"],
        "minimumCertificates": data["minimumCertificates"],
        "items": [
            {"serial": r["serial"], "country": r["country"], "impactFigures": r["impactFigures"]}
            for r in data["rows"]
        ],
    }


@bp.get("/impact.json")
@public_limit("api")
@public
def download_json() -> Response:
    body = {**_json_summary(), "dataDictionary": DATA_DICTIONARY}
    return Response(
        json.dumps(body, ensure_ascii=False, indent=1),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="impact.json"'},
    )


@bp.get("/api/v1/impact")
@public_limit("api")
@public
def api_impact() -> BaseResponse:
    return jsonify(_json_summary())


@bp.get("/api/v1/certificates/<serial>/impact")
@public_limit("api")
@public
def api_certificate_impact(serial: str) -> BaseResponse:
    try:
        canonical = normalise_serial(serial[:64], str(current_app.config["SERIAL_PREFIX"]))
    except SerialError:
        abort(404)
    if canonical != serial:
        return redirect(url_for("impact.api_certificate_impact", serial=canonical), code=301)
    certificate = certificate_by_serial(db_session(), canonical)
    if certificate is None:
        abort(404)
    return jsonify({"serial": canonical, "impactFigures": figures_of(certificate)})
