"""C2SP tlog proofs (https://c2sp.org/tlog-proof): ``c2sp.org/tlog-proof@v1``, an optional
``extra`` line, ``index N``, the inclusion proof hashes, a blank line, the signed checkpoint.
Checked offline against the log's pinned key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from certify.core.tlog.checkpoint import Checkpoint, parse_checkpoint
from certify.core.tlog.codec import UINT64_MAX, b64, b64decode, parse_uint
from certify.core.tlog.errors import NoteError, TlogProofError
from certify.core.tlog.merkle import HASH_SIZE, leaf_hash, verify_inclusion
from certify.core.tlog.note import (
    MAX_NOTE_BYTES,
    NoteVerifier,
    open_note,
    parse_verifier_key,
    split_note,
)

MAX_PROOF_HASHES = 64
TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"


@dataclass(frozen=True)
class TlogProof:
    """A parsed C2SP tlog proof (nothing verified yet)."""

    index: int
    proof_hashes: tuple[bytes, ...]
    signed_checkpoint: str
    extra: bytes | None = None


@dataclass(frozen=True)
class VerifiedTlogProof:
    """What a successful :func:`verify_tlog_proof` established."""

    index: int
    checkpoint: Checkpoint
    extra: bytes | None  # NOT authenticated: never trust it without checking it otherwise


def format_tlog_proof(
    index: int,
    proof_hashes: Sequence[bytes],
    signed_checkpoint: str,
    extra: bytes | None = None,
) -> str:
    """Write a C2SP tlog proof (the ``.tlog-proof`` file format).

    *signed_checkpoint* is the signed checkpoint note, included verbatim. Empty *extra* is
    written as no extra line.

    Raises:
        TlogProofError: negative index, a hash that is not 32 bytes, too many hashes, or a
            checkpoint that is not a signed note.
    """
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index <= UINT64_MAX:
        raise TlogProofError("the index must be a non-negative integer")
    if len(proof_hashes) > MAX_PROOF_HASHES:
        raise TlogProofError("too many proof hashes")
    if any(not isinstance(h, bytes) or len(h) != HASH_SIZE for h in proof_hashes):
        raise TlogProofError("proof hashes are 32 bytes each")
    try:
        split_note(signed_checkpoint)
    except NoteError as exc:
        raise TlogProofError(f"the checkpoint is not a signed note: {exc}") from exc
    lines = [TLOG_PROOF_HEADER]
    if extra:
        lines.append(f"extra {b64(extra)}")
    lines.append(f"index {index}")
    lines.extend(b64(h) for h in proof_hashes)
    return "\n".join(lines) + "\n\n" + signed_checkpoint


def parse_tlog_proof(text: str | bytes) -> TlogProof:
    """Parse a C2SP tlog proof, checking its syntax only.

    Raises:
        TlogProofError: wrong header, bad extra or index line, a hash line that is not
            canonical base64 of 32 bytes, or a missing checkpoint.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TlogProofError("the proof is not UTF-8") from exc
    if not isinstance(text, str) or len(text) > MAX_NOTE_BYTES:
        raise TlogProofError("the proof is not text of a sensible size")
    head, sep, checkpoint = text.partition("\n\n")
    if not sep or not checkpoint:
        raise TlogProofError("the proof has no checkpoint")
    lines = head.split("\n")
    if lines[0] != TLOG_PROOF_HEADER:
        raise TlogProofError("missing the c2sp.org/tlog-proof@v1 header")
    pos = 1
    extra: bytes | None = None
    if pos < len(lines) and lines[pos].startswith("extra "):
        extra = b64decode(lines[pos][len("extra ") :], "the extra data", TlogProofError)
        pos += 1
    if pos >= len(lines) or not lines[pos].startswith("index "):
        raise TlogProofError("missing the index line")
    index = parse_uint(lines[pos][len("index ") :], "the index", TlogProofError)
    hash_lines = lines[pos + 1 :]
    if len(hash_lines) > MAX_PROOF_HASHES:
        raise TlogProofError("too many proof hashes")
    hashes = []
    for line in hash_lines:
        raw = b64decode(line, "a proof hash", TlogProofError)
        if len(raw) != HASH_SIZE:
            raise TlogProofError("proof hashes are 32 bytes each")
        hashes.append(raw)
    return TlogProof(index, tuple(hashes), checkpoint, extra)


def verify_tlog_proof(
    proof_text: str | bytes,
    leaf_entry: bytes,
    verifier: NoteVerifier | str,
    *,
    origin: str | None = None,
) -> VerifiedTlogProof:
    """Verify a tlog proof offline: checkpoint signature, origin, then leaf inclusion.

    *leaf_entry* is the leaf's content (e.g. :func:`log_entry` bytes); its RFC 9162 leaf
    hash must be included at the proof's index in the signed tree. *verifier* is the log's
    pinned key (object or verifier key string). The checkpoint's origin must equal *origin*,
    or, when not given, the key's name (C2SP: the log's key name should match its origin).

    Raises:
        TlogProofError: with a message a person can read, for any failure (malformed proof,
            bad or missing log signature, wrong origin, or the leaf not included).
    """
    try:
        parsed = parse_tlog_proof(proof_text)
        key = parse_verifier_key(verifier) if isinstance(verifier, str) else verifier
        if not isinstance(key, NoteVerifier):
            raise TlogProofError("the verifier must be a NoteVerifier or a verifier key")
        text = open_note(parsed.signed_checkpoint, [key])
        checkpoint = parse_checkpoint(text)
    except TlogProofError:
        raise
    except NoteError as exc:
        raise TlogProofError(f"checkpoint not verified: {exc}") from exc
    expected_origin = key.name if origin is None else origin
    if checkpoint.origin != expected_origin:
        raise TlogProofError(
            f"the checkpoint is from log {checkpoint.origin!r}, not {expected_origin!r}"
        )
    if not isinstance(leaf_entry, bytes):
        raise TlogProofError("the leaf entry must be bytes")
    if not verify_inclusion(
        leaf_hash(leaf_entry),
        parsed.index,
        checkpoint.size,
        list(parsed.proof_hashes),
        checkpoint.root_hash,
    ):
        raise TlogProofError("the entry is not included in the log at the stated index")
    return VerifiedTlogProof(parsed.index, checkpoint, parsed.extra)
