"""PAdES signatures on certificate PDFs (pyHanko), and their validation.

:class:`PdfSigner` embeds attachments (the credential as ``certificate.json``) and signs the
PDF in one incremental revision, so the attachment is covered by the signature.
:func:`validate_pdf` answers, without ever raising on hostile input: is the file readable, is
it signed, is the signature intact and cryptographically valid, does the signer chain to one
of the given roots, and does the signature cover the whole file with nothing appended?

Why the checks are what they are (see ``shared/NOTES.md``): pyHanko's ``valid`` stays true on a
file that had an unsigned incremental update appended (e.g. one that swaps the embedded JSON);
only the coverage / modification analysis catches that. So a file is OK only when
``bottom_line`` holds *and* the coverage is ``ENTIRE_FILE``.

Attachments are always read from the revision the signature covers, never from later
revisions, so an appended update cannot change what a verifier reads.
"""

from __future__ import annotations

import asyncio
import functools
import io
import logging
import mimetypes
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.pdf_utils import embed, generic
from pyhanko.pdf_utils.decode_limits import (
    DecodeLimits,
    DocumentDecodeBudget,
    StreamDecodeLimits,
)
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore, SimpleTrustManager

from certify.core import pyhanko_fastpaths
from certify.core.pki import KeyMaterialError, der_fingerprint

__all__ = [
    "DEFAULT_MAX_ATTACHMENT_BYTES",
    "DEFAULT_MAX_PDF_BYTES",
    "PdfInputError",
    "PdfSigner",
    "PdfValidation",
    "SigningError",
    "extract_attachment",
    "validate_pdf",
]

log = logging.getLogger(__name__)

MiB = 1024 * 1024
DEFAULT_MAX_PDF_BYTES = 10 * MiB  # a certificate PDF is well under 200 KB
DEFAULT_MAX_ATTACHMENT_BYTES = 1 * MiB  # a credential is a few KB
_MAX_ATTACHMENTS = 32
_MAX_NAME_TREE_DEPTH = 8

pyhanko_fastpaths.install()  # pyHanko's answers, in about half the validation time


@functools.lru_cache(maxsize=16)
def _trust_manager(root_ders: tuple[bytes, ...]) -> SimpleTrustManager:
    """pyHanko's trust manager for these roots, built once: building one prepares the roots'
    names for comparison (RFC 4518 string preparation), about a millisecond each time. It is
    read-only once built, so validations on any thread share it."""
    return SimpleTrustManager.build(
        trust_roots=[asn1_x509.Certificate.load(der) for der in root_ders]
    )


class PdfInputError(ValueError):
    """The bytes are not a PDF this module can read (too large, not a PDF, or malformed)."""


# --------------------------------------------------------------------------- signing


def _to_asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _mime_type(name: str) -> str:
    if name.lower().endswith(".json"):
        return "application/json"
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


