"""Signed notes, checkpoints, tlog proofs and log entries for the transparency log.

Formats, followed exactly:

* C2SP signed-note (https://c2sp.org/signed-note): text ending in a newline, a blank line,
  then signature lines ``— <key name> <base64(4-byte key ID || signature)>``. Only Ed25519
  (signature type 0x01) is supported; the key ID is the first four bytes of
  SHA-256(name || "\\n" || 0x01 || 32-byte public key). Verifier keys are written
  ``<name>+<8 hex key ID>+<base64(0x01 || public key)>`` and signer keys
  ``PRIVATE+KEY+<name>+<8 hex key ID>+<base64(0x01 || 32-byte seed)>``, as in the Go
  reference implementation (golang.org/x/mod/sumdb/note), so keys move between tools.
* C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): origin, decimal tree size and
  base64 root hash, one per line, then optional extension lines.
* C2SP tlog-proof (https://c2sp.org/tlog-proof): ``c2sp.org/tlog-proof@v1``, an optional
  ``extra`` line, ``index N``, the inclusion proof hashes, a blank line, the signed checkpoint.

And certify's own leaf format, ``log_entry``: RFC 8785 canonical JSON without personal data.

Errors: everything here raises :class:`NoteError` (or a subclass) for bad input, never
anything else, so verifiers can turn any failure into a plain "not verified".
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from certify.core.canonical import CanonicalizationError, canonical_json
from certify.core.merkle import HASH_SIZE, leaf_hash, verify_inclusion

ALG_ED25519 = 0x01
"""Signature type byte of Ed25519 note signatures (C2SP signed-note)."""

SIG_PREFIX = "— "  # em dash U+2014, then a space
MAX_SIGNATURES = 100
"""Notes with more signature lines are rejected (the spec requires accepting at least 16)."""
MAX_NOTE_BYTES = 1 << 20
"""Bound on note and proof sizes, so hostile input cannot make us hash megabytes."""
MAX_PROOF_HASHES = 64
TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
_UINT64_MAX = 2**64 - 1


class NoteError(ValueError):
    """A note, key, checkpoint, tlog proof or log entry is malformed or fails to verify."""


class CheckpointError(NoteError):
    """A checkpoint text does not follow C2SP tlog-checkpoint."""


class TlogProofError(NoteError):
    """A tlog proof is malformed, or its checkpoint, origin or inclusion proof fails."""


class LogEntryError(NoteError):
    """A log entry's fields are missing, out of place or malformed."""


# --------------------------------------------------------------------------------------------
# Small strict codecs.


def _b64decode(value: str, what: str, error: type[NoteError] = NoteError) -> bytes:
    """Standard base64, padded and canonical (one encoding per value: no malleability)."""
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise error(f"{what} is not standard base64") from exc
    if base64.b64encode(raw).decode("ascii") != value:
        raise error(f"{what} is not canonical base64")
    return raw


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _parse_uint(value: str, what: str, error: type[NoteError]) -> int:
    """ASCII decimal, no sign, no leading zeros (unless "0"), at most 2**64 - 1."""
    if not value or not value.isascii() or not value.isdigit():
        raise error(f"{what} must be a decimal number")
    if len(value) > 1 and value[0] == "0":
        raise error(f"{what} must not have leading zeros")
    number = int(value)
    if number > _UINT64_MAX:
        raise error(f"{what} is too large")
    return number


def _is_valid_name(name: str) -> bool:
    """Key names: non-empty, no Unicode space, no '+', no control characters."""
    return (
        bool(name)
        and "+" not in name
        and not any(ch.isspace() or unicodedata.category(ch) in {"Cc", "Zs"} for ch in name)
    )


def _public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(name: str, public_key: Ed25519PublicKey | bytes) -> int:
    """The 32-bit note key ID of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || key)[:4].

    Raises:
        NoteError: the name is not a valid key name or the key is not 32 bytes.
    """
    raw = public_key if isinstance(public_key, bytes) else _public_bytes(public_key)
    if not _is_valid_name(name):
        raise NoteError(f"invalid key name {name!r}")
    if len(raw) != 32:
        raise NoteError("an Ed25519 public key is 32 bytes")
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + raw).digest()
    return int.from_bytes(digest[:4], "big")


