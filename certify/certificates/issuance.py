"""Issuing a certificate: the steps that belong to the certificates feature.

The order of issuance, with the steps of the transparency log, the PDF and the registry in
between, is written once, in :mod:`certify.lifecycle` (``ISSUE``); :func:`certify.lifecycle.
issue_certificate` runs it inside a savepoint of the caller's transaction. Every step takes the
one :class:`IssuanceContext` and fills in its part.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from certify.audit.operations import record_event
from certify.certificates import statuslists
from certify.certificates.keys import KeyStore
from certify.certificates.models import (
    Certificate,
    CertificateStatus,
    CertificateStatusChange,
    StatusList,
)
from certify.certificates.queries import certified_since
from certify.core.actor import Actor
from certify.core.canonical import canonical_json, sha256_hex
from certify.core.credentials.building import build_credential
from certify.core.credentials.dates import format_datetime
from certify.core.credentials.proofs import sign_credential
from certify.core.rubric.model import Rubric
from certify.core.scoring.results import ScoreResult, rounded
from certify.core.serial import generate_serial
from certify.hsm.token import TokenError
from certify.impact.records import figures_at_issuance
from certify.operations import OperationError

log = logging.getLogger(__name__)

LEVELS = ("certified", "certified_with_distinction")


class IssuanceError(OperationError):
    """The certificate could not be issued; nothing was written."""


@dataclass
class IssuanceContext:
    """Everything the steps share. Inputs first; each step fills in its part."""

    session: Session
    application: Any
    score: ScoreResult
    rubric: Rubric
    decided_at: dt.datetime
    actor: Actor
    keys: KeyStore
    public_url: str
    issuer_name: str
    serial_prefix: str
    now: dt.datetime
    #: who certifies, from the settings (:func:`certification_body`), kept in the snapshot
    certification_body: dict[str, Any] = field(default_factory=dict)
    issued_at: dt.datetime | None = None
    serial: str | None = None
    snapshot: dict[str, Any] | None = None
    snapshot_bytes: bytes | None = None
    #: when the holder was first certified without a break (the credential's certifiedSince)
    certified_since: dt.datetime | None = None
    status: dict[str, tuple[StatusList, int]] = field(default_factory=dict)
    #: the log's signer, and the index reserved for the issuance entry (the credential
    #: names it), set before the credential is signed
    log_signer: Any = None
    log_index: int | None = None
    log_origin: str | None = None
    credential: dict[str, Any] | None = None
    credential_bytes: bytes | None = None
    #: the appended issuance entry, and its C2SP tlog-proof text (embedded in the PDF)
    log_entry: Any = None
    log_proof: str | None = None
    #: the signed PDF, its SHA-256 and the signing certificate's fingerprint
    pdf: bytes | None = None
    pdf_sha256: str | None = None
    pdf_signing_cert: str | None = None
    certificate: Certificate | None = None
    superseded: list[Certificate] = field(default_factory=list)
    #: the organisation's certificates in force that this one replaces (read once)
    earlier: list[Certificate] | None = None
    #: undo actions for effects outside the database, run (newest first) when a step fails
    on_failure: list[Callable[[], None]] = field(default_factory=list)


Step = Callable[[IssuanceContext], None]


# --------------------------------------------------------------------------- dates


def add_months(day: dt.date, months: int) -> dt.date:
    """*day* plus *months* calendar months; the 31st becomes the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _ceil_second(moment: dt.datetime) -> dt.datetime:
    moment = moment.astimezone(dt.UTC)
    if moment.microsecond:
        moment = moment.replace(microsecond=0) + dt.timedelta(seconds=1)
    return moment


def validity(
    issued_at: dt.datetime, validity_months: int, surveillance_months: int
) -> tuple[dt.datetime, list[dt.date]]:
    """``(valid_until, surveillance due dates)`` for a certificate issued at *issued_at*.

    Valid until the last second of the day before the same date *validity_months* later
    (issued 1 March 2025 for 36 months: until 29 February 2028 23:59:59 UTC); surveillance is
    due every *surveillance_months* from the issue date, while the certificate is valid.
    """
    start = issued_at.astimezone(dt.UTC).date()
    last_day = add_months(start, validity_months) - dt.timedelta(days=1)
    until = dt.datetime.combine(last_day, dt.time(23, 59, 59), tzinfo=dt.UTC)
    due = []
    k = 1
    while (d := add_months(start, k * surveillance_months)) <= last_day:
        due.append(d)
        k += 1
    return until, due


