"""Reaching the PKCS#11 token: the settings, the PIN, one open session per process.

The PKCS#11 library is process-global by nature (``C_Initialize`` once per process; python-pkcs11
keeps one loaded library per path), so the open session lives beside it, here, keyed by the
process id: a worker forked after the session was opened re-initialises the library and opens
its own (PKCS#11 sessions do not survive a fork). One session per process is enough because
every operation on it holds :data:`TOKEN_LOCK` (a PKCS#11 session runs one operation at a
time, and the development server, the signer's executor and tests use threads).

A token created after a process loaded the library is not seen by it (SoftHSM reads its token
folder at ``C_Initialize``): the message says to restart.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "TOKEN_LOCK",
    "TokenError",
    "TokenSettings",
    "open_session",
    "token_problem",
    "token_settings",
]

#: held around every operation on the process's session (see the module docstring)
TOKEN_LOCK = threading.RLock()
#: (pid, module, token label) -> (SHA-256 of the PIN logged in with, the session)
_SESSIONS: dict[tuple[int, str, str], tuple[bytes, Any]] = {}
_INITIALISED_IN: dict[str, int] = {}


class TokenError(RuntimeError):
    """The token cannot be used: no module, no token, a wrong PIN, a missing key. The message
    is for the operator and never contains the PIN."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class TokenSettings:
    """Where the token is and how to log in; the PIN is left out of ``repr``."""

    module: str
    token_label: str
    pin: str = field(repr=False)
    label_prefix: str = "certify"

    def label(self, name: str) -> str:
        """The label a key called *name* gets in the token (``certify-signing-2``)."""
        return f"{self.label_prefix}-{name}"


def _read_pin(config: Mapping[str, Any]) -> str:
    """``PKCS11_PIN`` (``CERTIFY_PKCS11_PIN`` or ``instance/config.py``), else the first line
    of ``PKCS11_PIN_FILE`` (by default ``instance/pkcs11-pin``).

    Raises:
        TokenError: neither is set, or the file cannot be read.
    """
    if config.get("PKCS11_PIN"):
        return str(config["PKCS11_PIN"])
    path = config.get("PKCS11_PIN_FILE")
    if not path:
        raise TokenError("PKCS11_MODULE is set but neither PKCS11_PIN nor PKCS11_PIN_FILE is")
    try:
        pin = Path(path).read_text("utf-8").strip()
    except FileNotFoundError:
        raise TokenError(
            f"the token's PIN file {path} does not exist: write the user PIN into it "
            "(mode 0600), or set CERTIFY_PKCS11_PIN"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TokenError(f"cannot read the token's PIN file {path}: {exc}") from None
    if not pin:
        raise TokenError(f"the token's PIN file {path} is empty")
    return pin


def token_settings(config: Mapping[str, Any]) -> TokenSettings | None:
    """The token settings, or None when ``PKCS11_MODULE`` is unset (keys in files only).

    Raises:
        TokenError: the module is set but the token label or the PIN is missing, or
            python-pkcs11 is not installed (everything that imports :mod:`certify.hsm.objects`
            asks here first, so that import cannot fail later).
    """
    module = config.get("PKCS11_MODULE")
    if not module:
        return None
    if importlib.util.find_spec("pkcs11") is None:
        raise TokenError(
            "PKCS11_MODULE is set but python-pkcs11 is not installed: pip install 'certify[hsm]'"
        )
    label = config.get("PKCS11_TOKEN_LABEL")
    if not label:
        raise TokenError("PKCS11_MODULE is set but PKCS11_TOKEN_LABEL (the token's label) is not")
    return TokenSettings(
        module=str(module),
        token_label=str(label),
        pin=_read_pin(config),
        label_prefix=str(config.get("PKCS11_LABEL_PREFIX") or "certify"),
    )


def _library(module: str) -> Any:
    import pkcs11

    if not os.path.isfile(module):
        raise TokenError(f"the PKCS#11 module {module} does not exist (PKCS11_MODULE)")
    try:
        lib = pkcs11.lib(module)
    except pkcs11.PKCS11Error as exc:
        raise TokenError(f"cannot load the PKCS#11 module {module}: {exc}") from None
    pid = os.getpid()
    if _INITIALISED_IN.setdefault(module, pid) != pid:
        # a forked child: the parent's C_Initialize does not carry over
        lib.reinitialize()
        _INITIALISED_IN[module] = pid
    return lib


def open_session(settings: TokenSettings) -> Any:
    """This process's read-write session on the token, logged in as the user (opened once).
    Call it, and use what it returns, holding :data:`TOKEN_LOCK`.

    Raises:
        TokenError: the module cannot be loaded, no token has the label, the PIN is wrong or
            locked, or the token refused the session.
    """
    import pkcs11

    key = (os.getpid(), settings.module, settings.token_label)
    pin = hashlib.sha256(settings.pin.encode("utf-8")).digest()
    with TOKEN_LOCK:
        held = _SESSIONS.get(key)
        if held is not None and held[0] == pin:
            return held[1]
        if held is not None:
            # another PIN than the one this process logged in with (changed settings): log
            # out (closing the last session does) so the new PIN is really checked
            del _SESSIONS[key]
            held[1].close()
        lib = _library(settings.module)
        try:
            token = lib.get_token(token_label=settings.token_label)
        except pkcs11.NoSuchToken:
            raise TokenError(
                f"no token labelled {settings.token_label!r} in {settings.module} "
                "(PKCS11_TOKEN_LABEL; a token made after this process started needs a restart)"
            ) from None
        except pkcs11.MultipleTokensReturned:
            raise TokenError(f"more than one token is labelled {settings.token_label!r}") from None
        try:
            session = token.open(user_pin=settings.pin, rw=True)
        except pkcs11.PinIncorrect:
            raise TokenError(f"wrong PIN for the token {settings.token_label!r}") from None
        except pkcs11.PinLocked:
            raise TokenError(
                f"the PIN of the token {settings.token_label!r} is locked (too many wrong PINs)"
            ) from None
        except pkcs11.PKCS11Error as exc:
            raise TokenError(
                f"cannot open the token {settings.token_label!r}: {type(exc).__name__} {exc}"
            ) from None
        _SESSIONS[key] = (pin, session)
        return session


def token_problem(settings: TokenSettings) -> str | None:
    """Why the token cannot be opened with *settings*, in words, or None when it can."""
    try:
        open_session(settings)
    except TokenError as exc:
        return exc.message
    return None