# --------------------------------------------------------------------------------------------
# Keys.


@dataclass(frozen=True)
class NoteVerifier:
    """An Ed25519 note verifier: key name, key ID and public key."""

    name: str
    key_id: int
    public_key: bytes  # 32 raw bytes

    @classmethod
    def from_public_key(cls, name: str, public_key: Ed25519PublicKey | bytes) -> NoteVerifier:
        """Build the verifier for *public_key* under *name*.

        Raises:
            NoteError: invalid name or key.
        """
        raw = public_key if isinstance(public_key, bytes) else _public_bytes(public_key)
        return cls(name, key_id(name, raw), raw)

    def to_string(self) -> str:
        """The verifier key string ``<name>+<hex key ID>+<base64(0x01 || key)>``."""
        return f"{self.name}+{self.key_id:08x}+{_b64(bytes([ALG_ED25519]) + self.public_key)}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """True iff *signature* is this key's Ed25519 signature of *message*."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


def parse_verifier_key(vkey: str) -> NoteVerifier:
    """Parse a verifier key string ``<name>+<hex key ID>+<base64(0x01 || 32-byte key)>``.

    Raises:
        NoteError: malformed string, unknown signature type, wrong key length, or a key ID
            that does not match the name and key.
    """
    if not isinstance(vkey, str):
        raise NoteError("a verifier key is a string")
    # The base64 part may itself contain '+', so split only twice.
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise NoteError("malformed verifier key")
    name, hex_id, key64 = parts
    if not _is_valid_name(name) or not re.fullmatch(r"[0-9a-fA-F]{8}", hex_id):
        raise NoteError("malformed verifier key")
    key = _b64decode(key64, "verifier key")
    if len(key) != 33 or key[0] != ALG_ED25519:
        raise NoteError("unsupported verifier key: only Ed25519 (type 0x01) keys are accepted")
    verifier = NoteVerifier.from_public_key(name, key[1:])
    if verifier.key_id != int(hex_id, 16):
        raise NoteError("verifier key ID does not match its name and key")
    return verifier


def verifier_key(name: str, public_key: Ed25519PublicKey | bytes) -> str:
    """The verifier key string of *public_key* under *name* (what verifiers pin).

    Raises:
        NoteError: invalid name or key.
    """
    return NoteVerifier.from_public_key(name, public_key).to_string()


