"""Envelope encryption of stored files: a random data key per file, wrapped by a key-encryption
key (KEK). Pure: bytes and streams in, bytes and streams out; no Flask, no database.

Two small formats, both versioned by a magic prefix:

**A wrapped data key** (73 bytes), kept apart from the file it opens::

    b"CFYK1" | KEK id (8) | nonce (12) | AES-256-GCM(KEK, data key (32)) + tag (16)

The associated data is the prefix, the KEK id and the file's name (its plaintext SHA-256), so
a wrapped key moved to another file's name does not unwrap. Destroying the wrapped key
destroys the file (crypto-shredding): the ciphertext, wherever copies of it went, is noise.

**An encrypted file**::

    b"CFYE1\\0" | nonce prefix (7, random) | chunk 0 | chunk 1 | ... | last chunk

Each chunk is AES-256-GCM of up to :data:`CHUNK` plaintext bytes (so a large file is never
held whole in memory) with the nonce ``prefix | chunk number (4, big-endian) | last (1)`` and
the file's name as associated data. Chunks cannot be reordered (the number is in the nonce),
the file cannot be cut short after a whole chunk (only the last chunk has ``last = 1``), and
a ciphertext stored under another name does not decrypt. Every chunk but the last holds
exactly :data:`CHUNK` bytes; the last holds 1 to :data:`CHUNK` (0 only for an empty file).

A random nonce prefix per encryption (not per key) keeps nonces unique even when two servers
encrypt the same file with the same data key at the same moment.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_MAGIC = b"CFYK1"
FILE_MAGIC = b"CFYE1\0"
KEY_SIZE = 32
KEK_ID_SIZE = 8
NONCE_SIZE = 12
PREFIX_SIZE = 7
TAG_SIZE = 16
CHUNK = 64 * 1024
WRAPPED_SIZE = len(KEY_MAGIC) + KEK_ID_SIZE + NONCE_SIZE + KEY_SIZE + TAG_SIZE
HEADER_SIZE = len(FILE_MAGIC) + PREFIX_SIZE


class EnvelopeError(ValueError):
    """Encrypted data cannot be opened; ``message`` says why, for a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WrongKek(EnvelopeError):
    """A data key was wrapped by another key-encryption key than the one given."""


class DamagedCiphertext(EnvelopeError):
    """The ciphertext (or a wrapped key) was altered, cut short or stored under another name."""


class KeyEncryptionKey(Protocol):
    """What wraps data keys: :class:`Kek` (32 bytes kept in a file) or an AES-256 key that
    never leaves a PKCS#11 token (:class:`certify.hsm.objects.TokenKek`). Both seal with
    AES-256-GCM (the token does it inside), so a wrapped key looks the same either way and a
    KEK imported into a token keeps opening what it wrapped before."""

    @property
    def key_id(self) -> str:
        """16 hex characters naming the key without revealing it."""
        ...

    @property
    def id_bytes(self) -> bytes:
        """The id's 8 bytes, as written into every wrapped key."""
        ...

    def seal(self, nonce: bytes, data: bytes, associated: bytes) -> bytes:
        """AES-256-GCM of *data* (ciphertext + 16-byte tag)."""
        ...

    def open(self, nonce: bytes, sealed: bytes, associated: bytes) -> bytes:
        """The plaintext of :meth:`seal`'s output.

        Raises:
            DamagedCiphertext: the tag does not match (altered, another name).
        """
        ...


@dataclass(frozen=True)
class Kek:
    """A key-encryption key: 32 random bytes; ``key_id`` (16 hex) names it without revealing
    it, so a file wrapped by another KEK is recognised as such (not as damage)."""

    key: bytes

    def __post_init__(self) -> None:
        if len(self.key) != KEY_SIZE:
            raise EnvelopeError(f"a key-encryption key is {KEY_SIZE} bytes, not {len(self.key)}")

    @property
    def key_id(self) -> str:
        return self.id_bytes.hex()

    @property
    def id_bytes(self) -> bytes:
        return hashlib.sha256(b"certify-kek\0" + self.key).digest()[:KEK_ID_SIZE]

    def __repr__(self) -> str:  # never the key itself
        return f"Kek({self.key_id})"

    def seal(self, nonce: bytes, data: bytes, associated: bytes) -> bytes:
        return AESGCM(self.key).encrypt(nonce, data, associated)

    def open(self, nonce: bytes, sealed: bytes, associated: bytes) -> bytes:
        try:
            return AESGCM(self.key).decrypt(nonce, sealed, associated)
        except InvalidTag as exc:
            raise DamagedCiphertext("the stored data key is damaged or is another file's") from exc


def new_kek() -> Kek:
    """A fresh random key-encryption key."""
    return Kek(secrets.token_bytes(KEY_SIZE))


def new_data_key() -> bytes:
    """A fresh random data key (AES-256)."""
    return secrets.token_bytes(KEY_SIZE)


def wrap_key(kek: KeyEncryptionKey, data_key: bytes, name: str) -> bytes:
    """The data key sealed by *kek* for the file named *name* (:data:`WRAPPED_SIZE` bytes)."""
    if len(data_key) != KEY_SIZE:
        raise EnvelopeError("a data key is 32 bytes")
    nonce = secrets.token_bytes(NONCE_SIZE)
    head = KEY_MAGIC + kek.id_bytes
    return head + nonce + kek.seal(nonce, data_key, head + name.encode())


