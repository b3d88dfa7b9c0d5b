"""Certificate verification: is this document genuine, unmodified, issued by this registry,
and valid today?

Pure: given the document's bytes (a signed PDF or a credential JSON), the registry's key export
(what a verifier pins) and, when online, what the registry says about the serial now, run the
checks of the public contract in order and return one verdict. The web pages, the API and the
offline ``certify-verify`` all call :func:`verify_document`.

Checks, in order (each ``ok`` True, False, or None when not run): ``file_readable``,
``pdf_signature``, ``pdf_coverage``, ``signer_trusted``, ``credential_proof``,
``credential_issuer``, ``record_match``, ``status``, ``validity_period``, ``log_inclusion``.

Verdict, the first that applies: ``tampered`` (altered after signing), ``untrusted`` (signed,
not by this registry), ``unknown`` (no such certificate), ``withdrawn``, ``suspended``,
``superseded``, ``expired``, ``valid``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from certify.core.credentials.dates import parse_datetime
from certify.core.credentials.keydocs import credential_keys_from_export, key_resolver
from certify.core.credentials.keys import CredentialKey
from certify.core.credentials.proofs import verify_credential
from certify.core.credentials.urls import did_web_from_url
from certify.core.credentials.vocabulary import CredentialError
from certify.core.pdf.validation import validate_pdf

CHECK_NAMES = (
    "file_readable",
    "pdf_signature",
    "pdf_coverage",
    "signer_trusted",
    "credential_proof",
    "credential_issuer",
    "record_match",
    "status",
    "validity_period",
    "log_inclusion",
)
VERDICTS = (
    "tampered",
    "untrusted",
    "unknown",
    "withdrawn",
    "suspended",
    "superseded",
    "expired",
    "valid",
)

#: Largest document accepted for verification (PDF or JSON).
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_JSON_DEPTH = 64
CLOCK_SKEW = dt.timedelta(minutes=5)
#: Traces a PDF signature leaves; one damaged byte cannot remove them all.
SIGNATURE_MARKERS = (
    b"/ByteRange",
    b"/ETSI.CAdES.detached",
    b"/adbe.pkcs7",
    b"/Type /Sig",
    b"/Type/Sig",
    b"/SigFlags",
)


class NotADocument(ValueError):
    """The bytes are neither a PDF nor a credential: nothing to verify (a 4xx, not a verdict)."""


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


@dataclass(frozen=True)
class RegistryKeys:
    """What a verifier trusts: the registry's key export, parsed."""

    registry: str
    root_certificates: tuple[x509.Certificate, ...]
    credential_keys: tuple[CredentialKey, ...]
    log_key: str | None
    root_fingerprint: str

    @classmethod
    def from_export(cls, export: Mapping[str, Any]) -> RegistryKeys:
        """Parse a key export (``keys.json``).

        Raises:
            ValueError: the export is malformed.
        """
        from certify.core.pdf.pki import cert_fingerprint

        try:
            registry = str(export["registry"]).rstrip("/")
            roots = tuple(x509.load_pem_x509_certificates(str(export["root_ca_pem"]).encode()))
            keys = tuple(credential_keys_from_export(export))
        except (KeyError, TypeError, ValueError, CredentialError) as exc:
            raise ValueError(f"not a usable key export: {exc}") from exc
        if not roots:
            raise ValueError("not a usable key export: no root certificate")
        log_key = export.get("log_key")
        return cls(
            registry,
            roots,
            keys,
            log_key if isinstance(log_key, str) else None,
            cert_fingerprint(roots[0]),
        )


@dataclass(frozen=True)
class RegistryRecord:
    """What the registry says about a serial right now (online verification only)."""

    found: bool
    credential_bytes: bytes | None = None
    status: str | None = None  # active | suspended | withdrawn | superseded | expired
    status_detail: str = ""
    certificate: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Verification:
    verdict: str
    checks: tuple[Check, ...]
    credential: Mapping[str, Any] | None = None
    serial: str | None = None
    freshness: str = ""
    facts: Mapping[str, Any] = field(default_factory=dict)

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "checks": [c.to_dict() for c in self.checks]}


RecordLookup = Callable[[str], RegistryRecord]
LogProofCheck = Callable[[str, bytes], tuple[bool, str]]