def _seed(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def signer_key(name: str, private_key: Ed25519PrivateKey) -> str:
    """The signer key string ``PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>``.

    It is a secret: store it like the private key itself.

    Raises:
        NoteError: invalid name.
    """
    kid = key_id(name, private_key.public_key())
    return f"PRIVATE+KEY+{name}+{kid:08x}+{_b64(bytes([ALG_ED25519]) + _seed(private_key))}"


def parse_signer_key(skey: str) -> tuple[str, Ed25519PrivateKey]:
    """Parse a signer key string; return ``(name, private key)``.

    Raises:
        NoteError: malformed string, unsupported type, or a key ID that does not match.
            The message never contains the key material.
    """
    if not isinstance(skey, str):
        raise NoteError("a signer key is a string")
    parts = skey.split("+", 4)
    if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
        raise NoteError("malformed signer key")
    _, _, name, hex_id, key64 = parts
    if not _is_valid_name(name) or not re.fullmatch(r"[0-9a-fA-F]{8}", hex_id):
        raise NoteError("malformed signer key")
    key = _b64decode(key64, "signer key")
    if len(key) != 33 or key[0] != ALG_ED25519:
        raise NoteError("unsupported signer key: only Ed25519 (type 0x01) keys are accepted")
    private_key = Ed25519PrivateKey.from_private_bytes(key[1:])
    if key_id(name, private_key.public_key()) != int(hex_id, 16):
        raise NoteError("signer key ID does not match its name and key")
    return name, private_key


# --------------------------------------------------------------------------------------------
# Notes.


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("malformed note: the text must end with a newline")
    if any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        raise NoteError("malformed note: control characters are not allowed")


def sign_note(text: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """Sign *text* as a C2SP signed note with *private_key* under key name *name*.

    Ed25519 is deterministic, so the same text, name and key give the same note.

    Raises:
        NoteError: *text* is empty, does not end with a newline, holds control characters
            other than newline; or *name* is not a valid key name.
    """
    if not isinstance(text, str) or not text:
        raise NoteError("malformed note: empty text")
    _check_text(text)
    kid = key_id(name, private_key.public_key())
    signature = private_key.sign(text.encode("utf-8"))
    return f"{text}\n{SIG_PREFIX}{name} {_b64(kid.to_bytes(4, 'big') + signature)}\n"


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, key ID and raw signature (without the key ID)."""

    name: str
    key_id: int
    signature: bytes


def split_note(note: str | bytes) -> tuple[str, list[NoteSignature]]:
    """Split a signed note into its text and signature lines, verifying nothing.

    Raises:
        NoteError: not UTF-8, control characters, no blank line before the signatures,
            a malformed signature line, or more than MAX_SIGNATURES of them.
    """
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteError("malformed note: not UTF-8") from exc
    if not isinstance(note, str):
        raise NoteError("malformed note: not text")
    if len(note) > MAX_NOTE_BYTES:
        raise NoteError("malformed note: too large")
    # The text is separated from the signatures by the note's last empty line.
    cut = note.rfind("\n\n")
    if cut < 0:
        raise NoteError("malformed note: no signatures")
    text, block = note[: cut + 1], note[cut + 2 :]
    _check_text(text)
    if not block.endswith("\n"):
        raise NoteError("malformed note: the last signature line must end with a newline")
    if any(ord(ch) < 0x20 and ch != "\n" for ch in block):
        raise NoteError("malformed note: control characters are not allowed")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError("malformed note: too many signatures")
    signatures: list[NoteSignature] = []
    for line in lines:
        if not line.startswith(SIG_PREFIX):
            raise NoteError("malformed note: unexpected line after the signatures")
        name, _, b64 = line[len(SIG_PREFIX) :].partition(" ")
        if not _is_valid_name(name) or not b64:
            raise NoteError("malformed note: bad signature line")
        raw = _b64decode(b64, "note signature")
        if len(raw) < 5:
            raise NoteError("malformed note: signature too short")
        signatures.append(NoteSignature(name, int.from_bytes(raw[:4], "big"), raw[4:]))
    return text, signatures


def open_note(note: str | bytes, verifiers: Iterable[NoteVerifier | str]) -> str:
    """Verify a signed note against trusted *verifiers*; return its text.

    Follows the C2SP rules: signatures from unknown keys (a different name *or* key ID)
    are ignored; a signature from a known key that fails to verify rejects the whole note;
    at least one known key must have signed. *verifiers* may be :class:`NoteVerifier`
    objects or verifier key strings.

    Raises:
        NoteError: malformed note or verifier key, an invalid signature from a known key,
            two different trusted keys with the same name and key ID (ambiguous), or no
            signature from any trusted key.
    """
    text, signatures = split_note(note)
    known: dict[tuple[str, int], NoteVerifier] = {}
    ambiguous: set[tuple[str, int]] = set()
    for item in verifiers:
        verifier = parse_verifier_key(item) if isinstance(item, str) else item
        if not isinstance(verifier, NoteVerifier):
            raise NoteError("verifiers must be NoteVerifier objects or verifier key strings")
        slot = (verifier.name, verifier.key_id)
        if slot in known and known[slot] != verifier:
            ambiguous.add(slot)
        known[slot] = verifier
    message = text.encode("utf-8")
    verified = False
    for sig in signatures:
        slot = (sig.name, sig.key_id)
        if slot not in known:
            continue  # unknown keys are ignored, even if they share a name or an ID
        if slot in ambiguous:
            raise NoteError(f"ambiguous key {sig.name}+{sig.key_id:08x}")
        if not known[slot].verify(message, sig.signature):
            raise NoteError(f"invalid signature for key {sig.name}+{sig.key_id:08x}")
        verified = True
    if not verified:
        raise NoteError("note has no verifiable signatures")
    return text


# --------------------------------------------------------------------------------------------
# Checkpoints.


@dataclass(frozen=True)
class Checkpoint:
    """The body of a C2SP checkpoint."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()


def _check_origin(origin: str, error: type[NoteError]) -> None:
    if not isinstance(origin, str) or not _is_valid_name(origin):
        raise error("the origin must be non-empty, without spaces, '+' or control characters")


def format_checkpoint(
    origin: str, size: int, root_hash: bytes, extensions: Sequence[str] = ()
) -> str:
    """The checkpoint note text: origin, decimal size, base64 root, extensions, each + "\\n".

    The origin must also be usable as a note key name (the log's key name should match it).

    Raises:
        CheckpointError: bad origin, negative or non-integer size, a root hash that is not
            32 bytes, or an empty / multi-line extension.
    """
    _check_origin(origin, CheckpointError)
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= _UINT64_MAX:
        raise CheckpointError("the tree size must be a non-negative integer")
    if not isinstance(root_hash, bytes) or len(root_hash) != HASH_SIZE:
        raise CheckpointError("the root hash must be 32 bytes")
    for ext in extensions:
        if not isinstance(ext, str) or not ext or any(ord(ch) < 0x20 for ch in ext):
            raise CheckpointError("extension lines must be non-empty single lines")
    return "".join(f"{line}\n" for line in (origin, str(size), _b64(root_hash), *extensions))


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse checkpoint note text (the *verified* text of a signed note).

    Raises:
        CheckpointError: fewer than three lines, an empty line, a size that is not canonical
            decimal, or a root hash that is not canonical base64 of 32 bytes.
    """
    if not isinstance(text, str) or not text.endswith("\n"):
        raise CheckpointError("a checkpoint is newline-terminated text")
    lines = text[:-1].split("\n")
    if len(lines) < 3 or any(not line for line in lines):
        raise CheckpointError("a checkpoint has at least three non-empty lines")
    origin, size_text, root_text, *extensions = lines
    if any(ord(ch) < 0x20 for ch in text.replace("\n", "")):
        raise CheckpointError("control characters are not allowed")
    size = _parse_uint(size_text, "the tree size", CheckpointError)
    root = _b64decode(root_text, "the root hash", CheckpointError)
    if len(root) != HASH_SIZE:
        raise CheckpointError("the root hash must be 32 bytes")
    return Checkpoint(origin, size, root, tuple(extensions))


def log_origin(public_url: str) -> str:
    """The log origin for a registry served at *public_url*: schema-less URL + ``/log``.

    ``https://registry.example.org`` gives ``registry.example.org/log``; a path prefix is
    kept (``https://example.org/certify/`` gives ``example.org/certify/log``). The host is
    lower-cased and internationalised names become punycode, default ports are dropped, so
    equivalent URLs give one origin, which is also a valid note key name.

    Raises:
        NoteError: not an http(s) URL with a host, or it has credentials, a query, a
            fragment, or characters an origin must not contain.
    """
    try:
        parts = urlsplit(public_url.strip())
        port = parts.port
    except (AttributeError, ValueError) as exc:
        raise NoteError("the public URL is not a URL") from exc
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise NoteError("the public URL must be an http(s) URL with a host")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise NoteError("the public URL must not have credentials, a query or a fragment")
    try:
        host = parts.hostname.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise NoteError("the public URL's host name is not valid") from exc
    default = {"http": 80, "https": 443}[parts.scheme.lower()]
    if port is not None and port != default:
        host = f"{host}:{port}"
    path = parts.path.rstrip("/")
    origin = f"{host}{path}/log"
    _check_origin(origin, NoteError)
    return origin


# --------------------------------------------------------------------------------------------
# tlog proofs.


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
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index <= _UINT64_MAX:
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
        lines.append(f"extra {_b64(extra)}")
    lines.append(f"index {index}")
    lines.extend(_b64(h) for h in proof_hashes)
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
        extra = _b64decode(lines[pos][len("extra ") :], "the extra data", TlogProofError)
        pos += 1
    if pos >= len(lines) or not lines[pos].startswith("index "):
        raise TlogProofError("missing the index line")
    index = _parse_uint(lines[pos][len("index ") :], "the index", TlogProofError)
    hash_lines = lines[pos + 1 :]
    if len(hash_lines) > MAX_PROOF_HASHES:
        raise TlogProofError("too many proof hashes")
    hashes = []
    for line in hash_lines:
        raw = _b64decode(line, "a proof hash", TlogProofError)
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


# --------------------------------------------------------------------------------------------
# Log entries.


class LogEvent(StrEnum):
    """What a log entry records."""

    ISSUED = "issued"
    SUSPENDED = "suspended"
    REINSTATED = "reinstated"
    WITHDRAWN = "withdrawn"
    SUPERSEDED = "superseded"
    CREDENTIAL_KEY_ADDED = "credential_key_added"
    SIGNING_CERT_ADDED = "signing_cert_added"


#: Why a certificate's status changed (the public contract's list, in its order).
REASON_CATEGORIES = (
    "critical_nonconformity",
    "major_nonconformity",
    "surveillance_not_done",
    "holder_request",
    "misuse_of_certificate",
    "fraud",
    "administrative",
    "other",
)
"""Status reason categories of the public contract (DESIGN.md, API conventions)."""

CERTIFICATE_EVENTS = frozenset(
    {
        LogEvent.ISSUED,
        LogEvent.SUSPENDED,
        LogEvent.REINSTATED,
        LogEvent.WITHDRAWN,
        LogEvent.SUPERSEDED,
    }
)
KEY_EVENTS = frozenset({LogEvent.CREDENTIAL_KEY_ADDED, LogEvent.SIGNING_CERT_ADDED})
LOG_ENTRY_VERSION = 1

# Which fields each event needs (True), allows (None) or forbids (False):
# (serial, credential_hash, reason_category, key_id).
_FIELD_RULES: dict[LogEvent, tuple[bool | None, bool | None, bool | None, bool | None]] = {
    # An issuance binds the serial to the exact signed credential, and names its key.
    LogEvent.ISSUED: (True, True, False, True),
    # Suspending or withdrawing always says why, in a category (never free text: it is public).
    LogEvent.SUSPENDED: (True, None, True, None),
    LogEvent.WITHDRAWN: (True, None, True, None),
    LogEvent.REINSTATED: (True, None, None, None),
    LogEvent.SUPERSEDED: (True, None, None, None),
    # Key events name the key (credential key id, or signing certificate fingerprint).
    LogEvent.CREDENTIAL_KEY_ADDED: (False, False, False, True),
    LogEvent.SIGNING_CERT_ADDED: (False, False, False, True),
}
_SERIAL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}")
_HEX64_RE = re.compile(r"[0-9a-f]{64}")
_TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


@dataclass(frozen=True)
class LogEntry:
    """A parsed log entry."""

    index: int
    time: datetime
    event: LogEvent
    serial: str | None
    credential_hash: str | None
    reason_category: str | None
    key_id: str | None


def _format_time(value: datetime) -> str:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise LogEntryError("the time must be a timezone-aware datetime")
    # Whole seconds: the entry is a public record, not a precise clock reading.
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_entry_fields(
    index: Any,
    event: Any,
    serial: Any,
    credential_hash: Any,
    reason_category: Any,
    key_id: Any,
) -> LogEvent:
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index <= 2**53 - 1:
        raise LogEntryError("the index must be a non-negative integer (I-JSON range)")
    try:
        kind = LogEvent(event)
    except (TypeError, ValueError) as exc:
        raise LogEntryError(f"unknown event {event!r}") from exc
    values = {
        "serial": serial,
        "credential_hash": credential_hash,
        "reason_category": reason_category,
        "key_id": key_id,
    }
    for (field, value), rule in zip(values.items(), _FIELD_RULES[kind], strict=True):
        if rule is True and value is None:
            raise LogEntryError(f"a {kind} entry needs {field}")
        if rule is False and value is not None:
            raise LogEntryError(f"a {kind} entry has no {field}")
    if serial is not None and not (isinstance(serial, str) and _SERIAL_RE.fullmatch(serial)):
        raise LogEntryError("malformed serial")
    if credential_hash is not None and not (
        isinstance(credential_hash, str) and _HEX64_RE.fullmatch(credential_hash)
    ):
        raise LogEntryError("credential_hash must be a lowercase hex SHA-256")
    if reason_category is not None and not (
        isinstance(reason_category, str) and reason_category in REASON_CATEGORIES
    ):
        raise LogEntryError(f"unknown reason category {reason_category!r}")
    if key_id is not None and not (
        isinstance(key_id, str)
        and 0 < len(key_id) <= 200
        and key_id.isascii()
        and key_id.isprintable()
        and " " not in key_id
    ):
        raise LogEntryError("key_id must be printable ASCII without spaces, 1-200 characters")
    return kind


def log_entry(
    index: int,
    time: datetime,
    event: LogEvent | str,
    serial: str | None,
    credential_hash: str | None,
    reason_category: str | None,
    key_id: str | None,
) -> bytes:
    """The canonical bytes (RFC 8785 JSON) of the log leaf at *index*.

    The JSON object always has the keys ``v`` (format version 1), ``index``, ``time``
    (RFC 3339 UTC, whole seconds, ``Z``), ``event``, ``serial``, ``credential_hash``,
    ``reason_category`` and ``key_id``; absent values are ``null``. It holds no personal
    data: a serial, hashes, categories and key ids only. Which fields each event needs:

    ==========================  ======  ===============  ===============  ======
    event                       serial  credential_hash  reason_category  key_id
    ==========================  ======  ===============  ===============  ======
    issued                      yes     yes              null             yes
    suspended, withdrawn        yes     optional         yes              optional
    reinstated, superseded      yes     optional         optional         optional
    credential_key_added,
    signing_cert_added          null    null             null             yes
    ==========================  ======  ===============  ===============  ======

    *credential_hash* is lowercase hex SHA-256 (``certify.core.canonical.canonical_sha256``
    of the signed credential); *key_id* is the credential key id or the signing
    certificate's fingerprint.

    Raises:
        LogEntryError: a field is missing, forbidden for the event, or malformed; or *time*
            is naive.
    """
    kind = _check_entry_fields(index, event, serial, credential_hash, reason_category, key_id)
    document = {
        "v": LOG_ENTRY_VERSION,
        "index": index,
        "time": _format_time(time),
        "event": kind.value,
        "serial": serial,
        "credential_hash": credential_hash,
        "reason_category": reason_category,
        "key_id": key_id,
    }
    try:
        return canonical_json(document)
    except CanonicalizationError as exc:  # unreachable after the checks; keep one error type
        raise LogEntryError(str(exc)) from exc


def parse_log_entry(entry: bytes) -> LogEntry:
    """Parse and validate log entry bytes; they must be exactly what :func:`log_entry` makes.

    Raises:
        LogEntryError: not canonical JSON of a valid entry.
    """
    try:
        document = json.loads(entry)
    except (TypeError, ValueError, RecursionError) as exc:
        raise LogEntryError("the entry is not JSON") from exc
    expected_keys = {
        "v",
        "index",
        "time",
        "event",
        "serial",
        "credential_hash",
        "reason_category",
        "key_id",
    }
    if not isinstance(document, dict) or set(document) != expected_keys:
        raise LogEntryError("the entry does not have the log entry fields")
    if document["v"] != LOG_ENTRY_VERSION or isinstance(document["v"], bool):
        raise LogEntryError("unknown log entry version")
    time_text = document["time"]
    if not isinstance(time_text, str) or not _TIME_RE.fullmatch(time_text):
        raise LogEntryError("the time is not RFC 3339 UTC")
    try:
        time = datetime.strptime(time_text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise LogEntryError("the time is not a valid date") from exc
    rebuilt = log_entry(
        document["index"],
        time,
        document["event"],
        document["serial"],
        document["credential_hash"],
        document["reason_category"],
        document["key_id"],
    )
    if rebuilt != entry:
        raise LogEntryError("the entry is not in canonical form")
    return LogEntry(
        index=document["index"],
        time=time,
        event=LogEvent(document["event"]),
        serial=document["serial"],
        credential_hash=document["credential_hash"],
        reason_category=document["reason_category"],
        key_id=document["key_id"],
    )
