"""C2SP signed notes (https://c2sp.org/signed-note) and their Ed25519 keys.

A note is text ending in a newline, a blank line, then signature lines
``— <key name> <base64(4-byte key ID || signature)>``. Only Ed25519 (signature type 0x01) is
supported; the key ID is the first four bytes of SHA-256(name || "\\n" || 0x01 || 32-byte
public key). Verifier keys are written ``<name>+<8 hex key ID>+<base64(0x01 || public key)>``
and signer keys ``PRIVATE+KEY+<name>+<8 hex key ID>+<base64(0x01 || 32-byte seed)>``, as in
the Go reference implementation (golang.org/x/mod/sumdb/note), so keys move between tools.

Errors: everything here raises :class:`~certify.core.tlog.errors.NoteError` for bad input,
never anything else.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from certify.core.tlog.codec import b64, b64decode, is_valid_name
from certify.core.tlog.errors import NoteError

ALG_ED25519 = 0x01
"""Signature type byte of Ed25519 note signatures (C2SP signed-note)."""

SIG_PREFIX = "— "  # em dash U+2014, then a space
MAX_SIGNATURES = 100
"""Notes with more signature lines are rejected (the spec requires accepting at least 16)."""
MAX_NOTE_BYTES = 1 << 20
"""Bound on note and proof sizes, so hostile input cannot make us hash megabytes."""


def _public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(name: str, public_key: Ed25519PublicKey | bytes) -> int:
    """The 32-bit note key ID of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || key)[:4].

    Raises:
        NoteError: the name is not a valid key name or the key is not 32 bytes.
    """
    raw = public_key if isinstance(public_key, bytes) else _public_bytes(public_key)
    if not is_valid_name(name):
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
        return f"{self.name}+{self.key_id:08x}+{b64(bytes([ALG_ED25519]) + self.public_key)}"

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
    if not is_valid_name(name) or not re.fullmatch(r"[0-9a-fA-F]{8}", hex_id):
        raise NoteError("malformed verifier key")
    key = b64decode(key64, "verifier key")
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
    return f"PRIVATE+KEY+{name}+{kid:08x}+{b64(bytes([ALG_ED25519]) + _seed(private_key))}"


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
    if not is_valid_name(name) or not re.fullmatch(r"[0-9a-fA-F]{8}", hex_id):
        raise NoteError("malformed signer key")
    key = b64decode(key64, "signer key")
    if len(key) != 33 or key[0] != ALG_ED25519:
        raise NoteError("unsupported signer key: only Ed25519 (type 0x01) keys are accepted")
    private_key = Ed25519PrivateKey.from_private_bytes(key[1:])
    if key_id(name, private_key.public_key()) != int(hex_id, 16):
        raise NoteError("signer key ID does not match its name and key")
    return name, private_key


# --------------------------------------------------------------------------------------------
# Notes.


#: The control characters a note may not hold: all below U+0020 but the newline.
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f]")


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("malformed note: the text must end with a newline")
    if _CONTROL.search(text):
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
    return NoteSigner(name, private_key).sign_checked(text)


class NoteSigner:
    """One key name and Ed25519 key that sign many notes: the name is checked and the key ID
    derived once (deriving it means computing the public key, which costs about as much as
    the signature). ``NoteSigner(name, key).sign(text) == sign_note(text, name, key)``.

    Raises (on construction):
        NoteError: *name* is not a valid key name.
    """

    __slots__ = ("_line", "name", "private_key")

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        kid = key_id(name, private_key.public_key())
        self.name = name
        self.private_key = private_key
        # what follows the text: the blank line, the signature line up to its base64
        self._line = (f"\n{SIG_PREFIX}{name} ", kid.to_bytes(4, "big"))

    def sign(self, text: str) -> str:
        """The signed note of *text* (see :func:`sign_note`).

        Raises:
            NoteError: *text* is empty, does not end with a newline, or holds control
                characters other than newline.
        """
        if not isinstance(text, str) or not text:
            raise NoteError("malformed note: empty text")
        _check_text(text)
        return self.sign_checked(text)

    def sign_checked(self, text: str) -> str:
        """:meth:`sign` for a *text* the caller has checked (or built so that it passes)."""
        start, kid = self._line
        signature = self.private_key.sign(text.encode("utf-8"))
        return f"{text}{start}{b64(kid + signature)}\n"


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
    if _CONTROL.search(block):
        raise NoteError("malformed note: control characters are not allowed")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError("malformed note: too many signatures")
    signatures: list[NoteSignature] = []
    for line in lines:
        if not line.startswith(SIG_PREFIX):
            raise NoteError("malformed note: unexpected line after the signatures")
        name, _, b64 = line[len(SIG_PREFIX) :].partition(" ")
        if not is_valid_name(name) or not b64:
            raise NoteError("malformed note: bad signature line")
        raw = b64decode(b64, "note signature")
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
