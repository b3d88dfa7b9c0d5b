"""The evidence key-encryption key (KEK): ``<KEYS_DIR>/evidence-kek.key``, beside the other
keys (so ``backup`` seals it into ``keys.sealed`` with them).

It is made on first use when missing (64 hex characters, mode 0o600, created exclusively, so
two processes starting together agree on one). Losing it loses every encrypted evidence file:
an operator keeps it as carefully as the signing keys (docs/operations.md).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from certify.core.envelope import KEY_SIZE, EnvelopeError, Kek, new_kek
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
