"""The web side of verification: the registry's own keys, its records and live status."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import current_app, g
from sqlalchemy import select

from certify import clock
from certify.certificates.keys import get_keystore
from certify.certificates.models import Certificate, CertificateStatus
from certify.certificates.pdf import certificate_with_pdf_hash
from certify.certificates.timestamps import tsa_roots_pem
from certify.core.canonical import sha256_hex
from certify.core.verification.document import verify_document
from certify.core.verification.model import Check, RegistryKeys, RegistryRecord, Verification
from certify.core.verification.verdict import with_live_status
from certify.db import db_session
from certify.state import app_state
from certify.translog.store import stored_origin


def registry_keys() -> RegistryKeys:
    """This registry's key export, parsed once per key set (rotation changes the fingerprint)."""
    store = get_keystore()
    key = (tuple(k.id for k in store.credential_keys), store.current_signing_cert.fingerprint)
    return app_state().caches.registry_keys.get_or_make(
        key,
        lambda: RegistryKeys.from_export(
            store.export(
                current_app.config["PUBLIC_URL"], stored_origin(db_session()), tsa_roots_pem()
            )
        ),
    )


def _status_words(certificate: Certificate, status: CertificateStatus) -> str:
    """The status in plain words for the public: the reason *category* only. The admin's
    free-text reason may name people or internal matters; the registry and its API never
    show it, and neither does verification."""
    when = certificate.status_changed_at or certificate.issued_at
    category = ""
    if status in (CertificateStatus.SUSPENDED, CertificateStatus.WITHDRAWN):
        # only these name why; reading the history costs a query the others do not need
        last = certificate.changes[-1] if certificate.changes else None
        category = (last.reason_category or "").replace("_", " ") if last else ""
    if status is CertificateStatus.SUSPENDED:
        return f"suspended since {when.day} {when:%b %Y} because of {category or 'a decision'}"
    if status is CertificateStatus.WITHDRAWN:
        return f"withdrawn on {when.day} {when:%b %Y} ({category or 'decision'})"
    if status is CertificateStatus.SUPERSEDED:
        newer = certificate.superseded_by.serial if certificate.superseded_by else "a newer one"
        return f"superseded by {newer} on {when.day} {when:%b %Y}"
    if status is CertificateStatus.EXPIRED:
        return f"expired on {certificate.valid_until.day} {certificate.valid_until:%b %Y}"
    return f"active, valid until {certificate.valid_until.day} {certificate.valid_until:%b %Y}"


def public_summary(certificate: Certificate) -> dict[str, Any]:
    """What the API says about a certificate in a verification answer."""
    status = certificate.current_status
    snapshot = certificate.snapshot_data
    return {
        "serial": certificate.serial,
        "status": status.value,
        "statusDetail": _status_words(certificate, status),
        "holder": snapshot.get("holder"),
        "level": certificate.level,
        "standard": snapshot.get("standard"),
        "validFrom": snapshot.get("validFrom"),
        "validUntil": snapshot.get("validUntil"),
    }


def lookup(serial: str) -> RegistryRecord:
    """What the registry holds for *serial* now: the credential, live status and the SHA-256
    of the PDF it issued (an uploaded PDF must be byte for byte that file)."""
    row = certificate_with_pdf_hash(db_session(), serial)
    if row is None:
        g.certify_looked_up = (serial, None)
        return RegistryRecord(found=False)
    certificate: Certificate = row[0]
    g.certify_looked_up = (serial, certificate)  # the answer shows it: no second query
    status = certificate.current_status
    return RegistryRecord(
        True,
        certificate.credential,
        status.value,
        _status_words(certificate, status),
        public_summary(certificate),
        pdf_sha256=row[1],
    )


def looked_up(serial: str | None) -> Certificate | None:
    """The certificate :func:`lookup` read for *serial* in this request, if it did."""
    kept = g.get("certify_looked_up")
    return kept[1] if kept is not None and kept[0] == serial else None


def _log_check() -> Any:
    """Checks a PDF's transparency-log proof with this registry's log key and origin."""
    from certify.core.tlog.logproof import verify_certificate_log_proof
    from certify.core.tlog.note import parse_verifier_key

    keys = registry_keys()
    if keys.log_key is None:
        return None
    origin = parse_verifier_key(keys.log_key).name  # the log's own origin names its key
    return lambda proof, credential: verify_certificate_log_proof(
        proof, credential, keys.log_key, origin
    )


def verify_bytes(data: bytes) -> Verification:
    """Verify an uploaded PDF or credential against this registry, with live status.

    Raises:
        NotADocument: neither a PDF nor a credential.
    """
    now = clock.now()
    return verify_document(
        data,
        registry_keys(),
        now=now,
        lookup=lookup,
        log_check=_log_check(),
        freshness=f"live from the registry at {now:%Y-%m-%d %H:%M:%S} UTC",
    )


def verify_certificate(certificate: Certificate) -> Verification:
    """Verify the stored credential of *certificate* (the QR-code and serial route).

    The proof checks of stored bytes never change, so they are computed once per certificate
    and key set and kept (bounded); the record, the status and the validity period are read
    live on every request. The registry holds no PDF to check here, so ``log_inclusion``
    reports whether the log holds this certificate's issuance entry for exactly these bytes.
    """
    now = clock.now()
    keys = registry_keys()
    cache = app_state().caches.verify_static
    key = (certificate.serial, keys.root_fingerprint, len(keys.credential_keys))
    static = cache.get(key)
    if static is None:
        offline = verify_document(certificate.credential, keys, now=now)
        index = _issuance_log_index(certificate)
        detail = (
            f"issuance recorded as entry #{index} of the public log"
            if index is not None
            else "no issuance entry for this credential in the public log"
        )
        static = replace(
            offline,
            checks=tuple(
                Check("log_inclusion", index is not None, detail)
                if c.name == "log_inclusion"
                else c
                for c in offline.checks
            ),
        )
        cache.put(key, static)  # bounded: a crawl of every serial cannot exhaust memory
    status = certificate.status_at(now)
    record = RegistryRecord(
        True, certificate.credential, status.value, _status_words(certificate, status)
    )
    return with_live_status(
        static, record, now, f"live from the registry at {now:%Y-%m-%d %H:%M:%S} UTC"
    )


def _issuance_log_index(certificate: Certificate) -> int | None:
    from certify.core.tlog.entry import parse_log_entry
    from certify.translog.models import LogEntry

    rows = (
        db_session()
        .scalars(
            select(LogEntry).where(
                LogEntry.serial == certificate.serial, LogEntry.event == "issued"
            )
        )
        .all()
    )
    expected = sha256_hex(certificate.credential)
    for row in rows:
        if parse_log_entry(bytes(row.entry)).credential_hash == expected:
            return row.idx
    return None
