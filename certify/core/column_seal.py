"""Short secrets sealed for a database text column by the key-encryption key (KEK) that wraps
evidence data keys (:mod:`certify.core.envelope`; backups' passphrase sealing is
:mod:`certify.core.sealed`, another thing). Pure: text in, text out; no Flask, no database.

Some secrets must be readable by the server to be used at all (a TOTP secret: the server
computes the code the app shows), so hashing them is impossible; sealing them means a copy of
the database alone, or a backup of it, does not reveal them. The format is versioned by its
prefix, so a value stored before sealing existed (plaintext) is told apart from a sealed one::

    "sealed1:" + base64url(KEK id (8) | nonce (12) | AES-256-GCM(KEK, secret) + tag (16))

base64url keeps padding, so the value is canonical. The associated data is the prefix, the KEK
id and a *context* the caller chooses to name the column and the row (e.g.
``totp_credential.secret``, the user's and the credential's ids): a sealed value copied onto
another row, or into another column, does not open. Sealing goes through the
:class:`~certify.core.envelope.KeyEncryptionKey` protocol, so a KEK kept in a PKCS#11 token
seals inside the token exactly as one kept in a file.
"""

from __future__ import annotations

import base64
import binascii
import secrets

from certify.core.envelope import (
    KEK_ID_SIZE,
    NONCE_SIZE,
    TAG_SIZE,
    DamagedCiphertext,
    KeyEncryptionKey,
    WrongKek,
)

PREFIX = "sealed1:"


def is_sealed(stored: str) -> bool:
    """Whether *stored* is a sealed value (else it is a value stored before sealing)."""
    return stored.startswith(PREFIX)


def _associated(kek_id: bytes, context: str) -> bytes:
    return PREFIX.encode() + kek_id + b"\0" + context.encode("utf-8")


def seal_text(kek: KeyEncryptionKey, text: str, context: str) -> str:
    """*text* sealed by *kek* for the row *context* names, as ``sealed1:...`` text."""
    nonce = secrets.token_bytes(NONCE_SIZE)
    sealed = kek.seal(nonce, text.encode("utf-8"), _associated(kek.id_bytes, context))
    return PREFIX + base64.urlsafe_b64encode(kek.id_bytes + nonce + sealed).decode("ascii")


def _decode(stored: str) -> bytes:
    if not is_sealed(stored):
        raise DamagedCiphertext("the stored value is not a sealed secret")
    try:
        raw = base64.urlsafe_b64decode(stored[len(PREFIX) :].encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise DamagedCiphertext("the sealed secret is damaged (not base64)") from exc
    if len(raw) < KEK_ID_SIZE + NONCE_SIZE + TAG_SIZE:
        raise DamagedCiphertext("the sealed secret is damaged (too short)")
    return raw


def sealed_kek_id(stored: str) -> str | None:
    """The id (16 hex) of the KEK that sealed *stored*, or None when it is not readable as a
    sealed value."""
    try:
        return _decode(stored)[:KEK_ID_SIZE].hex()
    except DamagedCiphertext:
        return None


def open_text(kek: KeyEncryptionKey, stored: str, context: str) -> str:
    """The text :func:`seal_text` sealed into *stored* for *context*.

    Raises:
        WrongKek: another KEK sealed it (the message names both ids).
        DamagedCiphertext: it is not a sealed value, was altered, or was sealed for another
            row or column (another *context*).
    """
    raw = _decode(stored)
    kek_id, nonce = raw[:KEK_ID_SIZE], raw[KEK_ID_SIZE : KEK_ID_SIZE + NONCE_SIZE]
    if kek_id != kek.id_bytes:
        raise WrongKek(
            f"the secret was sealed by key-encryption key {kek_id.hex()}, but this instance's "
            f"key-encryption key is {kek.key_id}: restore the key that was in use"
        )
    try:
        plain = kek.open(nonce, raw[KEK_ID_SIZE + NONCE_SIZE :], _associated(kek_id, context))
    except DamagedCiphertext as exc:
        # the KEK's own message speaks of data keys; say what it means here
        raise DamagedCiphertext("the sealed secret was altered or belongs to another row") from exc
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError as exc:  # only a forged value that still authenticates: none
        raise DamagedCiphertext("the sealed secret is not text") from exc