def wrapped_kek_id(wrapped: bytes) -> str | None:
    """The id of the KEK that wrapped *wrapped*, or None when it is not a wrapped key."""
    if len(wrapped) != WRAPPED_SIZE or not wrapped.startswith(KEY_MAGIC):
        return None
    return wrapped[len(KEY_MAGIC) : len(KEY_MAGIC) + KEK_ID_SIZE].hex()


def unwrap_key(kek: KeyEncryptionKey, wrapped: bytes, name: str) -> bytes:
    """The data key inside *wrapped*.

    Raises:
        WrongKek: it was wrapped by another KEK (the message names both ids).
        DamagedCiphertext: it is not a wrapped key, was altered, or belongs to another file.
    """
    other = wrapped_kek_id(wrapped)
    if other is None:
        raise DamagedCiphertext("the stored data key is damaged (not a wrapped key)")
    if other != kek.key_id:
        raise WrongKek(
            f"the file's data key was wrapped by key-encryption key {other}, but this "
            f"instance's key-encryption key is {kek.key_id}: restore the key that was in use"
        )
    head = wrapped[: len(KEY_MAGIC) + KEK_ID_SIZE]
    nonce = wrapped[len(head) : len(head) + NONCE_SIZE]
    sealed = wrapped[len(head) + NONCE_SIZE :]
    return kek.open(nonce, sealed, head + name.encode())


def encrypted_size(plain_size: int) -> int:
    """How many bytes :func:`encrypt_stream` writes for *plain_size* plaintext bytes."""
    chunks = max(1, -(-plain_size // CHUNK))  # only an empty file has an empty chunk
    return HEADER_SIZE + plain_size + chunks * TAG_SIZE


def is_encrypted(head: bytes) -> bool:
    """True when *head* (a file's first bytes) starts like an encrypted file."""
    return head.startswith(FILE_MAGIC)


def _nonce(prefix: bytes, number: int, last: bool) -> bytes:
    if number >= 2**32:
        raise EnvelopeError("file too large for one data key")
    return prefix + number.to_bytes(4, "big") + (b"\1" if last else b"\0")


def read_full(stream: BinaryIO, size: int) -> bytes:
    """Up to *size* bytes of *stream*, fewer only at its end (a socket may return less)."""
    parts: list[bytes] = []
    missing = size
    while missing:
        part = stream.read(missing)
        if not part:
            break
        parts.append(part)
        missing -= len(part)
    return b"".join(parts)


def encrypt_stream(source: BinaryIO, target: BinaryIO, data_key: bytes, name: str) -> int:
    """Encrypt what *source* yields into *target* (chunk by chunk); return the bytes written."""
    aead = AESGCM(data_key)
    prefix = secrets.token_bytes(PREFIX_SIZE)
    target.write(FILE_MAGIC + prefix)
    written = HEADER_SIZE
    number = 0
    chunk = read_full(source, CHUNK)
    while True:
        following = read_full(source, CHUNK) if len(chunk) == CHUNK else b""
        last = not following
        sealed = aead.encrypt(_nonce(prefix, number, last), chunk, name.encode())
        target.write(sealed)
        written += len(sealed)
        if last:
            return written
        chunk, number = following, number + 1


class DecryptingReader(io.RawIOBase):
    """The plaintext of an encrypted file, read chunk by chunk from *source* (after its
    header), each chunk authenticated before a byte of it is returned.

    Reading raises :class:`DamagedCiphertext` where the file was altered or cut short.
    """

    def __init__(self, source: BinaryIO, data_key: bytes, name: str) -> None:
        super().__init__()
        header = read_full(source, HEADER_SIZE)
        if not is_encrypted(header) or len(header) != HEADER_SIZE:
            source.close()
            raise DamagedCiphertext("the stored file is not an encrypted file")
        self._source = source
        self._aead = AESGCM(data_key)
        self._prefix = header[len(FILE_MAGIC) :]
        self._name = name.encode()
        self._number = 0
        self._buffer = b""
        self._pending = read_full(source, CHUNK + TAG_SIZE)
        self._done = False

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> bytes:
        sealed = self._pending
        self._pending = read_full(self._source, CHUNK + TAG_SIZE) if sealed else b""
        last = not self._pending
        try:
            plain = self._aead.decrypt(_nonce(self._prefix, self._number, last), sealed, self._name)
        except InvalidTag as exc:
            raise DamagedCiphertext(
                "the stored file is damaged: its encrypted content was altered or cut short"
            ) from exc
        self._number += 1
        self._done = last
        return plain

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._buffer and not self._done:
            self._buffer = self._next_chunk()
        size = min(len(buffer), len(self._buffer))
        buffer[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size

    def close(self) -> None:
        if not self.closed:
            self._source.close()
        super().close()


def open_decrypted(source: BinaryIO, data_key: bytes, name: str) -> BinaryIO:
    """A buffered, readable plaintext stream of the encrypted *source* (see
    :class:`DecryptingReader`); closing it closes *source*."""
    return io.BufferedReader(DecryptingReader(source, data_key, name), buffer_size=CHUNK)
