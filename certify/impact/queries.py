"""The impact figures as stored: one certificate's, and those of every active certificate
(aggregated, kept for :data:`CACHE_SECONDS` per process: a registry-wide summary may be a
minute old, and says "data as of")."""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from certify.certificates.models import Certificate
from certify.core.impact.aggregate import aggregate
from certify.impact.records import indicators_for
from certify.registry.search import start_of_day
from certify.standards.operations import get_rubric

CACHE_SECONDS = 60
_lock = threading.Lock()


def figures_of(certificate: Certificate) -> dict[str, Any] | None:
    """The figures recorded in *certificate*'s snapshot at issuance (None: none published)."""
    figures = certificate.snapshot_data.get("impactFigures")
    return figures if isinstance(figures, dict) else None


def active_rows(session: Session, now: dt.datetime) -> list[dict[str, Any]]:
    """``{"serial", "holder", "country", "standard", "impactFigures"}`` of every active
    certificate that publishes figures, by serial."""
    rows = session.execute(
        select(
            Certificate.serial,
            Certificate.holder_name,
            Certificate.holder_country,
            Certificate.standard_id,
            Certificate.standard_version,
            Certificate.snapshot,
        )
        .where(Certificate.status == "active", Certificate.valid_until >= start_of_day(now))
        .order_by(Certificate.serial)
    ).all()
    found = []
    for serial, holder, country, standard_id, version, snapshot in rows:
        figures = json.loads(snapshot).get("impactFigures")
        if isinstance(figures, dict):
            found.append(
                {
                    "serial": serial,
                    "holder": holder,
                    "country": country,
                    "standard": f"{standard_id}@{version}",
                    "impactFigures": figures,
                }
            )
    return found


def _criteria(session: Session, rows: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(id, title, unit) of the public indicators of the standards in *rows*, in order."""
    seen: dict[str, tuple[str, str, str]] = {}
    for key in sorted({r["standard"] for r in rows}):
        standard_id, version = key.split("@", 1)
        rubric = get_rubric(standard_id, version, session=session)
        indicators = indicators_for(rubric)
        for criterion_id in indicators.criteria if indicators else ():
            criterion = rubric.criterion(criterion_id)
            seen.setdefault(criterion_id, (criterion_id, criterion.title, criterion.unit or ""))
    return list(seen.values())


def registry_impact(session: Session, now: dt.datetime) -> dict[str, Any]:
    """The registry-wide figures (:func:`certify.core.impact.aggregate.aggregate`), with
    ``asOf`` and ``rows`` (each certificate's figures), at most a minute old."""
    store = current_app.extensions.setdefault("certify_impact", {})
    with _lock:
        cached = store.get("summary")
        age = (now - cached["computed"]).total_seconds() if cached is not None else -1.0
        if cached is not None and 0 <= age < CACHE_SECONDS:
            return dict(cached["data"])
    rows = active_rows(session, now)
    data = aggregate(rows, _criteria(session, rows))
    data["asOf"] = now
    data["rows"] = rows
    with _lock:
        store["summary"] = {"computed": now, "data": data}
    return dict(data)


def clear_cache() -> None:
    current_app.extensions.get("certify_impact", {}).pop("summary", None)
