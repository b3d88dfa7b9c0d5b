"""Multibase and Multikey encodings used by Data Integrity proofs and DID documents.

- base58btc (the Bitcoin alphabet), multibase prefix ``z``: proof values and Multikeys.
- base64url without padding, multibase prefix ``u``: Bitstring Status List ``encodedList``.
- Ed25519 Multikey: ``z`` + base58btc(0xed 0x01 + 32-byte public key), as required by the W3C
  vc-di-eddsa specification ("Any other encoding MUST NOT be allowed"); the secret-key form
  uses the multicodec prefix 0x80 0x26 + the 32-byte seed (W3C test vector ``keyPair.json``).

Decoders are strict (no whitespace, no padding, no foreign characters) because their input
comes from documents anyone can hand us: they raise :class:`MultibaseError`, nothing else.
"""

from __future__ import annotations

import base64
import binascii
import re

BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(BASE58_ALPHABET)}
_B64URL_RE = re.compile(r"[A-Za-z0-9_-]*")

ED25519_PUB_PREFIX = b"\xed\x01"
ED25519_PRIV_PREFIX = b"\x80\x26"
ED25519_KEY_LENGTH = 32

# Decoding base58 is quadratic in the input length; nothing we read legitimately is longer.
MAX_BASE58_LENGTH = 1024


class MultibaseError(ValueError):
    """A multibase or Multikey string is malformed."""


def b58encode(data: bytes) -> str:
    """Encode *data* in base58btc (no multibase prefix). Leading zero bytes become ``1``."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, remainder = divmod(number, 58)
        out.append(BASE58_ALPHABET[remainder])
    return "1" * zeros + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    """Decode base58btc *text* (no multibase prefix).

    Raises:
        MultibaseError: for a non-string, a character outside the alphabet, or text longer
            than :data:`MAX_BASE58_LENGTH`.
    """
    if not isinstance(text, str):
        raise MultibaseError("base58 value must be a string")
    if len(text) > MAX_BASE58_LENGTH:
        raise MultibaseError("base58 value is too long")
    number = 0
    for char in text:
        digit = _B58_INDEX.get(char)
        if digit is None:
            raise MultibaseError(f"{char!r} is not a base58btc character")
        number = number * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def b64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 4648 section 5)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url without padding, strictly.

    Raises:
        MultibaseError: for padding, foreign characters or an impossible length.
    """
    if not isinstance(text, str) or not _B64URL_RE.fullmatch(text):
        raise MultibaseError("not base64url without padding")
    if len(text) % 4 == 1:
        raise MultibaseError("base64url value has an impossible length")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - the regex guards this
        raise MultibaseError("not base64url") from exc
    # Non-canonical trailing bits would let two strings decode to the same bytes.
    if b64url_encode(data) != text:
        raise MultibaseError("base64url value is not canonical")
    return data


def multibase_encode(data: bytes, base: str = "z") -> str:
    """Multibase-encode *data*: ``base`` ``"z"`` (base58btc) or ``"u"`` (base64url, no pad)."""
    if base == "z":
        return "z" + b58encode(data)
    if base == "u":
        return "u" + b64url_encode(data)
    raise ValueError(f"unsupported multibase prefix {base!r}")


def multibase_decode(text: str, expected: str | None = None) -> bytes:
    """Decode a ``z`` (base58btc) or ``u`` (base64url) multibase string.

    Args:
        text: the multibase string.
        expected: if given, the only prefix accepted (``"z"`` or ``"u"``).

    Raises:
        MultibaseError: for any other prefix or a malformed value.
    """
    if not isinstance(text, str) or not text:
        raise MultibaseError("multibase value must be a non-empty string")
    prefix, payload = text[0], text[1:]
    if expected is not None and prefix != expected:
        raise MultibaseError(f"expected multibase prefix {expected!r}, found {prefix!r}")
    if prefix == "z":
        return b58decode(payload)
    if prefix == "u":
        return b64url_decode(payload)
    raise MultibaseError(f"unsupported multibase prefix {prefix!r}")


def ed25519_public_multikey(public_key: bytes) -> str:
    """Return the Multikey ``publicKeyMultibase`` (``z6Mk...``) of a raw 32-byte key.

    Raises:
        ValueError: if *public_key* is not 32 bytes.
    """
    if not isinstance(public_key, bytes | bytearray) or len(public_key) != ED25519_KEY_LENGTH:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return multibase_encode(ED25519_PUB_PREFIX + bytes(public_key), "z")


def ed25519_public_from_multikey(text: str) -> bytes:
    """Return the raw 32-byte Ed25519 key inside a ``publicKeyMultibase`` value.

    Raises:
        MultibaseError: when it is not ``z`` + base58btc(0xed01 + 32 bytes). A secret-key
            multikey (0x8026) is refused here so it cannot be published by mistake.
    """
    data = multibase_decode(text, expected="z")
    if data[:2] == ED25519_PRIV_PREFIX:
        raise MultibaseError("this is a secret key, not a public key")
    if data[:2] != ED25519_PUB_PREFIX or len(data) != 2 + ED25519_KEY_LENGTH:
        raise MultibaseError("not an Ed25519 public Multikey (0xed01 + 32 bytes)")
    return data[2:]


def ed25519_secret_multikey(seed: bytes) -> str:
    """Return the ``secretKeyMultibase`` (``z3u2...``) of a raw 32-byte Ed25519 seed.

    Raises:
        ValueError: if *seed* is not 32 bytes.
    """
    if not isinstance(seed, bytes | bytearray) or len(seed) != ED25519_KEY_LENGTH:
        raise ValueError("an Ed25519 private key (seed) is 32 bytes")
    return multibase_encode(ED25519_PRIV_PREFIX + bytes(seed), "z")


def ed25519_secret_from_multikey(text: str) -> bytes:
    """Return the raw 32-byte seed inside a ``secretKeyMultibase`` value.

    Raises:
        MultibaseError: when it is not ``z`` + base58btc(0x8026 + 32 bytes).
    """
    data = multibase_decode(text, expected="z")
    if data[:2] != ED25519_PRIV_PREFIX or len(data) != 2 + ED25519_KEY_LENGTH:
        raise MultibaseError("not an Ed25519 secret Multikey (0x8026 + 32 bytes)")
    return data[2:]
