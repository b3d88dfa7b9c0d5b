"""What verification works with and answers: the checks and verdicts of the public contract,
the registry's keys (what a verifier trusts), the registry's record of a serial (online only)
and the :class:`Verification` itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from certify.core.credentials.keydocs import credential_keys_from_export
from certify.core.credentials.keys import CredentialKey
from certify.core.credentials.vocabulary import CredentialError

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
    """One check of the public contract: ``ok`` is True, False, or None when it was not run;
    ``detail`` says why, in plain words."""

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
    #: the published document-signing certificates; None for an older export without them
    signing_certificates: tuple[x509.Certificate, ...] | None = None
    #: the roots of the TSA whose time-stamp tokens the registry's PDFs carry (issue 20)
    timestamp_roots: tuple[x509.Certificate, ...] = ()

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
            signing_pem = export.get("signing_certs_pem")
            tsa_pem = export.get("timestamp_roots_pem")
            tsa_roots = (
                tuple(x509.load_pem_x509_certificates(str(tsa_pem).encode())) if tsa_pem else ()
            )
            signing = (
                None
                if signing_pem is None
                else tuple(x509.load_pem_x509_certificates(str(signing_pem).encode()))
            )
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
            signing,
            tsa_roots,
        )


@dataclass(frozen=True)
class RegistryRecord:
    """What the registry says about a serial right now (online verification only)."""

    found: bool
    credential_bytes: bytes | None = None
    status: str | None = None  # active | suspended | withdrawn | superseded | expired
    status_detail: str = ""
    certificate: Mapping[str, Any] | None = None
    #: SHA-256 (hex) of the PDF the registry issued for the serial, when it keeps one
    pdf_sha256: str | None = None


@dataclass(frozen=True)
class Verification:
    """The verdict, every check in :data:`CHECK_NAMES` order, and what was read: the
    credential, its serial, how fresh the status is, and facts about the registry."""

    verdict: str
    checks: tuple[Check, ...]
    credential: Mapping[str, Any] | None = None
    serial: str | None = None
    freshness: str = ""
    facts: Mapping[str, Any] = field(default_factory=dict)

    def check(self, name: str) -> Check:
        """The check called *name* (StopIteration if there is none)."""
        return next(c for c in self.checks if c.name == name)

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "checks": [c.to_dict() for c in self.checks]}


#: Online verification: what the registry holds for a serial now.
RecordLookup = Callable[[str], RegistryRecord]
#: Checks a PDF's transparency-log proof against the credential bytes: (ok, detail).
LogProofCheck = Callable[[str, bytes], tuple[bool, str]]
