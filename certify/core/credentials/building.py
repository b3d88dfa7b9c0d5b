"""Building the unsigned W3C VC 2.0 document of a certificate (:func:`build_credential`).

The transparency-log position is a top-level property (it describes the credential, not the
certified organisation): ``"transparencyLog": {"index": <int>, "origin": <str>}``; ``issuer.id``
uses did:web (:func:`~certify.core.credentials.urls.did_web_from_url`).

Since issue 20 the ``@context`` adds certify's own context
(:mod:`~certify.core.credentials.context`), pinned by its hash in ``relatedResource``, and
every ``id`` is a URL: the standard is ``<public url>/standards/<id>/<version>`` (its short
code in ``code``), a section score names its section's URL in ``section`` (the page's
``#section-<id>`` anchor), so JSON-LD processors keep every claim.

Since issue 22 that context is ``certify-v2`` (:data:`~certify.core.credentials.context.
CURRENT_CONTEXT`), and ``credentialSubject`` also signs the audited impact figures and bands
of the record (:mod:`~certify.core.credentials.impact`) and ``certifiedSince``. Credentials
issued before name ``certify-v1`` and stay as they are: the proof covers their JSON, not a
context.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from certify.core.credentials.context import CURRENT_CONTEXT
from certify.core.credentials.dates import format_datetime, parse_datetime
from certify.core.credentials.impact import impact_claims
from certify.core.credentials.urls import (
    certificate_url,
    did_web_from_url,
    normalise_public_url,
    status_list_url,
)
from certify.core.credentials.vocabulary import (
    CREDENTIAL_TYPE,
    STATUS_PURPOSES,
    VC_CONTEXT_V2,
    CredentialError,
)

_SERIAL_RE = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)+", re.ASCII)
_SHA256_RE = re.compile(r"[0-9a-f]{64}", re.ASCII)
_DECIMAL_RE = re.compile(r"-?\d+(?:\.\d+)?", re.ASCII)
_COUNTRY_RE = re.compile(r"[A-Z]{2}", re.ASCII)


def _credential_datetime(value: object, name: str) -> str:
    """Validate a snapshot date-time and return it as ``YYYY-MM-DDTHH:MM:SSZ``."""
    try:
        moment = value if isinstance(value, datetime) else parse_datetime(value)  # type: ignore[arg-type]
        if moment.tzinfo is None:
            raise ValueError("naive datetime")
    except ValueError as exc:
        raise CredentialError(f"{name} must be an RFC 3339 date-time with a time zone") from exc
    if moment.microsecond:
        # Refuse rather than truncate: the credential must say exactly what the record says.
        raise CredentialError(f"{name} must be a whole second")
    return format_datetime(moment)


# --------------------------------------------------------------------------- building


def _field(mapping: object, key: str, where: str) -> Any:
    if not isinstance(mapping, Mapping):
        raise CredentialError(f"{where} must be an object")
    if key not in mapping:
        raise CredentialError(f"{where} is missing {key!r}")
    return mapping[key]


def _text(mapping: object, key: str, where: str, *, empty: bool = False) -> str:
    value = _field(mapping, key, where)
    if not isinstance(value, str) or (not empty and not value.strip()):
        raise CredentialError(f"{where}.{key} must be a non-empty string")
    return value


def _country(mapping: object, where: str) -> str:
    value = _text(mapping, "country", where)
    if not _COUNTRY_RE.fullmatch(value):
        raise CredentialError(f"{where}.country must be an ISO 3166-1 alpha-2 code such as 'KE'")
    return value


def _number(value: object, where: str) -> str | int:
    # Scores stay exact: decimal strings or integers, never floats (no binary drift).
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise CredentialError(f"{where} must be a finite number")
        return str(value)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise CredentialError(f"{where} must be a decimal string or an integer, not a float")
    if isinstance(value, str) and not _DECIMAL_RE.fullmatch(value):
        raise CredentialError(f"{where} must be a decimal number such as '82.50'")
    return value


def _status_entries(public_url: str, entries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if not isinstance(entries, Sequence) or isinstance(entries, str):
        raise CredentialError("status_entries must be a list")
    by_purpose: dict[str, dict[str, Any]] = {}
    for entry in entries:
        purpose = _field(entry, "purpose", "status entry")
        list_id = _field(entry, "list_id", "status entry")
        index = _field(entry, "index", "status entry")
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise CredentialError("status entry index must be a non-negative integer")
        list_url = status_list_url(public_url, purpose, list_id)
        if purpose in by_purpose:
            raise CredentialError(f"two status entries for {purpose!r}")
        by_purpose[purpose] = {
            "id": f"{list_url}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": purpose,
            # The Bitstring Status List spec requires the index as a base-10 string.
            "statusListIndex": str(index),
            "statusListCredential": list_url,
        }
    missing = [p for p in STATUS_PURPOSES if p not in by_purpose]
    if missing:
        raise CredentialError(f"missing status entries for {', '.join(missing)}")
    return [by_purpose[p] for p in STATUS_PURPOSES]


def build_credential(
    snapshot: Mapping[str, Any],
    *,
    public_url: str,
    issuer_name: str,
    status_entries: Sequence[Mapping[str, Any]],
    log_index: int | None = None,
    log_origin: str | None = None,
    certified_since: datetime | str | None = None,
) -> dict[str, Any]:
    """Return the unsigned W3C VC 2.0 document of a certificate, naming certify's current
    JSON-LD context (``certify-v2``).

    Args:
        snapshot: the certificate record's immutable snapshot with keys ``serial``,
            ``holder`` {``name``, ``country``}, ``sites`` [{``name``, ``address``,
            ``country``}], ``scope``, ``standard`` {``id``, ``version``, ``sha256``, ...},
            ``level``, ``overallScore`` (decimal string), ``sectionScores`` [{``id``,
            ``title``, ``weight``, ``score``}], ``validFrom``, ``validUntil`` (RFC 3339
            strings or aware datetimes, whole seconds), and optionally ``impactFigures`` (the
            record of :func:`certify.core.impact.figures.impact_figures`: its published
            values and bands are signed). Other keys (``issuedOn``, ``surveillanceDue``,
            ``publicUrl``, ``standard.title`` ...) are ignored.
        public_url: the registry origin; fixes ``id``, ``issuer.id`` and status URLs.
        issuer_name: the certification body's name (``issuer.name``).
        status_entries: exactly one ``{"purpose": "revocation", "list_id": str, "index":
            int}`` and one for ``"suspension"``.
        log_index: the issuance entry's index in the transparency log, if known.
        log_origin: the log's checkpoint origin line, stored beside ``log_index``.
        certified_since: when the holder was first certified without a break (the start
            of the chain of supersessions this certificate continues); default
            ``validFrom``. Never after ``validFrom``.

    Returns a new dict; nothing in it aliases *snapshot*.

    Raises:
        CredentialError: naming the first field that is missing or malformed.
    """
    base = normalise_public_url(public_url)
    if not isinstance(issuer_name, str) or not issuer_name.strip():
        raise CredentialError("issuer_name must be a non-empty string")
    serial = _text(snapshot, "serial", "snapshot")
    if not _SERIAL_RE.fullmatch(serial):
        raise CredentialError("snapshot.serial must be a canonical serial such as ISR-XXXX-...")
    holder = _field(snapshot, "holder", "snapshot")
    sites = _sites(_field(snapshot, "sites", "snapshot"))
    standard = _field(snapshot, "standard", "snapshot")
    sha = _text(standard, "sha256", "standard")
    if not _SHA256_RE.fullmatch(sha):
        raise CredentialError("standard.sha256 must be 64 lower-case hex digits")
    sections = _field(snapshot, "sectionScores", "snapshot")
    valid_from, valid_until = _validity(snapshot)
    standard_url = _standard_url(base, standard)
    subject = _subject(snapshot, serial, holder, sites, standard, sha, sections, standard_url)
    subject.update(impact_claims(snapshot.get("impactFigures"), standard_url))
    subject["certifiedSince"] = _certified_since(certified_since, valid_from)
    document: dict[str, Any] = {
        "@context": [VC_CONTEXT_V2, CURRENT_CONTEXT.url(base)],
        "id": certificate_url(base, serial),
        "type": ["VerifiableCredential", CREDENTIAL_TYPE],
        "issuer": {"id": did_web_from_url(base), "name": issuer_name},
        "validFrom": valid_from,
        "validUntil": valid_until,
        "credentialSubject": subject,
        "credentialStatus": _status_entries(base, status_entries),
        "relatedResource": [CURRENT_CONTEXT.related_resource(base)],
    }
    log = _log_position(log_index, log_origin)
    if log is not None:
        document["transparencyLog"] = log
    return document


def _validity(snapshot: Mapping[str, Any]) -> tuple[str, str]:
    """``validFrom`` and ``validUntil``, whole seconds in UTC, the first before the second."""
    valid_from = _credential_datetime(_field(snapshot, "validFrom", "snapshot"), "validFrom")
    valid_until = _credential_datetime(_field(snapshot, "validUntil", "snapshot"), "validUntil")
    if parse_datetime(valid_until) <= parse_datetime(valid_from):
        raise CredentialError("validUntil must be after validFrom")
    return valid_from, valid_until


def _certified_since(value: datetime | str | None, valid_from: str) -> str:
    """``certifiedSince``: *value* as the credential writes it, *valid_from* when None."""
    if value is None:
        return valid_from
    since = _credential_datetime(value, "certifiedSince")
    if parse_datetime(since) > parse_datetime(valid_from):
        raise CredentialError("certifiedSince must not be after validFrom")
    return since


def _sites(sites_in: object) -> list[dict[str, str]]:
    """The snapshot's sites as the credential lists them."""
    if not isinstance(sites_in, Sequence) or isinstance(sites_in, str):
        raise CredentialError("snapshot.sites must be a list")
    return [
        {
            "name": _text(site, "name", f"sites[{i}]"),
            "address": _text(site, "address", f"sites[{i}]"),
            "country": _country(site, f"sites[{i}]"),
        }
        for i, site in enumerate(sites_in)
    ]


