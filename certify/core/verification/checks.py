"""The checks after the document is read, in the contract's order: the credential's proof and
issuer, the registry's record and live status (online), the validity period, and the
transparency-log proof. Each puts its named :class:`~certify.core.verification.model.Check`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from certify.core.credentials.dates import parse_datetime
from certify.core.credentials.keydocs import key_resolver
from certify.core.credentials.keys import CredentialKey
from certify.core.credentials.proofs import verify_credential
from certify.core.credentials.urls import did_web_from_url
from certify.core.credentials.vocabulary import CredentialError
from certify.core.strict_json import JsonInputError, parse_json
from certify.core.verification.model import (
    CLOCK_SKEW,
    Check,
    LogProofCheck,
    RecordLookup,
    RegistryKeys,
    RegistryRecord,
)


class Checks(dict[str, Check]):
    """The checks run so far, by name."""

    def put(self, name: str, ok: bool | None, detail: str) -> None:
        """Record check *name* (replacing an earlier one of that name)."""
        self[name] = Check(name, ok, detail)

    def passed(self, name: str) -> bool:
        """True when check *name* ran and passed."""
        check = self.get(name)
        return check is not None and bool(check.ok)


@dataclass
class Document:
    """What the document held: a PDF or not, its credential (parsed, when it is one and the
    PDF verified), the credential's bytes and the PDF's transparency-log proof."""

    is_pdf: bool
    credential: dict[str, Any] | None = None
    credential_bytes: bytes | None = None
    log_proof_text: str | None = None
    credential_problem: str | None = None
    sha256: str | None = None  # of the PDF's bytes, to compare with the file the registry issued


def check_credential(doc: Document, keys: RegistryKeys, checks: Checks) -> None:
    """``credential_proof`` (signed by a published registry key, inside its validity window)
    and ``credential_issuer`` (this registry's did:web)."""
    credential = doc.credential
    if credential is None:
        if (
            doc.is_pdf
            and checks.passed("pdf_signature")
            and checks.passed("pdf_coverage")
            and checks.passed("signer_trusted")
        ):
            checks.put(
                "credential_proof",
                False,
                doc.credential_problem or "the PDF holds no readable certificate.json",
            )
        else:
            checks.put("credential_proof", None, "not checked: the PDF itself did not verify")
        return
    result = verify_credential(credential, key_resolver(keys.registry, keys.credential_keys))
    if result.ok and not _key_valid_at(
        keys.credential_keys, result.verification_method, keys.registry, result.created
    ):
        checks.put(
            "credential_proof", False, "signed with a registry key outside its validity window"
        )
    else:
        known = result.verification_method is not None and any(
            result.verification_method.endswith("#" + k.id) for k in keys.credential_keys
        )
        vm = _proof_method(credential)
        known = known or (
            vm is not None and any(vm.endswith("#" + k.id) for k in keys.credential_keys)
        )
        checks.put(
            "credential_proof",
            result.ok,
            f"proof by {result.verification_method} verifies"
            if result.ok
            else ("signed by a key this registry never published" if not known else result.reason),
        )
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    expected = did_web_from_url(keys.registry)
    checks.put(
        "credential_issuer",
        issuer_id == expected,
        f"issued by {expected}"
        if issuer_id == expected
        else f"issued by {issuer_id!r}, not by this registry ({expected})",
    )


def check_record(
    doc: Document, serial: str | None, lookup: RecordLookup | None, checks: Checks
) -> RegistryRecord | None:
    """Online: ``record_match`` (the registry holds these very bytes for the serial) and
    ``status`` (active now); return the record, or None when not looked up."""
    if lookup is None or serial is None or not checks.passed("credential_proof"):
        reason = "offline" if lookup is None else "the credential did not verify"
        checks.put("record_match", None, f"not checked: {reason}")
        checks.put(
            "status",
            None,
            "status not checked: offline" if lookup is None else f"not checked: {reason}",
        )
        return None
    record = lookup(serial)
    if not record.found:
        checks.put("record_match", False, f"this registry holds no certificate {serial}")
        return record
    same = record.credential_bytes == doc.credential_bytes or (
        record.credential_bytes is not None
        and doc.credential is not None
        and _same_json(record.credential_bytes, doc.credential)
    )
    detail = (
        "matches the registry's record"
        if same
        else "differs from the registry's record of this serial"
    )
    if same and doc.is_pdf and record.pdf_sha256 is not None:
        # Genuine means byte-exact where that can be known: the registry keeps the PDF it
        # issued, so any other byte sequence was changed, whatever its signature says.
        same = doc.sha256 == record.pdf_sha256
        detail = (
            "matches the registry's record: byte for byte the PDF it issued"
            if same
            else "this PDF is not byte for byte the file this registry issued for the serial "
            "(its SHA-256 differs), although its signature checks pass"
        )
    checks.put("record_match", same, detail)
    status = record.status or "unknown"
    checks.put("status", status == "active", record.status_detail or f"status: {status}")
    return record


def check_validity(doc: Document, now: dt.datetime, checks: Checks) -> bool:
    """``validity_period`` (only for a credential whose proof verified); return whether the
    credential has expired."""
    if doc.credential is None or not checks.passed("credential_proof"):
        checks.put("validity_period", None, "not checked")
        return False
    checks["validity_period"], expired = validity_check(doc.credential, now)
    return expired


def check_log(doc: Document, log_check: LogProofCheck | None, checks: Checks) -> None:
    """``log_inclusion``: the PDF's transparency-log proof, checked against the credential."""
    if (
        doc.log_proof_text is not None
        and log_check is not None
        and doc.credential_bytes is not None
    ):
        ok, detail = log_check(doc.log_proof_text, doc.credential_bytes)
        checks.put("log_inclusion", ok, detail)
    elif doc.is_pdf and log_check is not None and doc.credential is not None:
        checks.put("log_inclusion", None, "the PDF carries no transparency-log proof")
    else:
        checks.put("log_inclusion", None, "not checked")


def serial_of(credential: Mapping[str, Any]) -> str | None:
    """The serial the credential names, if it names one."""
    subject = credential.get("credentialSubject")
    serial = subject.get("serial") if isinstance(subject, dict) else None
    return serial if isinstance(serial, str) else None


def validity_check(credential: Mapping[str, Any], now: dt.datetime) -> tuple[Check, bool]:
    """The ``validity_period`` check at *now*, and whether the credential has expired."""
    try:
        valid_from = parse_datetime(str(credential.get("validFrom")))
        valid_until = parse_datetime(str(credential.get("validUntil")))
    except (CredentialError, ValueError):
        return Check("validity_period", False, "the credential's dates cannot be read"), False
    expired = now > valid_until
    # Clocks differ: a certificate issued a moment ago must not look "not yet valid".
    early = now + CLOCK_SKEW < valid_from
    if expired:
        detail = f"expired on {valid_until:%Y-%m-%d}"
    elif early:
        detail = f"not valid before {valid_from:%Y-%m-%d}"
    else:
        detail = f"valid until {valid_until:%Y-%m-%d %H:%M} UTC"
    return Check("validity_period", not (expired or early), detail), expired


def _same_json(stored: bytes, credential: Mapping[str, Any]) -> bool:
    # The registry's bytes may come over the network (certify-verify --registry): strict.
    try:
        return bool(parse_json(stored) == credential)
    except JsonInputError:
        return False


def _proof_method(credential: Mapping[str, Any]) -> str | None:
    proof = credential.get("proof")
    method = proof.get("verificationMethod") if isinstance(proof, dict) else None
    return method if isinstance(method, str) else None


def _key_valid_at(
    keys: Sequence[CredentialKey], vm: str | None, registry: str, when: dt.datetime | None
) -> bool:
    if vm is None or when is None:
        return False
    for key in keys:
        if vm.endswith("#" + key.id):
            return key.valid_from <= when and (key.valid_until is None or when <= key.valid_until)
    return False
