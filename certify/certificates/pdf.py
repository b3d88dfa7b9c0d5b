"""The signed PDF certificate: two issuance steps, the stored document and the cached signer.

Issuance steps (their place in the order is in :data:`certify.lifecycle.ISSUE`):

=================  ====================================================================
``sign_pdf``       render the page (ReportLab, QR code to ``<public url>/verify/<serial>``),
                   embed the credential's stored bytes as ``certificate.json`` (and the
                   transparency-log proof as ``transparency-log.tlog-proof``), certify
                   (PAdES, DocMDP no changes, the *current* document-signing certificate,
                   chain and the root's CRL in a DSS in the signed revision), then
                   validate the result as a verifier would; a document that fails is refused
                   and the issuance fails with nothing recorded
``store_pdf``      the PDF into the document store (:mod:`certify.storage`: the local
                   folder or the S3 bucket, under its SHA-256), then the
                   :class:`CertificateDocument` row (bytes + SHA-256)
=================  ====================================================================

Why both, for now: the row is the append-only, transactional reference that verification
compares uploads with (``pdf_sha256``) and a database backup carries; the document store is
where every server and the backups find the file next to the evidence. The file is stored
before the row is flushed, so a committed certificate always has its PDF in storage; an
issuance that fails in a later step removes the file again; one whose commit fails leaves an
unreferenced, content-addressed file (harmless, listed by ``storage verify``). Serving from
storage and dropping the column is a later migration (expand, then contract), once every
deployment has run ``storage migrate``.

The core :class:`~certify.core.pdf.signing.PdfSigner` is built once per process and cached
(``app_state().caches.pdf_signer``) under the signing certificate's fingerprint: after
``keys rotate`` the key store reloads, the fingerprint changes and the next issuance builds a
new signer. When the key lives in a PKCS#11 token the signer is pyHanko's ``PKCS11Signer``
on this process's token session (:mod:`certify.hsm`), so the cache key also names the process.

pyHanko runs ``asyncio.run()`` inside; it cannot do so on a thread whose event loop is running
(e.g. a Playwright test). :func:`call_outside_event_loop` moves such calls to a worker thread.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from cryptography import x509
from flask import Flask, current_app
from sqlalchemy import ForeignKey, LargeBinary, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from certify import clock
from certify.certificates.fonts import find_fonts
from certify.certificates.issuance import IssuanceContext, IssuanceError
from certify.certificates.keys import KeyStore
from certify.certificates.models import Certificate
from certify.certificates.timestamps import get_timestamper, tsa_certificates, tsa_roots
from certify.core.canonical import sha256_hex
from certify.core.pdf.certificate.drawing import render_tagged_certificate
from certify.core.pdf.signing import PdfSigner
from certify.core.pdf.validation import PdfValidation, validate_pdf
from certify.db import Base
from certify.hsm.token import TokenError
from certify.hsm.token import open_session as token_session
from certify.state import app_state

__all__ = [
    "CREDENTIAL_ATTACHMENT",
    "LOG_PROOF_ATTACHMENT",
    "CertificateDocument",
    "PdfRefusedError",
    "call_outside_event_loop",
    "certificate_with_pdf_hash",
    "document_for",
    "get_pdf_signer",
    "pdf_file_name",
    "render_and_sign",
    "sign_certificate_pdf",
    "sign_pdf",
    "store_pdf",
    "verify_url",
]

T = TypeVar("T")
log = logging.getLogger(__name__)

CREDENTIAL_ATTACHMENT = "certificate.json"
#: C2SP tlog-proof: "Proofs SHOULD be stored with file extension .tlog-proof" (issue 20;
#: certificates issued before carry it as transparency-log-proof.txt, still read)
LOG_PROOF_ATTACHMENT = "transparency-log.tlog-proof"
_SIGNER_LOCK = threading.Lock()


class CertificateDocument(Base):
    """The signed PDF of a certificate, as served: bytes and their SHA-256 (append-only:
    database triggers refuse updates and deletes, see migration 0007)."""

    __tablename__ = "certificate_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificate.id"), unique=True)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    #: ``SHA256:AA:BB:...`` of the document-signing certificate that signed it
    signing_cert_fingerprint: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

    def __repr__(self) -> str:
        return f"<CertificateDocument certificate={self.certificate_id} {self.pdf_sha256[:12]}>"


class PdfRefusedError(IssuanceError):
    """The issuer's own check of a freshly signed PDF failed; the PDF was not released."""


# --------------------------------------------------------------------------- helpers


