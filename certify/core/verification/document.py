"""Verifying a document: :func:`verify_document` reads it (a signed PDF or a credential JSON),
runs every check in the contract's order and picks the verdict."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from certify.core.pdf.validation import PdfValidation, validate_pdf
from certify.core.strict_json import DuplicateKeyError, JsonInputError, parse_json
from certify.core.verification.checks import (
    Checks,
    Document,
    check_credential,
    check_log,
    check_record,
    check_validity,
    serial_of,
)
from certify.core.verification.model import (
    CHECK_NAMES,
    MAX_DOCUMENT_BYTES,
    MAX_JSON_DEPTH,
    SIGNATURE_MARKERS,
    Check,
    LogProofCheck,
    NotADocument,
    RecordLookup,
    RegistryKeys,
    Verification,
)
from certify.core.verification.verdict import verdict_of


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
    if len(data) > MAX_DOCUMENT_BYTES:
        raise NotADocument(
            f"The file is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB: "
            "no certificate is that large."
        )
    checks = Checks()
    doc = _read_pdf(data, keys, now, checks) if _looks_like_pdf(data) else _read_json(data, checks)
    # The contract's order, after the document's own checks.
    check_credential(doc, keys, checks)
    serial = serial_of(doc.credential) if doc.credential else None
    record = check_record(doc, serial, lookup, checks)
    expired = check_validity(doc, now, checks)
    check_log(doc, log_check, checks)
    ordered = tuple(checks.get(n, Check(n, None, "not checked")) for n in CHECK_NAMES)
    return Verification(
        verdict_of(checks, record, expired),
        ordered,
        doc.credential,
        serial,
        freshness or ("status not checked: offline" if lookup is None else ""),
        {"registry": keys.registry, "root_fingerprint": keys.root_fingerprint},
    )


def _looks_like_pdf(data: bytes) -> bool:
    """A PDF, or what is left of one: its header, its end marker or a signature's traces. A
    certificate with one damaged header byte is a damaged PDF (``tampered``), not 'neither a
    PDF nor a credential'."""
    if b"%PDF-" in data[:1024]:
        return True
    if data.lstrip()[:1] in (b"{", b"[", b"\xef"):
        return False  # JSON (perhaps after a byte order mark)
    return b"%%EOF" in data[-1024:] or any(marker in data for marker in SIGNATURE_MARKERS)


def _read_pdf(data: bytes, keys: RegistryKeys, now: dt.datetime, checks: Checks) -> Document:
    """``file_readable``, ``pdf_signature``, ``pdf_coverage`` and ``signer_trusted`` of a PDF;
    the credential inside counts only when the PDF verified."""
    doc = Document(is_pdf=True, sha256=hashlib.sha256(data).hexdigest())
    pdf = validate_pdf(
        data,
        list(keys.root_certificates),
        signing_certificates=keys.signing_certificates,
        timestamp_roots=keys.timestamp_roots,
        now=now,
    )
    checks.put(
        "file_readable",
        pdf.readable,
        "the PDF could be read" if pdf.readable else "the PDF is damaged or truncated",
    )
    if not pdf.readable:
        return doc
    if not pdf.signed:
        # Signed once, but the signature no longer parses: damaged after signing.
        damaged = any(marker in data for marker in SIGNATURE_MARKERS)
        checks.put(
            "pdf_signature",
            False,
            "the signature was damaged after signing"
            if damaged
            else "the PDF carries no digital signature",
        )
        return doc
    _signature_checks(pdf, keys, checks)
    doc.credential_bytes = pdf.embedded_files.get("certificate.json")
    proof = next((pdf.embedded_files[n] for n in LOG_PROOF_NAMES if n in pdf.embedded_files), None)
    if proof is not None:
        try:
            doc.log_proof_text = proof.decode("utf-8")
        except UnicodeDecodeError:
            doc.log_proof_text = ""
    if doc.credential_bytes is not None and pdf.ok:
        try:
            doc.credential = parse_credential_json(doc.credential_bytes)
        except NotADocument as exc:
            doc.credential = None
            doc.credential_problem = f"the PDF's certificate.json cannot be used: {exc}"
    return doc


