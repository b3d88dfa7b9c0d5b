"""A throw-away SoftHSM2 token for the tests and the issuance benchmark (Debian ``softhsm2``).

:func:`make_token` writes a SoftHSM configuration whose token folder is the caller's, points
``SOFTHSM2_CONF`` at it and initialises a token with ``softhsm2-util --init-token --free``.

SoftHSM reads its token folder when the PKCS#11 library is initialised, once per process:
tokens made afterwards are invisible to that process. So a process makes its tokens first
(the tests: one per session, keys told apart by their random ``CKA_ID``), and sets
``SOFTHSM2_CONF`` once.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

#: where Debian's libsofthsm2 puts the PKCS#11 module
MODULE_PATHS = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
)


#: the token made in this process, if any (there can be one: see the module docstring)
_MADE: list[Path] = []


def softhsm_module() -> str | None:
    """The SoftHSM2 PKCS#11 module, or None when it is not installed."""
    return next((path for path in MODULE_PATHS if os.path.isfile(path)), None)


@dataclass(frozen=True)
class SoftHsmToken:
    module: str
    label: str
    pin: str
    so_pin: str
    conf: Path

    def settings(self, pin_file: Path) -> dict[str, str]:
        """certify's settings for this token, the PIN written to *pin_file* (mode 0600)."""
        pin_file.parent.mkdir(parents=True, exist_ok=True)
        pin_file.write_text(self.pin + "\n", "utf-8")
        pin_file.chmod(0o600)
        return {
            "PKCS11_MODULE": self.module,
            "PKCS11_TOKEN_LABEL": self.label,
            "PKCS11_PIN_FILE": str(pin_file),
        }


def make_token(folder: Path, label: str = "certify-test") -> SoftHsmToken:
    """A new SoftHSM2 token kept in *folder*; sets ``SOFTHSM2_CONF`` for this process (and its
    children). Raises RuntimeError when SoftHSM2 is missing or refuses."""
    if _MADE:
        # the library may have read the first token folder already: this one would be unseen
        raise RuntimeError("make one SoftHSM2 token per process, before using PKCS#11")
    util = shutil.which("softhsm2-util")
    module = softhsm_module()
    if util is None or module is None:
        raise RuntimeError("SoftHSM2 is not installed (Debian package softhsm2)")
    tokens = folder / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = folder / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n",
        "utf-8",
    )
    os.environ["SOFTHSM2_CONF"] = str(conf)
    pin, so_pin = secrets.token_hex(8), secrets.token_hex(8)
    done = subprocess.run(
        [util, "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", so_pin],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"softhsm2-util --init-token failed: {done.stdout}{done.stderr}")
    _MADE.append(conf)
    return SoftHsmToken(module, label, pin, so_pin, conf)
