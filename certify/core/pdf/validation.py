"""Validating the PAdES signature of a certificate PDF (pyHanko), never raising.

:func:`validate_pdf` answers, without ever raising on hostile input: is the file readable, is
it signed, is the signature intact and cryptographically valid, does the signer chain to one
of the given roots, and does the signature cover the whole file with nothing appended?

Why the checks are what they are (see ``shared/NOTES.md``): pyHanko's ``valid`` stays true on a
file that had an unsigned incremental update appended (e.g. one that swaps the embedded JSON);
only the coverage / modification analysis catches that. So a file is OK only when
``bottom_line`` holds *and* the coverage is ``ENTIRE_FILE``. Neither looks inside
``/Contents``, which the signature cannot cover: :mod:`certify.core.pdf.container` checks that
it holds exactly the CMS certify writes and zero padding (``container_exact``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleTrustManager

from certify.core.pdf.container import check_signature_container
from certify.core.pdf.fastpaths import validate_pdf_signature
from certify.core.pdf.pki import der_fingerprint
from certify.core.pdf.reading import (
    DEFAULT_MAX_ATTACHMENT_BYTES,
    DEFAULT_MAX_PDF_BYTES,
    PdfInputError,
    open_pdf,
    read_attachments,
    signed_root,
)

__all__ = ["PdfValidation", "validate_pdf"]

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=16)
def _trust_manager(root_ders: tuple[bytes, ...]) -> SimpleTrustManager:
    """pyHanko's trust manager for these roots, built once: building one prepares the roots'
    names for comparison (RFC 4518 string preparation), about a millisecond each time. It is
    read-only once built, so validations on any thread share it."""
    return SimpleTrustManager.build(
        trust_roots=[asn1_x509.Certificate.load(der) for der in root_ders]
    )


@dataclass(frozen=True)
class PdfValidation:
    """The outcome of :func:`validate_pdf`. :attr:`ok` is the one flag to act on.

    - ``readable``: the bytes parsed as a PDF (within the size cap).
    - ``signed``: it holds at least one signature.
    - ``intact``: the signed bytes hash to the digest in the signature.
    - ``valid``: the CMS signature verifies over that digest.
    - ``trusted``: the signer's certificate chains to one of the trust roots, and is usable
      for signing documents at the validation time.
    - ``coverage_entire``: the signature covers the entire file and nothing was appended.
    - ``container_exact``: ``/Contents`` holds exactly the signature container as written
      (for the registry's own signature: the CMS certify writes, byte for byte) and zero
      padding; ``container_problem`` says what is wrong when it does not.
    - ``bottom_line``: pyHanko's overall judgement (includes modification policy).
    - ``certified``: a certification signature permitting no changes (DocMDP level 1), as
      certify writes since issue 20; older certificates carry an approval signature.
    - ``timestamp``: the time a TSA's signature time-stamp token proves (PAdES B-T), or
      None; ``timestamp_trusted``: whether that TSA chains to a pinned TSA root (None when
      the verifier pinned none: the token is then checked for integrity only).
    - ``embedded_files``: attachments of the *signed* revision (empty when unsigned).
    """

    readable: bool = False
    signed: bool = False
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    coverage_entire: bool = False
    container_exact: bool = False
    container_problem: str = ""
    bottom_line: bool = False
    certified: bool = False
    timestamp: datetime | None = None
    timestamp_trusted: bool | None = None
    summary: str = ""
    signer_subject: str | None = None
    signer_fingerprint: str | None = None
    signing_time: datetime | None = None
    signature_count: int = 0
    embedded_files: Mapping[str, bytes] = field(default_factory=dict)
    errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True only for a readable, signed, intact, valid, trusted, fully covering signature
        in an exact container that pyHanko also judges sound overall."""
        return (
            self.readable
            and self.signed
            and self.intact
            and self.valid
            and self.trusted
            and self.coverage_entire
            and self.container_exact
            and self.bottom_line
        )


def validate_pdf(
    pdf_bytes: bytes,
    trust_roots: Sequence[x509.Certificate],
    *,
    signing_certificates: Sequence[x509.Certificate] | None = None,
    timestamp_roots: Sequence[x509.Certificate] = (),
    max_bytes: int = DEFAULT_MAX_PDF_BYTES,
    max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES,
    now: datetime | None = None,
) -> PdfValidation:
    """Validate the (first) signature of *pdf_bytes* against *trust_roots*.

    *signing_certificates* are the registry's published document-signing certificates: the
    certificates a registry signature carries must be byte for byte the roots and these
    (None: none are published, as in older key exports; the signer's certificate is then
    accepted when it chains to a root). *timestamp_roots* are the pinned roots of the TSA
    whose time-stamp tokens the registry's signatures may carry; without them a token must be
    intact and valid, and its TSA is reported as not judged.

    Never raises for any input bytes: unreadable, oversized, unsigned, foreign-signed,
    tampered or appended-to files all yield a :class:`PdfValidation` with the matching flags
    false and a reason in ``errors``. No network access is made (no OCSP/CRL fetching: the
    registry's own status service is the revocation mechanism). The signer's certificate is
    checked at *now* (timezone-aware; default: the current time).

    The first signature is the one checked because certify's PDFs carry exactly one; any
    later signature or update makes ``coverage_entire`` false.
    """
    try:
        reader = open_pdf(pdf_bytes, max_bytes, max_attachment_bytes)
    except PdfInputError as exc:
        return PdfValidation(errors=(str(exc),), summary="UNREADABLE")
    except Exception as exc:  # belt and braces: hostile input must not escape as a 500
        return PdfValidation(errors=(f"unreadable PDF: {exc}",), summary="UNREADABLE")
    try:
        signatures = list(reader.embedded_signatures)
    except Exception as exc:
        return PdfValidation(
            readable=True, errors=(f"cannot read the signatures: {exc}",), summary="UNREADABLE"
        )
    if not signatures:
        return PdfValidation(readable=True, errors=("the PDF is not signed",), summary="UNSIGNED")
    errors: list[str] = []
    if len(signatures) > 1:
        errors.append(f"{len(signatures)} signatures; only the first is checked")
    embedded = signatures[0]
    roots = _ders(trust_roots)
    signing = None if signing_certificates is None else _ders(signing_certificates)
    try:
        status = _pyhanko_status(embedded, roots, _ders(timestamp_roots), now)
    except Exception as exc:
        log.info("PDF signature validation failed: %s", exc)
        return PdfValidation(
            readable=True,
            signed=True,
            signature_count=len(signatures),
            errors=(*errors, f"signature cannot be validated: {type(exc).__name__}: {exc}"),
            summary="INVALID",
        )
    container = check_signature_container(
        bytes(pdf_bytes),
        embedded.byte_range,
        embedded.pkcs7_content,
        roots=roots,
        signing_certs=signing,
        signer_trusted=bool(status.trusted),
    )
    if not container.exact:
        errors.append(f"the signature container was altered: {container.problem}")
    judged = _judged(reader, embedded, status, errors, len(signatures), max_attachment_bytes)
    stamp = _timestamp(status, pinned=bool(timestamp_roots), errors=errors)
    return replace(
        judged,
        container_exact=container.exact,
        container_problem=container.problem,
        bottom_line=_bottom_line(status, stamp),
        timestamp=stamp[0],
        timestamp_trusted=stamp[1],
        errors=tuple(errors),
    )


def _ders(certificates: Sequence[x509.Certificate]) -> tuple[bytes, ...]:
    return tuple(c.public_bytes(serialization.Encoding.DER) for c in certificates)


def _pyhanko_status(
    embedded: Any, roots: tuple[bytes, ...], tsa_roots: tuple[bytes, ...], now: datetime | None
) -> Any:
    """pyHanko's validation of *embedded*: the signer against *roots*, a time-stamp token's
    authority against *tsa_roots* (the registry's roots when none are pinned); no fetching."""
    context = ValidationContext(
        trust_manager=_trust_manager(roots), allow_fetching=False, moment=now
    )
    ts_context = ValidationContext(
        trust_manager=_trust_manager(tsa_roots or roots), allow_fetching=False, moment=now
    )
    return validate_pdf_signature(
        embedded, signer_validation_context=context, ts_validation_context=ts_context
    )


def _timestamp(status: Any, *, pinned: bool, errors: list[str]) -> tuple[Any, bool | None, bool]:
    """(time, TSA trusted or None when not judged, token sound) of the signature's time-stamp
    token; (None, None, True) without one."""
    token = getattr(status, "timestamp_validity", None)
    if token is None:
        return None, None, True
    sound = bool(token.intact and token.valid)
    if not sound:
        errors.append("the signature's time-stamp token does not verify")
    trusted = bool(token.trusted) if pinned else None
    if trusted is False:
        errors.append("the time-stamp authority does not chain to a pinned TSA root")
    return token.timestamp, trusted, sound and trusted is not False


def _bottom_line(status: Any, stamp: tuple[Any, bool | None, bool]) -> bool:
    """pyHanko's bottom line, but a time-stamp token counts only as far as the verifier can
    judge it: its integrity always, its TSA's trust only against pinned TSA roots (a registry
    signature is not "tampered" because a verifier never pinned the TSA it used)."""
    try:
        modification_ok = bool(status.docmdp_ok) or status.modification_level is None
        return bool(
            status.intact
            and status.valid
            and status.trusted
            and status.seed_value_ok
            and modification_ok
            and stamp[2]
        )
    except Exception:  # a status pyHanko could not fill in: not sound
        return False


def _judged(
    reader: Any,
    embedded: Any,
    status: Any,
    errors: list[str],
    signature_count: int,
    max_attachment_bytes: int,
) -> PdfValidation:
    """The :class:`PdfValidation` of a signature pyHanko validated as *status*."""
    coverage_entire = status.coverage == SignatureCoverageLevel.ENTIRE_FILE and (
        status.modification_level in (None, ModificationLevel.NONE)
    )
    if not status.intact:
        errors.append("the signed bytes were altered (digest mismatch)")
    if not status.valid:
        errors.append("the signature does not verify")
    if not status.trusted:
        errors.append("the signer does not chain to a trusted root")
    if not coverage_entire:
        errors.append("the signature does not cover the whole file (content added after signing)")
    signer_subject = signer_fingerprint = None
    try:
        cert = status.signing_cert
        signer_subject = cert.subject.human_friendly
        signer_fingerprint = der_fingerprint(cert.dump())
    except Exception as exc:
        errors.append(f"cannot read the signer certificate: {exc}")
    files: dict[str, bytes] = {}
    try:
        files = read_attachments(signed_root(reader, embedded), max_attachment_bytes)
    except Exception as exc:
        errors.append(f"cannot read the embedded files: {exc}")
    try:
        summary = status.summary()
    except Exception:
        summary = "INVALID"
    return PdfValidation(
        readable=True,
        signed=True,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        coverage_entire=coverage_entire,
        bottom_line=bool(status.bottom_line),
        certified=_certified(embedded),
        summary=summary,
        signer_subject=signer_subject,
        signer_fingerprint=signer_fingerprint,
        signing_time=status.signer_reported_dt,
        signature_count=signature_count,
        embedded_files=files,
        errors=tuple(errors),
    )


def _certified(embedded: Any) -> bool:
    """A certification signature permitting no changes (DocMDP level 1)."""
    try:
        return bool(embedded.docmdp_level == MDPPerm.NO_CHANGES)
    except Exception:  # a damaged /Reference or /Perms: not certified
        return False
