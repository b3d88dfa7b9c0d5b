"""Ed25519 credential key material: generation, PEM files, key ids, :class:`CredentialKey`.

Credential keys sign the W3C credentials (``eddsa-jcs-2022``). They are rotated; retired
keys stay published (DID document and key export) so every credential ever issued keeps
verifying. Files are PKCS#8 PEM, encrypted with the configured passphrase when there is one.

Key id: the first 8 symbols of the lower-case RFC 4648 base32 encoding of SHA-256 over the
raw 32-byte public key (40 bits, e.g. ``"q4xk2m7a"``). It is derived, never stored on its own,
so it cannot drift from the key; it names the key in ``did:web:<host>#<key id>``. Eight
symbols keep URLs short; a registry holds a handful of keys, so a clash (about 1 in 10^12 per
pair) is checked for where keys are listed (:func:`certify.core.credentials.keydocs.did_document`).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from certify.core.credentials.multibase import ed25519_public_multikey

KEY_ID_LENGTH = 8


class KeyMaterialError(ValueError):
    """Key material cannot be used: wrong or missing passphrase, not Ed25519, corrupt file."""


@runtime_checkable
class Ed25519Signer(Protocol):
    """What signs with an Ed25519 key: ``cryptography``'s private key, or a key that never
    leaves a PKCS#11 token (:class:`certify.hsm.objects.TokenEd25519Key`). The core signs
    through this and nothing more, so it does not care where the key lives."""

    def sign(self, data: bytes) -> bytes:
        """The 64-byte Ed25519 signature of *data* (pure Ed25519, RFC 8032)."""
        ...

    def public_key(self) -> Ed25519PublicKey:
        """The public half."""
        ...


def generate_private_key() -> Ed25519PrivateKey:
    """Return a new random Ed25519 private key (from the operating system's CSPRNG)."""
    return Ed25519PrivateKey.generate()


def _passphrase_bytes(passphrase: str | bytes | None) -> bytes | None:
    if passphrase is None:
        return None
    if isinstance(passphrase, str):
        passphrase = passphrase.encode("utf-8")
    if not passphrase:
        # An empty passphrase would "encrypt" with nothing: treat it as no passphrase.
        return None
    return passphrase


def private_key_to_pem(
    private_key: Ed25519PrivateKey, passphrase: str | bytes | None = None
) -> bytes:
    """Serialise *private_key* as PKCS#8 PEM bytes.

    With a non-empty *passphrase* the key is encrypted with the library's best available
    scheme (``BestAvailableEncryption``); without one it is written in clear, for
    development setups where the file system is the protection.
    """
    secret = _passphrase_bytes(passphrase)
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(secret) if secret else serialization.NoEncryption()
    )
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def private_key_from_pem(data: bytes, passphrase: str | bytes | None = None) -> Ed25519PrivateKey:
    """Load an Ed25519 private key from PEM *data*.

    Raises:
        KeyMaterialError: when the passphrase is wrong or missing, a passphrase is given for
            an unencrypted file, the data is not a PEM private key, or the key is not Ed25519.
    """
    if not isinstance(data, bytes | bytearray):
        raise KeyMaterialError("key file contents must be bytes")
    secret = _passphrase_bytes(passphrase)
    try:
        key = serialization.load_pem_private_key(bytes(data), password=secret)
    except TypeError as exc:
        # cryptography raises TypeError for "password given but not encrypted" and the reverse.
        if secret is None:
            raise KeyMaterialError(
                "the key file is encrypted: a passphrase is needed (CERTIFY_KEY_PASSPHRASE)"
            ) from exc
        raise KeyMaterialError("the key file is not encrypted but a passphrase was given") from exc
    except ValueError as exc:
        if secret is not None and b"ENCRYPTED" in bytes(data):
            raise KeyMaterialError("wrong passphrase for the key file") from exc
        raise KeyMaterialError("not a readable PEM private key") from exc
    except UnsupportedAlgorithm as exc:
        raise KeyMaterialError("unsupported key type") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyMaterialError(f"expected an Ed25519 key, found {type(key).__name__}")
    return key


def public_key_raw(key: Ed25519Signer | Ed25519PublicKey) -> bytes:
    """Return the raw 32-byte public key of *key* (a private key, a signer or a public key)."""
    public = key if isinstance(key, Ed25519PublicKey) else key.public_key()
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_from_raw(raw: bytes) -> Ed25519PublicKey:
    """Return the Ed25519 public key for 32 raw bytes.

    Raises:
        KeyMaterialError: if *raw* is not 32 bytes.
    """
    if not isinstance(raw, bytes | bytearray) or len(raw) != 32:
        raise KeyMaterialError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(bytes(raw))


def public_key_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """SubjectPublicKeyInfo PEM of the public half of *key*."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_id(key: Ed25519Signer | Ed25519PublicKey) -> str:
    """Return the short stable id of *key*: 8 lower-case base32 symbols of SHA-256(raw key)."""
    digest = hashlib.sha256(public_key_raw(key)).digest()
    return base64.b32encode(digest).decode("ascii")[:KEY_ID_LENGTH].lower()


def public_key_multibase(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """Return the Multikey ``publicKeyMultibase`` (``z6Mk...``) of *key*."""
    return ed25519_public_multikey(public_key_raw(key))


@dataclass(frozen=True)
class CredentialKey:
    """One credential signing key as published: id, public key and validity window.

    ``valid_from``/``valid_until`` say when the registry signs new credentials with the key
    (``valid_until`` None: still current). A key past ``valid_until`` still verifies the
    credentials it signed while current. ``private_key`` (a key or a token's signer) is
    present only where signing happens; it is left out of ``repr`` and comparisons.

    Construct it with :meth:`from_key`; the constructor checks that ``id`` matches the
    public key, the datetimes are timezone-aware and the window is not empty.
    """

    id: str
    public_key: Ed25519PublicKey = field(compare=False)
    valid_from: datetime
    valid_until: datetime | None = None
    private_key: Ed25519Signer | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.public_key, Ed25519PublicKey):
            raise KeyMaterialError("credential keys are Ed25519")
        if self.id != key_id(self.public_key):
            raise KeyMaterialError("key id does not match the public key")
        if self.valid_from.tzinfo is None or (
            self.valid_until is not None and self.valid_until.tzinfo is None
        ):
            raise ValueError("key validity times must be timezone-aware")
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise ValueError("a key's valid_until must be after its valid_from")
        if self.private_key is not None and public_key_raw(self.private_key) != public_key_raw(
            self.public_key
        ):
            raise KeyMaterialError("private key does not match the public key")

    @classmethod
    def from_key(
        cls,
        key: Ed25519Signer | Ed25519PublicKey,
        valid_from: datetime,
        valid_until: datetime | None = None,
    ) -> CredentialKey:
        """Build a :class:`CredentialKey` from a private key or token signer (can sign) or a
        public key."""
        private = None if isinstance(key, Ed25519PublicKey) else key
        public = key if isinstance(key, Ed25519PublicKey) else key.public_key()
        return cls(key_id(public), public, valid_from, valid_until, private)

    @property
    def public_key_raw(self) -> bytes:
        """The raw 32-byte public key."""
        return public_key_raw(self.public_key)

    @property
    def public_key_multibase(self) -> str:
        """The Multikey ``publicKeyMultibase`` value."""
        return ed25519_public_multikey(self.public_key_raw)

    def current_at(self, when: datetime) -> bool:
        """True when the registry may sign with this key at *when* (``valid_from`` inclusive,
        ``valid_until`` exclusive)."""
        return self.valid_from <= when and (self.valid_until is None or when < self.valid_until)