def call_outside_event_loop(function: Callable[..., T], *args: object, **kwargs: object) -> T:
    """Call *function*, on a worker thread when this thread runs an asyncio event loop
    (pyHanko's ``asyncio.run()`` would fail there), else directly. Returns its result or
    raises its exception."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def verify_url(public_url: str, serial: str) -> str:
    """The address printed and encoded in the QR code: ``<public url>/verify/<serial>``."""
    return f"{public_url.rstrip('/')}/verify/{serial}"


def pdf_file_name(serial: str) -> str:
    """``certificate-<serial>.pdf``, the download name."""
    return f"certificate-{serial}.pdf"


def get_pdf_signer(keys: KeyStore, app: Flask | None = None) -> PdfSigner:
    """The core signer for the key store's *current* document-signing certificate, built once
    per process and cached under its fingerprint (a rotation builds a new one).

    Raises:
        IssuanceError: the current signing certificate's private key is not here, or the
            token holding it cannot be used (the message says why).
    """
    app = app or current_app
    signing = keys.current_signing_cert
    timestamper = get_timestamper(app)
    # a token signer holds this process's session: a forked worker or a new session (the
    # PIN setting changed) builds its own
    fingerprint = (signing.fingerprint, app.config.get("TSA_URL"), _session_tag(keys))
    cache = app_state(app).caches.pdf_signer
    cached = cache.get(fingerprint)
    if cached is not None:
        return cached
    with _SIGNER_LOCK:
        cached = cache.get(fingerprint)
        if cached is not None:
            return cached
        signer = PdfSigner(
            _signing_key(keys), signing.certificate, [keys.root_cert], timestamper=timestamper
        )
        cache.put(fingerprint, signer)
    return signer


def _session_tag(keys: KeyStore) -> object:
    """What names the token session a token signer would use (None for a key in a file).

    Raises:
        IssuanceError: the token cannot be opened.
    """
    if keys.current_signing_cert.token_key_id is None or keys.token is None:
        return None
    try:
        return (os.getpid(), id(token_session(keys.token)))
    except TokenError as exc:
        raise IssuanceError(f"the document-signing key cannot be used: {exc.message}") from None


def _signing_key(keys: KeyStore) -> Any:
    """The current document-signing key: the key from its file, or a pyHanko signer on the
    token's key.

    Raises:
        IssuanceError: the key is missing, or the token cannot be used.
    """
    signing = keys.current_signing_cert
    if signing.token_key_id is not None and keys.token is not None:
        from certify.hsm import objects as token_objects  # python-pkcs11: only with a token

        try:
            return token_objects.pdf_signer(keys.token, signing.token_key_id, signing.certificate)
        except TokenError as exc:
            raise IssuanceError(f"the document-signing key cannot be used: {exc.message}") from None
    if signing.private_key is None:
        raise IssuanceError(
            f"the private key of the document-signing certificate {signing.name} is missing"
        )
    return signing.private_key


def _attachments(credential_bytes: bytes, log_proof: object) -> dict[str, bytes]:
    files = {CREDENTIAL_ATTACHMENT: bytes(credential_bytes)}
    if isinstance(log_proof, str) and log_proof:
        files[LOG_PROOF_ATTACHMENT] = log_proof.encode("utf-8")
    return files


def _check(
    pdf: bytes,
    keys: KeyStore,
    expected: Mapping[str, bytes],
    now: dt.datetime,
    timestamp_roots: Sequence[x509.Certificate] = (),
) -> PdfValidation:
    """Validate *pdf* as a verifier holding the key export would (the root and the published
    signing certificates), plus: signed by the current signing certificate, and carrying
    exactly the *expected* attachments.

    Raises:
        PdfRefusedError: any check failed (the reasons are in the message).
    """
    result = validate_pdf(
        pdf,
        [keys.root_cert],
        signing_certificates=[s.certificate for s in keys.signing_certs],
        timestamp_roots=timestamp_roots,
        now=now,
    )
    problems = list(result.errors) if not result.ok else []
    if result.ok and timestamp_roots and not result.timestamp_trusted:
        problems.append("the signature carries no time-stamp from the configured TSA")
    if result.ok and result.signer_fingerprint != keys.current_signing_cert.fingerprint:
        problems.append("signed by a certificate other than the current signing certificate")
    if result.ok and dict(result.embedded_files) != expected:
        problems.append("the embedded files differ from the credential (and log proof)")
    if problems:
        log.error("refusing to release a certificate PDF: %s", "; ".join(problems))
        raise PdfRefusedError(
            "the signed PDF failed the issuer's own check and was not released: "
            + "; ".join(problems)
        )
    return result


def render_and_sign(
    snapshot: Mapping[str, Any],
    attachments: Mapping[str, bytes],
    *,
    keys: KeyStore,
    public_url: str,
    registry_name: str,
    signing_time: dt.datetime,
    app: Flask | None = None,
    certified_since: dt.datetime | None = None,
) -> bytes:
    """The certificate PDF of *snapshot* as issued, before the issuer's own check: the tagged
    page rendered, *attachments* embedded, signed (certified, the chain, the CRL and the TSA's
    certificates in the DSS). The issuance benchmark's baseline is exactly this call.

    Raises:
        IssuanceError: the signing key is missing.
        FontNotFoundError: no usable font in ``PDF_FONT_DIR`` (or the system's folders).
        CertificateDataError, SigningError: from the core.
    """
    app = app or current_app
    serial = str(snapshot["serial"])
    rendered = render_tagged_certificate(
        snapshot,
        verify_url=verify_url(public_url, serial),
        registry_name=registry_name,
        public_url=public_url,
        fonts=find_fonts(app.config.get("PDF_FONT_DIR")),
        certified_since=(
            certified_since.astimezone(dt.UTC).date().isoformat() if certified_since else None
        ),
    )
    signer = get_pdf_signer(keys, app)
    tsa_certs = tsa_certificates(signer.timestamper) if signer.timestamper else []
    return signer.sign(
        rendered.pdf,
        attachments=attachments,
        reason=f"Certificate {serial} issued by {registry_name}",
        location=public_url,
        name=registry_name,
        signing_time=signing_time,
        crls=[keys.crl] if keys.crl else [],
        validation_certs=[*tsa_certs, *tsa_roots(app)],
        structure=rendered.structure,
    )


def sign_certificate_pdf(
    snapshot: Mapping[str, Any],
    credential_bytes: bytes,
    *,
    keys: KeyStore,
    public_url: str,
    registry_name: str,
    signing_time: dt.datetime,
    log_proof: str | None = None,
    app: Flask | None = None,
    certified_since: dt.datetime | None = None,
) -> bytes:
    """Render, sign and self-validate the PDF of *snapshot* (with a renewal's
    *certified_since* among its dates); return the bytes to release.

    Raises:
        PdfRefusedError: the signed file is not intact, valid, trusted against the root and
            covering the whole file, or its attachments are not exactly what was embedded.
        IssuanceError: the signing key is missing.
        FontNotFoundError: no usable font in ``PDF_FONT_DIR`` (or the system's folders).
        CertificateDataError, SigningError: from the core.
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    files = _attachments(credential_bytes, log_proof)
    roots = tsa_roots(app)

    def sign_and_check() -> bytes:
        signed = render_and_sign(
            snapshot,
            files,
            keys=keys,
            public_url=public_url,
            registry_name=registry_name,
            signing_time=signing_time,
            app=app,
            certified_since=certified_since,
        )
        _check(signed, keys, files, signing_time, roots)
        return signed

    return call_outside_event_loop(sign_and_check)


def certificate_with_pdf_hash(session: Session, serial: str) -> Any:
    """``(certificate, SHA-256 of its stored PDF or None)`` for this serial in one query
    (verification compares an upload with that hash), or None."""
    return session.execute(
        select(Certificate, CertificateDocument.pdf_sha256)
        .outerjoin(CertificateDocument, CertificateDocument.certificate_id == Certificate.id)
        .where(Certificate.serial == serial)
    ).first()


def document_for(session: Session, certificate: Certificate) -> CertificateDocument | None:
    """The stored PDF of *certificate*, or None (certificates issued before PDFs existed)."""
    return session.scalar(
        select(CertificateDocument).where(CertificateDocument.certificate_id == certificate.id)
    )


# --------------------------------------------------------------------------- steps


def sign_pdf(ctx: IssuanceContext) -> None:
    """Issuance step: render, sign and self-validate the PDF (``ctx.pdf``)."""
    assert ctx.snapshot is not None and ctx.credential_bytes is not None
    assert ctx.issued_at is not None
    pdf = sign_certificate_pdf(
        ctx.snapshot,
        ctx.credential_bytes,
        keys=ctx.keys,
        public_url=ctx.public_url,
        registry_name=ctx.issuer_name,
        signing_time=ctx.issued_at,
        log_proof=ctx.log_proof,
        # shown on a renewal only: a first certificate is certified since it was issued
        certified_since=_renewal_since(ctx),
    )
    ctx.pdf = pdf
    ctx.pdf_sha256 = sha256_hex(pdf)
    ctx.pdf_signing_cert = ctx.keys.current_signing_cert.fingerprint


def _renewal_since(ctx: IssuanceContext) -> dt.datetime | None:
    since, issued = ctx.certified_since, ctx.issued_at
    return since if since is not None and issued is not None and since < issued else None


def store_pdf(ctx: IssuanceContext) -> None:
    """Issuance step: store the signed PDF in the document store, then with the certificate
    row."""
    from certify.storage.setup import document_store

    assert ctx.certificate is not None
    if ctx.pdf is None or ctx.pdf_sha256 is None or ctx.pdf_signing_cert is None:
        raise IssuanceError("no PDF was made for this certificate")
    store = document_store()
    try:
        digest, created = store.put_bytes(ctx.pdf)
    except Exception as exc:  # the disk or the object store: no certificate without its PDF
        log.exception("could not store the PDF of %s", ctx.serial)
        raise IssuanceError("the signed PDF could not be stored; nothing was issued") from exc
    if created:  # a later step failing removes it (never a file another issuance stored)

        def remove() -> None:
            store.backend.delete(digest)

        ctx.on_failure.append(remove)
    if digest != ctx.pdf_sha256:  # pragma: no cover - the same bytes hashed twice
        raise IssuanceError("the stored PDF's hash differs from the issued one")
    ctx.session.add(
        CertificateDocument(
            certificate_id=ctx.certificate.id,
            pdf=ctx.pdf,
            pdf_sha256=ctx.pdf_sha256,
            signing_cert_fingerprint=ctx.pdf_signing_cert,
            created_at=ctx.now,
        )
    )
