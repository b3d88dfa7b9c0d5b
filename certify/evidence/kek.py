"""The evidence key-encryption key (KEK): ``<KEYS_DIR>/evidence-kek.key``, beside the other
keys (so ``backup`` seals it into ``keys.sealed`` with them), or, with
``EVIDENCE_KEK_IN_TOKEN``, an AES-256 key in the PKCS#11 token that never leaves it
(:class:`certify.hsm.objects.TokenKek`).

It is made on first use when missing (64 hex characters, mode 0o600, created exclusively, so
two processes starting together agree on one; in the token, labelled
``<PKCS11_LABEL_PREFIX>-evidence-kek``). Losing it loses every encrypted evidence file: an
operator keeps it as carefully as the signing keys (docs/operations.md).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from certify.core.envelope import KEY_SIZE, EnvelopeError, Kek, KeyEncryptionKey, new_kek
from certify.hsm.token import TokenError, token_settings
from certify.storage.backends import StorageError

KEK_FILE = "evidence-kek.key"


class KekError(StorageError):
    """The key-encryption key cannot be read; the message says which file and why."""


def kek_path(config: Mapping[str, Any]) -> Path:
    """Where the evidence KEK is kept."""
    return Path(config["KEYS_DIR"]) / KEK_FILE


def read_kek(path: Path) -> Kek:
    """The KEK in *path*.

    Raises:
        KekError: missing, unreadable, or not 64 hex characters.
    """
    try:
        text = path.read_text(encoding="ascii").strip()
        return Kek(bytes.fromhex(text))
    except FileNotFoundError as exc:
        raise KekError(f"{path} is missing: restore it from your backup of the keys") from exc
    except (OSError, UnicodeDecodeError, ValueError, EnvelopeError) as exc:
        raise KekError(
            f"{path} is not a key-encryption key ({KEY_SIZE * 2} hex characters expected)"
        ) from exc


def load_kek(config: Mapping[str, Any], create: bool = True) -> Kek:
    """The instance's evidence KEK, made first when *create* and it does not exist yet."""
    path = kek_path(config)
    if create and not path.exists():
        _create(path)
    return read_kek(path)


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".key")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(new_kek().key.hex() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        # link fails when another process made it first: theirs is kept
        with contextlib.suppress(FileExistsError):
            os.link(temp, path)
    finally:
        os.unlink(temp)


def load_token_kek(config: Mapping[str, Any], files_exist: bool) -> KeyEncryptionKey:
    """The evidence KEK in the PKCS#11 token, made there first when it is not and no file
    is stored encrypted yet (*files_exist* false: a new key would open none of them).

    Raises:
        KekError: no token is configured or it cannot be used, or the KEK is missing while
            encrypted files exist.
    """
    from certify.hsm import objects

    try:
        settings = token_settings(config)
        if settings is None:
            raise KekError("EVIDENCE_KEK_IN_TOKEN is on but PKCS11_MODULE is not set")
        kek = objects.find_kek(settings)
        if kek is not None:
            return kek
        if files_exist:
            raise KekError(
                f"the token holds no {settings.label('evidence-kek')}, but evidence is stored "
                "encrypted: move the key-encryption key in with 'flask evidence kek-to-token' "
                "(or restore the token)"
            )
        return objects.generate_kek(settings)
    except TokenError as exc:
        raise KekError(f"the evidence key-encryption key cannot be used: {exc.message}") from None


def move_kek_to_token(config: Mapping[str, Any]) -> str:
    """Import the KEK file into the token (sensitive, not extractable, same id) and check
    the token's key seals as the file's does; returns the KEK id. The file is left in place
    for the operator to back up and remove once ``EVIDENCE_KEK_IN_TOKEN`` is on.

    Raises:
        KekError: no file, no token, the token already holds an evidence KEK, or the check
            failed.
    """
    from certify.hsm import objects

    kek = read_kek(kek_path(config))
    try:
        settings = token_settings(config)
        if settings is None:
            raise KekError("PKCS11_MODULE is not set: there is no token to move the key into")
        present = objects.find_kek(settings)
        if present is not None:
            raise KekError(
                f"the token already holds an evidence key-encryption key ({present.key_id})"
            )
        imported = objects.import_kek(settings, kek)
        nonce, probe = os.urandom(12), os.urandom(KEY_SIZE)
        if imported.seal(nonce, probe, b"check") != kek.seal(nonce, probe, b"check"):
            raise KekError("the key in the token does not seal as the file's key does")
    except TokenError as exc:
        raise KekError(exc.message) from None
    return imported.key_id
