"""The verdict, the first that applies: ``tampered`` (altered after signing), ``untrusted``
(signed, not by this registry), ``unknown`` (no such certificate), ``withdrawn``,
``suspended``, ``superseded``, ``expired``, ``valid``. Evidence of tampering always wins over
status."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from certify.core.verification.checks import validity_check
from certify.core.verification.model import CHECK_NAMES, Check, RegistryRecord, Verification


def verdict_of(checks: Mapping[str, Check], record: RegistryRecord | None, expired: bool) -> str:
    """The verdict the *checks* (and the registry's *record*, when online) lead to."""

    def failed(name: str) -> bool:
        check = checks.get(name)
        return check is not None and check.ok is False

    if not checks.get("file_readable", Check("", False, "")).ok:
        return "tampered"
    if failed("pdf_signature") and checks["pdf_signature"].detail.startswith("the PDF carries no"):
        return "untrusted"
    if (
        failed("pdf_signature")
        or failed("pdf_coverage")
        or (failed("record_match") and record is not None and record.found)
    ):
        return "tampered"
    if failed("signer_trusted") or failed("credential_issuer"):
        return "untrusted"
    proof = checks.get("credential_proof")
    if proof is None or proof.ok is not True:
        if proof is not None and "never published" in proof.detail:
            return "untrusted"
        return "tampered"
    if failed("log_inclusion"):
        return "tampered"
    if record is not None and not record.found:
        return "unknown"
    if record is not None and record.status in ("withdrawn", "suspended", "superseded"):
        return record.status
    if expired or (record is not None and record.status == "expired"):
        return "expired"
    if failed("validity_period"):
        return "expired"
    return "valid"


def with_live_status(
    stored: Verification, record: RegistryRecord, now: dt.datetime, freshness: str
) -> Verification:
    """Add the registry's live record to an offline result for the registry's own stored
    credential: the record matches by construction, the status and the validity period are
    today's, and the verdict follows. Lets the serial page reuse the (immutable) proof checks.
    """
    checks = {c.name: c for c in stored.checks}
    checks["record_match"] = Check(
        "record_match",
        record.found,
        "matches the registry's record" if record.found else "this registry holds no such record",
    )
    status = record.status or "unknown"
    checks["status"] = Check(
        "status", status == "active", record.status_detail or f"status: {status}"
    )
    expired = False
    if checks["credential_proof"].ok:
        checks["validity_period"], expired = validity_check(stored.credential or {}, now)
    ordered = tuple(checks[n] for n in CHECK_NAMES)
    return Verification(
        verdict_of(checks, record, expired),
        ordered,
        stored.credential,
        stored.serial,
        freshness,
        stored.facts,
    )