# --------------------------------------------------------------------------- steps


def check_decision(ctx: IssuanceContext) -> None:
    """The application, the score and the rubric fit together, and the score certifies."""
    application, result, rubric = ctx.application, ctx.score, ctx.rubric
    if ctx.decided_at.tzinfo is None:
        raise IssuanceError("the decision time must be timezone-aware")
    if result.outcome not in LEVELS:
        shown = result.outcome or "incomplete"
        raise IssuanceError(f"the score does not certify (outcome {shown}); nothing to issue")
    if not result.complete:
        raise IssuanceError("the score is incomplete; a certificate needs every answer")
    if result.rubric_sha256 != rubric.sha256 or application.standard_sha256 != rubric.sha256:
        raise IssuanceError(
            "the score, the rubric and the application's pinned standard version differ"
        )
    if not (application.services or "").strip():
        raise IssuanceError("the application states no scope (services)")
    if not application.scope_sites:
        raise IssuanceError("the application names no site in scope")


def choose_serial(ctx: IssuanceContext) -> None:
    """A new random serial that no certificate has."""
    for _ in range(5):
        candidate = generate_serial(ctx.serial_prefix)
        exists = ctx.session.scalar(select(Certificate.id).where(Certificate.serial == candidate))
        if exists is None:
            ctx.serial = candidate
            return
    raise IssuanceError("could not find an unused serial")  # pragma: no cover - 60 bits


def certification_body(config: Mapping[str, Any]) -> dict[str, Any]:
    """Who certifies, from the settings: ``legalName`` (``ISSUER_LEGAL_NAME``, default
    ``REGISTRY_NAME``), and when set ``address``, ``accreditation`` and ``signatory``
    {``name``, ``title``}. Kept in each certificate's snapshot: the PDF names the body as it
    was at issuance, whatever the settings say later."""
    body: dict[str, Any] = {
        "legalName": str(config.get("ISSUER_LEGAL_NAME") or config["REGISTRY_NAME"]).strip()
    }
    for key, setting in (("address", "ISSUER_ADDRESS"), ("accreditation", "ISSUER_ACCREDITATION")):
        value = str(config.get(setting) or "").strip()
        if value:
            body[key] = value
    name = str(config.get("ISSUER_SIGNATORY_NAME") or "").strip()
    if name:
        body["signatory"] = {"name": name, "title": str(config.get("ISSUER_SIGNATORY_TITLE") or "")}
    return body


def _predecessor(ctx: IssuanceContext) -> Certificate | None:
    """The certificate a cycle case concerns, while it is still in force at issuance."""
    certificate_id = getattr(ctx.application, "certificate_id", None)
    previous = ctx.session.get(Certificate, certificate_id) if certificate_id else None
    if previous is None or previous.status not in (
        CertificateStatus.ACTIVE.value,
        CertificateStatus.SUSPENDED.value,
    ):
        return None
    return previous if previous.expires_after > ctx.now else None


def cycle_validity(ctx: IssuanceContext) -> tuple[dt.datetime, list[dt.date]]:
    """``(valid_until, surveillance due dates)`` of the new certificate.

    A scope extension issues a new version of the certificate in force: it keeps that
    one's expiry and its surveillance dates still ahead (it does not restart the cycle). A
    recertification decided in the old certificate's last surveillance interval before it
    expires runs its full validity from the day after that expiry (ISO/IEC 17021-1
    9.6.3.2.3: an early renewal loses no time), the surveillance counted from there; decided
    earlier than that it restarts the cycle, so no certificate runs much past its standard's
    validity. Otherwise (an initial audit, a renewal after a lapse): the full validity from
    the issue date."""
    assert ctx.issued_at is not None
    rubric, kind = ctx.rubric, getattr(ctx.application, "audit_type", "initial")
    previous = _predecessor(ctx) if kind in ("scope_extension", "recertification") else None
    if previous is not None and kind == "scope_extension":
        today = ctx.issued_at.date()
        due = [dt.date.fromisoformat(d) for d in previous.snapshot_data["surveillanceDue"]]
        return previous.valid_until, [d for d in due if d > today]
    start = ctx.issued_at
    last_period = add_months(ctx.issued_at.date(), rubric.surveillance_interval_months)
    if previous is not None and previous.valid_until.date() <= last_period:
        start = previous.expires_after  # an early recertification in the last period
    return validity(start, rubric.certificate_validity_months, rubric.surveillance_interval_months)


