"""Looking up a bulk file's entries: serials in chunks of one query each, names by exact
(case-insensitive) holder name, statuses as of one moment for the whole file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certify.accounts.models import Organisation
from certify.certificates.models import Certificate
from certify.core.clients.bulk import Entry

CHUNK = 500


def _answer(certificate: Certificate, now: dt.datetime, base: str) -> dict[str, str]:
    return {
        "serial": certificate.serial,
        "status": certificate.status_at(now).value,
        "holder": certificate.holder_name,
        "country": certificate.holder_country,
        "valid_from": certificate.valid_from.date().isoformat(),
        "valid_until": certificate.valid_until.date().isoformat(),
        "link": f"{base}/verify/{certificate.serial}",
    }


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def look_up(session: Session, entries: list[Entry], now: dt.datetime, base: str) -> None:
    """Fill each entry's ``outcome``, ``message`` and ``answer`` (in place)."""
    serials = sorted({e.serial for e in entries if e.kind == "serial" and e.serial})
    found: dict[str, Certificate] = {}
    for chunk in _chunks(serials):
        for row in session.scalars(select(Certificate).where(Certificate.serial.in_(chunk))):
            found[row.serial] = row
    names = sorted({e.text.casefold() for e in entries if e.kind == "name"})
    by_name = _newest_by_name(session, names)
    for entry in entries:
        if entry.kind == "malformed":
            entry.outcome = "malformed"
            continue
        certificate: Certificate | None = (
            found.get(entry.serial or "")
            if entry.kind == "serial"
            else by_name.get(entry.text.casefold())
        )
        if certificate is None:
            entry.outcome = "unknown"
            entry.message = (
                "No certificate has this serial: treat a document naming it as not genuine."
                if entry.kind == "serial"
                else "No certified organisation has exactly this name; search the registry."
            )
            continue
        entry.outcome = "found"
        entry.answer = _answer(certificate, now, base)
        if entry.kind == "serial" and entry.text != certificate.serial:
            entry.message = f"Read as {certificate.serial}."
        elif entry.kind == "name":
            entry.message = "The organisation's newest certificate."


def _newest_by_name(session: Session, names: list[str]) -> dict[str, Certificate]:
    """Holder name (case-folded) → its newest certificate, for *names*."""
    result: dict[str, Certificate] = {}
    if not names:
        return result
    for chunk in _chunks(names):
        rows = session.execute(
            select(Organisation.legal_name, Certificate)
            .join(Certificate, Certificate.organisation_id == Organisation.id)
            .where(func.lower(Organisation.legal_name).in_(chunk))
            .order_by(Certificate.issued_at)
        ).all()
        for legal_name, certificate in rows:
            result[legal_name.casefold()] = certificate  # later (newer) rows win
    return result