class PdfSigner:
    """A PAdES signer built once per process from the document-signing key and certificate.

    Building converts the ``cryptography`` objects to the asn1crypto objects pyHanko uses
    (a DER round trip) once; :meth:`sign` then reuses them.

    Raises (from the constructor):
        KeyMaterialError: the key is not an ECDSA P-256 key or does not belong to the
            certificate.
    """

    def __init__(
        self,
        signing_key: ec.EllipticCurvePrivateKey,
        signing_cert: x509.Certificate,
        chain: Sequence[x509.Certificate] = (),
    ) -> None:
        if not isinstance(signing_key, ec.EllipticCurvePrivateKey) or not isinstance(
            signing_key.curve, ec.SECP256R1
        ):
            raise KeyMaterialError("the PDF signing key must be an ECDSA P-256 private key")
        if signing_key.public_key() != signing_cert.public_key():
            raise KeyMaterialError("the signing key does not belong to the signing certificate")
        key_der = signing_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.certificate = signing_cert
        self.chain = tuple(chain)
        self._signer = signers.SimpleSigner(
            signing_cert=_to_asn1_cert(signing_cert),
            signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
            # The chain goes into the CMS so verifiers that only hold the root can build it.
            cert_registry=SimpleCertificateStore.from_certs([_to_asn1_cert(c) for c in self.chain]),
        )

    def sign(
        self,
        pdf_bytes: bytes,
        *,
        attachments: Mapping[str, bytes] | None = None,
        field_name: str = "CertifySignature",
        reason: str | None = None,
        location: str | None = None,
        name: str | None = None,
        signing_time: datetime | None = None,
    ) -> bytes:
        """Embed *attachments* and sign *pdf_bytes* with a PAdES baseline B-B signature.

        Attachments (file name → bytes; ``.json`` gets ``application/json``) are added to the
        document's EmbeddedFiles in the same incremental revision as the signature, so the
        signature covers them. The signature is invisible, SHA-256, with the chain embedded.
        *signing_time* (timezone-aware) is the claimed signing time written into the
        signature dictionary; it defaults to now. It is not a trusted timestamp.

        Raises:
            PdfInputError: *pdf_bytes* is not a PDF pyHanko can update.
            ValueError: *signing_time* is naive, or an attachment name is empty.
            SigningError: pyHanko refused to sign (e.g. the field is already signed).
        """
        if signing_time is not None and signing_time.utcoffset() is None:
            raise ValueError("signing_time must be timezone-aware")
        try:
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=True)
        except Exception as exc:
            raise PdfInputError(f"cannot read the PDF to sign: {exc}") from exc
        for file_name, data in (attachments or {}).items():
            if not file_name:
                raise ValueError("attachment names must not be empty")
            spec = embed.FileSpec(
                file_spec_string=file_name,
                file_name=file_name,
                embedded_data=embed.EmbeddedFileObject.from_file_data(
                    writer,
                    data=bytes(data),
                    mime_type=_mime_type(file_name),
                    params=embed.EmbeddedFileParams(embed_size=True, embed_checksum=False),
                ),
                description=f"{file_name} (covered by the document signature)",
                af_relationship=generic.pdf_name("/Data"),
            )
            embed.embed_file(writer, spec)
        meta = signers.PdfSignatureMetadata(
            field_name=field_name,
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            reason=reason,
            location=location,
            name=name,
        )
        pdf_signer = signers.PdfSigner(meta, signer=self._signer)
        output = io.BytesIO()
        # pyHanko's signing is asyncio inside; like pyHanko's own sign_pdf this uses
        # asyncio.run, so call sign() from synchronous code (a worker thread under asyncio).
        if signing_time is None:
            pdf_signer.sign_pdf(writer, output=output)
        else:
            asyncio.run(self._sign_at(pdf_signer, writer, output, signing_time))
        return output.getvalue()

    @staticmethod
    async def _sign_at(
        pdf_signer: signers.PdfSigner,
        writer: IncrementalPdfFileWriter,
        output: io.BytesIO,
        signing_time: datetime,
    ) -> None:
        # PdfSigner.async_sign_pdf with one change: the session's clock is the one passed in
        # (pyHanko takes datetime.now() otherwise). Same steps, same order.
        session = pdf_signer.init_signing_session(writer)
        session.system_time = signing_time
        validation_info = await session.perform_presign_validation(writer)
        reserved = await session.estimate_signature_container_size(
            validation_info, tight=pdf_signer.signature_meta.tight_size_estimates
        )
        tbs = session.prepare_tbs_document(validation_info=validation_info, bytes_reserved=reserved)
        prepared, res_output = tbs.digest_tbs_document(output=output)
        post = await tbs.perform_signature(
            document_digest=prepared.document_digest,
            pdf_cms_signed_attrs=PdfCMSSignedAttributes(
                signing_time=signing_time,
                adobe_revinfo_attr=(
                    None if validation_info is None else validation_info.adobe_revinfo_attr
                ),
                cades_signed_attrs=pdf_signer.signature_meta.cades_signed_attr_spec,
            ),
        )
        await post.post_signature_processing(res_output)