def take_snapshot(ctx: IssuanceContext) -> None:
    """The immutable record: holder, sites, scope, standard, scores, dates."""
    application, rubric, result = ctx.application, ctx.rubric, ctx.score
    assert ctx.serial is not None
    # Issued no earlier than the decision, in whole seconds (the credential's resolution),
    # so rounded up; a change in that second is recorded and logged at it, never before
    # (lifecycle._not_before_last_change, translog.store.append_entry).
    ctx.issued_at = _ceil_second(max(ctx.now, ctx.decided_at))
    until, due = cycle_validity(ctx)
    organisation = application.organisation
    sections = []
    for section in rubric.sections:
        section_score = result.section(section.id)
        sections.append(
            {
                "id": section.id,
                "title": section.title,
                "weight": str(section.weight),
                "score": str(rounded(section_score.score)),
            }
        )
    ctx.snapshot = {
        "serial": ctx.serial,
        "holder": {
            "name": organisation.legal_name,
            "country": organisation.country,
            "registrationNumber": organisation.registration_number,
        },
        "certificationBody": ctx.certification_body,
        "sites": [
            {"name": s.name, "address": s.address, "country": s.country}
            for s in application.scope_sites
        ],
        "scope": application.services.strip(),
        "standard": {
            "id": rubric.id,
            "version": rubric.version,
            "title": rubric.title,
            "sha256": rubric.sha256,
        },
        "level": result.outcome,
        "overallScore": str(rounded(result.overall)),
        "sectionScores": sections,
        "validFrom": format_datetime(ctx.issued_at),
        "validUntil": format_datetime(until),
        "issuedOn": ctx.issued_at.date().isoformat(),
        "surveillanceDue": [d.isoformat() for d in due],
        "publicUrl": ctx.public_url,
    }
    figures = figures_at_issuance(rubric, application, result, ctx.decided_at.date().isoformat())
    if figures is not None:  # issue 22: the audited impact figures the standard publishes
        ctx.snapshot["impactFigures"] = figures
    ctx.snapshot_bytes = canonical_json(ctx.snapshot)


def find_certified_since(ctx: IssuanceContext) -> None:
    """Since when the holder is certified without a break: where the chain of the certificate
    this one will supersede starts (:func:`~certify.certificates.queries.certified_since`, the
    registry page's "certified since"), else this issuance."""
    assert ctx.issued_at is not None
    starts = [certified_since(ctx.session, old) for old in earlier_certificates(ctx)]
    ctx.certified_since = min([*starts, ctx.issued_at])


def reserve_status_indexes(ctx: IssuanceContext) -> None:
    """A random free index in the current revocation and suspension lists."""
    for purpose in ("revocation", "suspension"):
        ctx.status[purpose] = statuslists.reserve_index(ctx.session, purpose, ctx.keys, ctx.now)


def make_credential(ctx: IssuanceContext) -> None:
    """The W3C credential, signed (eddsa-jcs-2022), kept as the canonical bytes served."""
    assert ctx.snapshot is not None and ctx.issued_at is not None
    entries = [
        {"purpose": purpose, "list_id": status_list.list_id, "index": index}
        for purpose, (status_list, index) in ctx.status.items()
    ]
    document = build_credential(
        ctx.snapshot,
        public_url=ctx.public_url,
        issuer_name=ctx.issuer_name,
        status_entries=entries,
        log_index=ctx.log_index,
        log_origin=ctx.log_origin,
        certified_since=ctx.certified_since,
    )
    key = ctx.keys.current_credential_key
    if key.private_key is None:  # pragma: no cover - the key store always loads private keys
        raise IssuanceError("the current credential key has no private key")
    try:
        ctx.credential = sign_credential(
            document, key.private_key, ctx.keys.verification_method(ctx.public_url), ctx.issued_at
        )
    except TokenError as exc:  # the credential key lives in a token that refused
        raise IssuanceError(f"the credential key cannot be used: {exc.message}") from None
    # These bytes are stored and served unchanged: the hash is over exactly them.
    ctx.credential_bytes = canonical_json(ctx.credential)