#: The tlog-proof attachment: its C2SP name, then the name used before issue 20.
LOG_PROOF_NAMES = ("transparency-log.tlog-proof", "transparency-log-proof.txt")


def _signature_checks(pdf: PdfValidation, keys: RegistryKeys, checks: Checks) -> None:
    """``pdf_signature``, ``pdf_coverage`` and ``signer_trusted`` of a signed PDF."""
    sound = pdf.intact and pdf.valid
    checks.put(
        "pdf_signature",
        sound,
        "the signature matches the signed bytes"
        if sound
        else "the signed content was altered after signing",
    )
    if not pdf.coverage_entire and pdf.certified:
        coverage = "a revision was added after the registry certified this document, which "
        coverage += "permits no changes: what the PDF shows now (a name, a date, a stamp) may "
        coverage += "have been drawn over the original"
    elif not pdf.coverage_entire:
        coverage = "content was added or changed after signing (the signature does not cover "
        coverage += "the whole file)"
    elif not pdf.container_exact:
        # The byte range leaves out /Contents; "covers the whole file" would be untrue here.
        coverage = "bytes inside the signature container (/Contents) were changed after "
        coverage += f"signing: {pdf.container_problem}"
    else:
        coverage = "the signature covers the whole file and its container holds only the "
        coverage += "signature"
    checks.put("pdf_coverage", pdf.coverage_entire and pdf.container_exact, coverage)
    if not sound:
        # A changed document breaks the signature before the signer can be judged: saying
        # "not certified by this registry's root" would blame the wrong thing.
        checks.put("signer_trusted", None, "not judged: the document was altered after signing")
        return
    stamped = ""
    if pdf.timestamp is not None:
        judged = "" if pdf.timestamp_trusted else " (its authority not judged: none pinned)"
        when = pdf.timestamp.astimezone(dt.UTC)
        stamped = f"; time-stamped {when:%Y-%m-%d %H:%M:%S} UTC by a TSA{judged}"
    checks.put(
        "signer_trusted",
        pdf.trusted,
        f"signed by {pdf.signer_subject}, issued by this registry's root ({keys.root_fingerprint})"
        + stamped
        if pdf.trusted
        else f"signed by {pdf.signer_subject or 'an unknown signer'}, which this "
        "registry's root did not certify",
    )


def _read_json(data: bytes, checks: Checks) -> Document:
    """A credential on its own: readable when it parses; there is no PDF to check."""
    doc = Document(is_pdf=False, credential=parse_credential_json(data), credential_bytes=data)
    checks.put("file_readable", True, "a credential (JSON) was read")
    for name in ("pdf_signature", "pdf_coverage", "signer_trusted"):
        checks.put(name, None, "not a PDF: only the credential's own proof is checked")
    return doc


def parse_credential_json(data: bytes) -> dict[str, Any]:
    """Parse a credential document strictly (:func:`~certify.core.strict_json.parse_json`: a
    leading byte order mark is skipped, a repeated key is refused), refusing what cannot be one.

    Raises:
        NotADocument: not JSON, a key repeated in one object, not an object, or absurdly
            nested.
    """
    try:
        value = parse_json(data)
    except DuplicateKeyError as exc:
        # Python would keep the last of two equal keys while a person reading the text may
        # see the first: the document means different things to different readers.
        raise NotADocument(
            f"This credential is refused: {exc}, so it could be read in two ways."
        ) from exc
    except JsonInputError as exc:
        raise NotADocument("This is neither a PDF certificate nor a credential (JSON).") from exc
    if not isinstance(value, dict) or not _json_depth_ok(value):
        raise NotADocument("This JSON is not a credential: it must be one JSON object.")
    return value


def _json_depth_ok(value: Any, depth: int = 0) -> bool:
    if depth > MAX_JSON_DEPTH:
        return False
    if isinstance(value, dict):
        return all(_json_depth_ok(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return all(_json_depth_ok(v, depth + 1) for v in value)
    return True
