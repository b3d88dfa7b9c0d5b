"""The transparency-log proof a certificate carries, checked offline.

A certificate's credential names its issuance entry (``"transparencyLog": {"index",
"origin"}``); the PDF carries a C2SP tlog proof (``transparency-log.tlog-proof``) of that
entry under a checkpoint signed by the log key. Everything the issuance entry holds can be
recomputed from the credential itself, so a verifier needs only the credential, the proof and
the pinned log key:

* ``index``: the credential's ``transparencyLog.index``;
* ``time``: the credential's ``validFrom`` (issuance time, whole seconds);
* ``serial``: ``credentialSubject.serial``;
* ``credential_hash``: SHA-256 of the credential's RFC 8785 canonical bytes;
* ``key_id``: the fragment of the proof's ``verificationMethod`` (the credential key id).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from certify.core.canonical import CanonicalizationError, canonical_sha256
from certify.core.strict_json import JsonInputError, parse_json
from certify.core.tlog.entry import LogEvent, log_entry
from certify.core.tlog.errors import LogEntryError, NoteError
from certify.core.tlog.proof import verify_tlog_proof


class LogProofError(ValueError):
    """The credential does not say enough to rebuild its issuance entry."""


def _parse_time(text: Any) -> datetime:
    if not isinstance(text, str):
        raise LogProofError("the credential has no validFrom")
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise LogProofError("the credential's validFrom is not a date-time") from exc
    if value.tzinfo is None:
        raise LogProofError("the credential's validFrom has no time zone")
    return value.astimezone(UTC)


def issuance_entry(credential: Mapping[str, Any] | bytes) -> tuple[int, str | None, bytes]:
    """Rebuild the issuance log entry of *credential* (a signed credential, parsed or bytes).

    Returns ``(index, origin or None, entry bytes)``.

    Raises:
        LogProofError: the credential is not strict JSON, names no log index, or lacks a field
            the entry needs (validFrom, serial, verificationMethod), or these are malformed.
    """
    document: Any = credential
    if isinstance(credential, bytes | bytearray):
        try:  # the credential bytes come from the document being verified: strict
            document = parse_json(bytes(credential))
        except JsonInputError as exc:
            raise LogProofError(f"the credential is not strict JSON: {exc}") from exc
    if not isinstance(document, Mapping):
        raise LogProofError("the credential is not a JSON object")
    log = document.get("transparencyLog")
    if not isinstance(log, Mapping) or "index" not in log:
        raise LogProofError("the credential names no transparency-log entry")
    index, origin = log.get("index"), log.get("origin")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise LogProofError("the credential's log index is not a non-negative integer")
    if origin is not None and not isinstance(origin, str):
        raise LogProofError("the credential's log origin is not a string")
    subject = document.get("credentialSubject")
    serial = subject.get("serial") if isinstance(subject, Mapping) else None
    proof = document.get("proof")
    method = proof.get("verificationMethod") if isinstance(proof, Mapping) else None
    if not isinstance(method, str) or "#" not in method:
        raise LogProofError("the credential's proof names no verification method")
    key_id = method.rsplit("#", 1)[1]
    try:
        digest = canonical_sha256(document)
        entry = log_entry(
            index,
            _parse_time(document.get("validFrom")),
            LogEvent.ISSUED,
            serial,
            digest,
            None,
            key_id,
        )
    except (LogEntryError, CanonicalizationError) as exc:
        raise LogProofError(f"the credential does not make a valid log entry: {exc}") from exc
    return index, origin, entry


def verify_certificate_log_proof(
    proof_text: str | bytes,
    credential_bytes: bytes,
    log_verifier_key: str,
    origin: str | None,
) -> tuple[bool, str]:
    """Check that *credential_bytes*' issuance is in the log, offline: the ``log_inclusion``
    check of verification.

    *proof_text* is the C2SP tlog proof carried with the certificate; *log_verifier_key* the
    pinned signed-note verifier key of the log; *origin* the expected log origin (None: the
    key's name). The proof's index must be the one the credential names, the credential's
    stated origin (if any) must be the log's, and the rebuilt issuance entry must be included
    in the checkpoint the proof carries, signed by the log key.

    Returns ``(ok, detail)``; *detail* is a sentence a person can read. Never raises.
    """
    try:
        index, stated_origin, entry = issuance_entry(credential_bytes)
    except LogProofError as exc:
        return False, str(exc)
    expected_origin = origin
    if stated_origin is not None and origin is not None and stated_origin != origin:
        return False, f"the credential names log {stated_origin!r}, not {origin!r}"
    try:
        verified = verify_tlog_proof(proof_text, entry, log_verifier_key, origin=expected_origin)
    except NoteError as exc:
        return False, f"log proof not verified: {exc}"
    except Exception as exc:  # a verifier must not crash on hostile input
        return False, f"log proof not verified: {type(exc).__name__}"
    if verified.index != index:
        return False, f"the proof is for log entry #{verified.index}, not #{index}"
    checkpoint = verified.checkpoint
    return True, (
        f"issuance recorded as entry #{index} of {checkpoint.origin} "
        f"(checkpoint of {checkpoint.size} entries)"
    )
