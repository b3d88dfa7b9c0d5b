"""Bytes sealed with a passphrase: scrypt to derive a key, AES-256-GCM to encrypt and
authenticate. Used for the signing keys inside a backup.

Why these: both come with ``cryptography`` (already a dependency), need no external program
(``age`` and ``gpg`` are not on every server, and a backup that cannot be opened where it is
restored is no backup), and a wrong passphrase is *detected*: GCM's tag fails, so restore can
refuse clearly instead of writing garbage keys. scrypt is memory-hard, so guessing passphrases
of a stolen backup is slow; the parameters travel in the header (authenticated as associated
data), so they can be raised later without breaking old backups.

Format: one line of JSON (the header), a newline, then the ciphertext with its 16-byte tag.
"""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

FORMAT = "certify-sealed/1"
#: scrypt cost: 2**15 x 8 x 1 takes 32 MiB and about 0.1 s here, per attempt.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
MIN_PASSPHRASE = 12


class SealError(ValueError):
    """The sealed bytes cannot be opened; ``message`` says why, for a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WrongPassphrase(SealError):
    """The passphrase does not open the box (or the box was altered)."""


def _key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def seal(data: bytes, passphrase: str, *, n: int = SCRYPT_N) -> bytes:
    """Encrypt *data* with *passphrase*.

    Raises:
        SealError: the passphrase is shorter than :data:`MIN_PASSPHRASE` characters.
    """
    if len(passphrase) < MIN_PASSPHRASE:
        raise SealError(f"the passphrase must have at least {MIN_PASSPHRASE} characters")
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    header = {
        "format": FORMAT,
        "kdf": {"name": "scrypt", "n": n, "r": SCRYPT_R, "p": SCRYPT_P, "salt": _b64(salt)},
        "cipher": {"name": "AES-256-GCM", "nonce": _b64(nonce)},
    }
    head = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("ascii")
    key = _key(passphrase, salt, n, SCRYPT_R, SCRYPT_P)
    return head + b"\n" + AESGCM(key).encrypt(nonce, data, head)


def unseal(sealed: bytes, passphrase: str) -> bytes:
    """The bytes :func:`seal` sealed with *passphrase*.

    Raises:
        WrongPassphrase: the passphrase is wrong, or the sealed bytes were altered.
        SealError: the bytes are not a sealed box certify understands.
    """
    head, sep, body = sealed.partition(b"\n")
    try:
        header: dict[str, Any] = json.loads(head)
        kdf, cipher = header["kdf"], header["cipher"]
        ok = header["format"] == FORMAT and kdf["name"] == "scrypt"
        ok = ok and cipher["name"] == "AES-256-GCM"
        salt, nonce = _unb64(kdf["salt"]), _unb64(cipher["nonce"])
        n, r, p = int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
    except (ValueError, KeyError, TypeError) as exc:
        raise SealError("this is not a sealed certify file (damaged or of another kind)") from exc
    if not (ok and sep and body) or not (2**10 <= n <= 2**20 and r <= 32 and p <= 16):
        raise SealError("this is not a sealed certify file (damaged or of another kind)")
    try:
        return AESGCM(_key(passphrase, salt, n, r, p)).decrypt(nonce, body, head)
    except InvalidTag as exc:
        raise WrongPassphrase(
            "the passphrase does not open the keys (wrong passphrase, or the file was altered)"
        ) from exc


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)