def _json_depth_ok(value: Any, depth: int = 0) -> bool:
    if depth > MAX_JSON_DEPTH:
        return False
    if isinstance(value, dict):
        return all(_json_depth_ok(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return all(_json_depth_ok(v, depth + 1) for v in value)
    return True


def parse_credential_json(data: bytes) -> dict[str, Any]:
    """Parse a credential document, refusing what cannot be one.

    Raises:
        NotADocument: not JSON, not an object, or absurdly nested.
    """
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise NotADocument("This is neither a PDF certificate nor a credential (JSON).") from exc
    if not isinstance(value, dict) or not _json_depth_ok(value):
        raise NotADocument("This JSON is not a credential: it must be one JSON object.")
    return value


def _serial_of(credential: Mapping[str, Any]) -> str | None:
    subject = credential.get("credentialSubject")
    serial = subject.get("serial") if isinstance(subject, dict) else None
    return serial if isinstance(serial, str) else None


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


def verify_document(
    data: bytes,
    keys: RegistryKeys,
    *,
    now: dt.datetime,
    lookup: RecordLookup | None = None,
    log_check: LogProofCheck | None = None,
    freshness: str | None = None,
) -> Verification:
    """Run every check on *data* (a signed PDF or a credential JSON) and decide the verdict.

    *lookup* (online) tells what the registry holds for the serial now; without it the record
    and status checks are not run. *log_check* checks a PDF's transparency-log proof against
    the credential bytes. Never raises for hostile input, except :class:`NotADocument` for bytes
    that are neither PDF nor JSON.
    """
    checks: dict[str, Check] = {}

    def put(name: str, ok: bool | None, detail: str) -> None:
        checks[name] = Check(name, ok, detail)

    if len(data) > MAX_DOCUMENT_BYTES:
        raise NotADocument(
            f"The file is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB: "
            "no certificate is that large."
        )
    credential: dict[str, Any] | None = None
    credential_bytes: bytes | None = None
    log_proof_text: str | None = None
    is_pdf = data.lstrip()[:5] == b"%PDF-" or b"%PDF-" in data[:1024]
    if is_pdf:
        pdf = validate_pdf(data, list(keys.root_certificates), now=now)
        put(
            "file_readable",
            pdf.readable,
            "the PDF could be read" if pdf.readable else "the PDF is damaged or truncated",
        )
        if not pdf.readable:
            pass
        elif not pdf.signed and any(marker in data for marker in SIGNATURE_MARKERS):
            # It was signed once, but the signature no longer parses: damaged after signing.
            put("pdf_signature", False, "the signature was damaged after signing")
        elif not pdf.signed:
            put("pdf_signature", False, "the PDF carries no digital signature")
        else:
            sound = pdf.intact and pdf.valid
            put(
                "pdf_signature",
                sound,
                "the signature matches the signed bytes"
                if sound
                else "the signed content was altered after signing",
            )
            put(
                "pdf_coverage",
                pdf.coverage_entire,
                "the signature covers the whole file"
                if pdf.coverage_entire
                else "content was added or changed after signing (the signature does not cover "
                "the whole file)",
            )
            put(
                "signer_trusted",
                pdf.trusted,
                f"signed by {pdf.signer_subject}, issued by this registry's root "
                f"({keys.root_fingerprint})"
                if pdf.trusted
                else f"signed by {pdf.signer_subject or 'an unknown signer'}, which this "
                "registry's root did not certify",
            )
            credential_bytes = pdf.embedded_files.get("certificate.json")
            proof = pdf.embedded_files.get("transparency-log-proof.txt")
            if proof is not None:
                try:
                    log_proof_text = proof.decode("utf-8")
                except UnicodeDecodeError:
                    log_proof_text = ""
            if credential_bytes is not None and pdf.ok:
                try:
                    credential = parse_credential_json(credential_bytes)
                except NotADocument:
                    credential = None
    else:
        credential = parse_credential_json(data)
        credential_bytes = data
        put("file_readable", True, "a credential (JSON) was read")
        for name in ("pdf_signature", "pdf_coverage", "signer_trusted"):
            put(name, None, "not a PDF: only the credential's own proof is checked")

    # -- the credential ------------------------------------------------------------------------
    created: dt.datetime | None = None
    if credential is None:
        if (
            is_pdf
            and checks.get("pdf_signature")
            and checks["pdf_signature"].ok
            and checks.get("pdf_coverage")
            and checks["pdf_coverage"].ok
            and checks.get("signer_trusted")
            and checks["signer_trusted"].ok
        ):
            put("credential_proof", False, "the PDF holds no readable certificate.json")
        else:
            put("credential_proof", None, "not checked: the PDF itself did not verify")
    else:
        result = verify_credential(credential, key_resolver(keys.registry, keys.credential_keys))
        created = result.created
        if result.ok and not _key_valid_at(
            keys.credential_keys, result.verification_method, keys.registry, created
        ):
            put("credential_proof", False, "signed with a registry key outside its validity window")
        else:
            known = result.verification_method is not None and any(
                result.verification_method.endswith("#" + k.id) for k in keys.credential_keys
            )
            vm = _proof_method(credential)
            known = known or (
                vm is not None and any(vm.endswith("#" + k.id) for k in keys.credential_keys)
            )
            put(
                "credential_proof",
                result.ok,
                f"proof by {result.verification_method} verifies"
                if result.ok
                else (
                    "signed by a key this registry never published" if not known else result.reason
                ),
            )
        issuer = credential.get("issuer")
        issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
        expected = did_web_from_url(keys.registry)
        put(
            "credential_issuer",
            issuer_id == expected,
            f"issued by {expected}"
            if issuer_id == expected
            else f"issued by {issuer_id!r}, not by this registry ({expected})",
        )

    serial = _serial_of(credential) if credential else None
    # -- online: the registry's record and live status ------------------------------------------
    record: RegistryRecord | None = None
    if (
        lookup is not None
        and serial is not None
        and checks.get("credential_proof")
        and checks["credential_proof"].ok
    ):
        record = lookup(serial)
        if not record.found:
            put("record_match", False, f"this registry holds no certificate {serial}")
        else:
            same = record.credential_bytes == credential_bytes or (
                record.credential_bytes is not None
                and credential is not None
                and _same_json(record.credential_bytes, credential)
            )
            put(
                "record_match",
                same,
                "matches the registry's record"
                if same
                else "differs from the registry's record of this serial",
            )
            status = record.status or "unknown"
            put("status", status == "active", record.status_detail or f"status: {status}")
    else:
        put(
            "record_match",
            None,
            "not checked: offline"
            if lookup is None
            else "not checked: the credential did not verify",
        )
        put(
            "status",
            None,
            "status not checked: offline"
            if lookup is None
            else "not checked: the credential did not verify",
        )

    # -- validity period --------------------------------------------------------------------------
    expired = False
    if credential is not None and checks["credential_proof"].ok:
        checks["validity_period"], expired = _validity(credential, now)
    else:
        put("validity_period", None, "not checked")

    # -- transparency log ------------------------------------------------------------------------
    if log_proof_text is not None and log_check is not None and credential_bytes is not None:
        ok, detail = log_check(log_proof_text, credential_bytes)
        put("log_inclusion", ok, detail)
    elif is_pdf and log_check is not None and credential is not None:
        put("log_inclusion", None, "the PDF carries no transparency-log proof")
    else:
        put("log_inclusion", None, "not checked")

    verdict = _verdict(checks, record, expired)
    ordered = tuple(checks.get(n, Check(n, None, "not checked")) for n in CHECK_NAMES)
    return Verification(
        verdict,
        ordered,
        credential,
        serial,
        freshness or ("status not checked: offline" if lookup is None else ""),
        {"registry": keys.registry, "root_fingerprint": keys.root_fingerprint},
    )


def _validity(credential: Mapping[str, Any], now: dt.datetime) -> tuple[Check, bool]:
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
    try:
        return bool(json.loads(stored) == credential)
    except ValueError:
        return False


def _verdict(checks: Mapping[str, Check], record: RegistryRecord | None, expired: bool) -> str:
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
        checks["validity_period"], expired = _validity(stored.credential or {}, now)
    ordered = tuple(checks[n] for n in CHECK_NAMES)
    return Verification(
        _verdict(checks, record, expired),
        ordered,
        stored.credential,
        stored.serial,
        freshness,
        stored.facts,
    )