# --------------------------------------------------------------------------- validation


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
    - ``bottom_line``: pyHanko's overall judgement (includes modification policy).
    - ``embedded_files``: attachments of the *signed* revision (empty when unsigned).
    """

    readable: bool = False
    signed: bool = False
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    coverage_entire: bool = False
    bottom_line: bool = False
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
        that pyHanko also judges sound overall."""
        return (
            self.readable
            and self.signed
            and self.intact
            and self.valid
            and self.trusted
            and self.coverage_entire
            and self.bottom_line
        )


def _decode_limits(max_attachment_bytes: int) -> DecodeLimits:
    # Compression bombs: no single stream may decode to more than the larger of the
    # attachment cap and a page-content allowance, and the whole document gets a budget.
    per_stream = max(max_attachment_bytes, 8 * MiB)
    return DecodeLimits(
        per_stream=StreamDecodeLimits(max_output_size=per_stream),
        # Every decode counts, including re-reading the signed revision: 64 MiB in all, or
        # four times the file size for a file larger than 16 MiB (which max_bytes refuses).
        document_budget=DocumentDecodeBudget(base_allowance=64 * MiB, max_ratio=4),
    )


def _open(pdf_bytes: bytes, max_bytes: int, max_attachment_bytes: int) -> PdfFileReader:
    if not isinstance(pdf_bytes, bytes | bytearray | memoryview):
        raise PdfInputError("expected PDF bytes")
    data = bytes(pdf_bytes)
    if not data:
        raise PdfInputError("the file is empty")
    if len(data) > max_bytes:
        raise PdfInputError(f"the file is larger than {max_bytes} bytes")
    # PDF readers accept a header within the first 1024 bytes; we need the header at all.
    if b"%PDF-" not in data[:1024]:
        raise PdfInputError("not a PDF file (no %PDF- header)")
    try:
        return PdfFileReader(
            io.BytesIO(data),
            strict=True,
            decode_limits=_decode_limits(max_attachment_bytes),
        )
    except Exception as exc:
        raise PdfInputError(f"unreadable PDF: {type(exc).__name__}: {exc}") from exc


def _name_tree_items(node: Any, depth: int = 0) -> list[tuple[str, Any]]:
    """Flatten a PDF name tree (bounded depth and size: the tree is attacker-supplied)."""
    if depth > _MAX_NAME_TREE_DEPTH:
        raise PdfInputError("embedded-file name tree too deep")
    node = node.get_object() if isinstance(node, generic.IndirectObject) else node
    if not isinstance(node, generic.DictionaryObject):
        raise PdfInputError("malformed embedded-file name tree")
    items: list[tuple[str, Any]] = []
    if "/Names" in node:
        names = node["/Names"]
        if not isinstance(names, generic.ArrayObject) or len(names) % 2:
            raise PdfInputError("malformed embedded-file name array")
        for i in range(0, len(names), 2):
            key = names[i]
            if not isinstance(key, generic.TextStringObject | generic.ByteStringObject):
                raise PdfInputError("malformed embedded-file name")
            label = key if isinstance(key, str) else bytes(key).decode("latin-1")
            items.append((str(label), names.raw_get(i + 1)))
    if "/Kids" in node:
        for kid in node["/Kids"]:
            items.extend(_name_tree_items(kid, depth + 1))
    if len(items) > _MAX_ATTACHMENTS:
        raise PdfInputError("too many embedded files")
    return items