def _standard_url(base: str, standard: object) -> str:
    """``<public url>/standards/<id>/<version>``: the standard version's page (its ``id``)."""
    code = _text(standard, "id", "standard")
    version = _text(standard, "version", "standard")
    return f"{base}/standards/{quote(code, safe='')}/{quote(version, safe='')}"


def _section_scores(sections_in: object, standard_url: str) -> list[dict[str, Any]]:
    """The snapshot's section scores as the credential lists them (exact numbers), each
    naming its section's URL on the standard's page."""
    if not isinstance(sections_in, Sequence) or isinstance(sections_in, str):
        raise CredentialError("snapshot.sectionScores must be a list")
    return [
        {
            "section": f"{standard_url}#section-{quote(_text(section, 'id', 'section'), safe='')}",
            "code": _text(section, "id", f"sectionScores[{i}]"),
            "title": _text(section, "title", f"sectionScores[{i}]"),
            "weight": _number(_field(section, "weight", "section"), f"sectionScores[{i}].weight"),
            "score": _number(_field(section, "score", "section"), f"sectionScores[{i}].score"),
        }
        for i, section in enumerate(sections_in)
    ]


def _subject(
    snapshot: Mapping[str, Any],
    serial: str,
    holder: object,
    sites: list[dict[str, str]],
    standard: object,
    sha: str,
    sections: object,
    standard_url: str,
) -> dict[str, Any]:
    """``credentialSubject``: the certified organisation and what it was certified on."""
    return {
        "name": _text(holder, "name", "holder"),
        "country": _country(holder, "holder"),
        "sites": sites,
        "scope": _text(snapshot, "scope", "snapshot"),
        "standard": {
            "id": standard_url,
            "code": _text(standard, "id", "standard"),
            "version": _text(standard, "version", "standard"),
            "sha256": sha,
        },
        "level": _text(snapshot, "level", "snapshot"),
        "overallScore": _number(_field(snapshot, "overallScore", "snapshot"), "overallScore"),
        "sectionScores": _section_scores(sections, standard_url),
        "serial": serial,
    }


def _log_position(log_index: int | None, log_origin: str | None) -> dict[str, Any] | None:
    """``transparencyLog`` (the issuance entry's index and the log's origin), or None."""
    if log_index is None:
        if log_origin is not None:
            raise CredentialError("log_origin given without log_index")
        return None
    if isinstance(log_index, bool) or not isinstance(log_index, int) or log_index < 0:
        raise CredentialError("log_index must be a non-negative integer")
    log: dict[str, Any] = {"index": log_index}
    if log_origin is not None:
        if not isinstance(log_origin, str) or not log_origin or "\n" in log_origin:
            raise CredentialError("log_origin must be a one-line string")
        log["origin"] = log_origin
    return log