def record_certificate(ctx: IssuanceContext) -> None:
    """The certificate row and its first status change."""
    assert ctx.snapshot_bytes is not None and ctx.credential_bytes is not None
    assert ctx.issued_at is not None and ctx.snapshot is not None
    revocation, revocation_index = ctx.status["revocation"]
    suspension, suspension_index = ctx.status["suspension"]
    until = dt.datetime.fromisoformat(ctx.snapshot["validUntil"].replace("Z", "+00:00"))
    certificate = Certificate(
        serial=ctx.serial,
        organisation_id=ctx.application.organisation_id,
        application_id=ctx.application.id,
        standard_id=ctx.rubric.id,
        standard_version=ctx.rubric.version,
        standard_sha256=ctx.rubric.sha256,
        level=ctx.snapshot["level"],
        holder_name=ctx.snapshot["holder"]["name"],
        holder_country=ctx.snapshot["holder"]["country"],
        issued_at=ctx.issued_at,
        valid_from=ctx.issued_at,
        valid_until=until,
        public_url=ctx.public_url,
        snapshot=ctx.snapshot_bytes,
        snapshot_sha256=sha256_hex(ctx.snapshot_bytes),
        credential=ctx.credential_bytes,
        credential_sha256=sha256_hex(ctx.credential_bytes),
        credential_key_id=ctx.keys.current_credential_key.id,
        revocation_list_id=revocation.id,
        revocation_index=revocation_index,
        suspension_list_id=suspension.id,
        suspension_index=suspension_index,
        status=CertificateStatus.ACTIVE.value,
        status_changed_at=ctx.issued_at,
    )
    certificate.changes.append(
        CertificateStatusChange(
            changed_at=ctx.now,
            actor=str(ctx.actor),
            previous_status=None,
            new_status=CertificateStatus.ACTIVE.value,
            reason="issued",
        )
    )
    ctx.session.add(certificate)
    ctx.session.flush()
    ctx.certificate = certificate


def earlier_certificates(ctx: IssuanceContext) -> list[Certificate]:
    """The organisation's other certificates of the same standard that a new one replaces:
    active or suspended, and not expired at issuance (also before the new one is recorded).
    Read once per issuance: no step between the two that ask changes them."""
    if ctx.earlier is None:
        ctx.earlier = in_force_earlier(
            ctx.session,
            ctx.application.organisation_id,
            ctx.rubric.id,
            ctx.now,
            exclude=ctx.certificate.id if ctx.certificate is not None else None,
        )
    return ctx.earlier


def in_force_earlier(
    session: Session,
    organisation_id: int,
    standard_id: str,
    now: dt.datetime,
    *,
    exclude: int | None,
) -> list[Certificate]:
    """The organisation's certificates of *standard_id* in force at *now* (active or
    suspended, not expired), but *exclude*."""
    query = select(Certificate).where(
        Certificate.organisation_id == organisation_id,
        Certificate.standard_id == standard_id,
        Certificate.status.in_([CertificateStatus.ACTIVE.value, CertificateStatus.SUSPENDED.value]),
    )
    if exclude is not None:
        query = query.where(Certificate.id != exclude)
    earlier = session.scalars(query).all()
    return [old for old in earlier if old.status_at(now) is not CertificateStatus.EXPIRED]


def audit_issuance(ctx: IssuanceContext) -> None:
    """The ``certificate.issued`` audit event."""
    certificate = ctx.certificate
    assert certificate is not None
    record_event(
        ctx.session,
        ctx.actor,
        "certificate.issued",
        "certificate",
        certificate.serial,
        after={
            "serial": certificate.serial,
            "application": ctx.application.public_id,
            "level": certificate.level,
            "standard": ctx.rubric.key,
            "snapshot_sha256": certificate.snapshot_sha256,
            "credential_sha256": certificate.credential_sha256,
            "credential_key": certificate.credential_key_id,
            "supersedes": [c.serial for c in ctx.superseded],
        },
        now=ctx.now,
    )