def _read_attachments(root: Any, max_attachment_bytes: int) -> dict[str, bytes]:
    """EmbeddedFiles of the catalog *root* (a revision's root), each capped in size."""
    try:
        names = root["/Names"]
        tree = names["/EmbeddedFiles"]
    except KeyError:
        return {}
    files: dict[str, bytes] = {}
    for label, spec_ref in _name_tree_items(tree):
        spec = spec_ref.get_object() if isinstance(spec_ref, generic.IndirectObject) else spec_ref
        if not isinstance(spec, generic.DictionaryObject) or "/EF" not in spec:
            continue
        ef = spec["/EF"]
        stream = ef.get("/UF") or ef.get("/F")
        if stream is None:
            continue
        stream = stream.get_object() if isinstance(stream, generic.IndirectObject) else stream
        if not isinstance(stream, generic.StreamObject):
            raise PdfInputError(f"embedded file {label!r} is not a stream")
        # The reader's decode limits stop a compression bomb while decoding; this cap is the
        # application's own ceiling on what it will hand to a JSON parser.
        data = stream.data
        if len(data) > max_attachment_bytes:
            raise PdfInputError(f"embedded file {label!r} exceeds {max_attachment_bytes} bytes")
        if label in files:
            raise PdfInputError(f"embedded file name {label!r} appears twice")
        files[label] = data
    return files


def validate_pdf(
    pdf_bytes: bytes,
    trust_roots: Sequence[x509.Certificate],
    *,
    max_bytes: int = DEFAULT_MAX_PDF_BYTES,
    max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES,
    now: datetime | None = None,
) -> PdfValidation:
    """Validate the (first) signature of *pdf_bytes* against *trust_roots*.

    Never raises for any input bytes: unreadable, oversized, unsigned, foreign-signed,
    tampered or appended-to files all yield a :class:`PdfValidation` with the matching flags
    false and a reason in ``errors``. No network access is made (no OCSP/CRL fetching: the
    registry's own status service is the revocation mechanism). The signer's certificate is
    checked at *now* (timezone-aware; default: the current time).

    The first signature is the one checked because certify's PDFs carry exactly one; any
    later signature or update makes ``coverage_entire`` false.
    """
    errors: list[str] = []
    try:
        reader = _open(pdf_bytes, max_bytes, max_attachment_bytes)
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
    if len(signatures) > 1:
        errors.append(f"{len(signatures)} signatures; only the first is checked")
    embedded = signatures[0]

    try:
        roots = tuple(root.public_bytes(serialization.Encoding.DER) for root in trust_roots)
        context = ValidationContext(
            trust_manager=_trust_manager(roots),
            allow_fetching=False,
            moment=now,
        )
        status = validate_pdf_signature(embedded, context)
    except Exception as exc:
        log.info("PDF signature validation failed: %s", exc)
        return PdfValidation(
            readable=True,
            signed=True,
            signature_count=len(signatures),
            errors=(*errors, f"signature cannot be validated: {type(exc).__name__}: {exc}"),
            summary="INVALID",
        )

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
        root = reader.get_historical_root(embedded.signed_revision)
        files = _read_attachments(root, max_attachment_bytes)
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
        summary=summary,
        signer_subject=signer_subject,
        signer_fingerprint=signer_fingerprint,
        signing_time=status.signer_reported_dt,
        signature_count=len(signatures),
        embedded_files=files,
        errors=tuple(errors),
    )


def extract_attachment(
    pdf_bytes: bytes,
    name: str,
    *,
    max_bytes: int = DEFAULT_MAX_PDF_BYTES,
    max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES,
) -> bytes | None:
    """Return the embedded file *name* of *pdf_bytes*, or None if there is none.

    For a signed PDF it is read from the revision the first signature covers (what was
    signed, not what was appended later); for an unsigned one from the latest revision.
    This does not check the signature: call :func:`validate_pdf` for that.

    Raises:
        PdfInputError: the bytes are not a readable PDF, exceed a size cap, or hold a
            malformed embedded-file tree.
    """
    reader = _open(pdf_bytes, max_bytes, max_attachment_bytes)
    try:
        signatures = list(reader.embedded_signatures)
        root = (
            reader.get_historical_root(signatures[0].signed_revision) if signatures else reader.root
        )
        return _read_attachments(root, max_attachment_bytes).get(name)
    except PdfInputError:
        raise
    except Exception as exc:
        raise PdfInputError(f"cannot read the embedded files: {exc}") from exc
