"""Second factors, decided without Flask or a database: TOTP codes, recovery codes, who must
hold a second factor, and whether one was shown recently enough for a dangerous action.

TOTP (RFC 6238, via ``pyotp``): 6 digits, 30-second steps, one step either side accepted for
clock drift. A code is accepted once: the step it matched is remembered and no step at or
before it is accepted again (RFC 6238 section 5.2), so a code read over a shoulder or from a
phishing page is worthless once used.

Recovery codes are 60 random bits each (twelve base-32 characters, shown as ``xxxx-xxxx-xxxx``);
only their SHA-256 is kept. With that much entropy a slow hash adds nothing: nobody can try
2^60 candidates against a hash, and every attempt online is throttled.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable

import pyotp

#: Seconds per TOTP step and digits per code (the values every authenticator app assumes).
TOTP_STEP = 30
TOTP_DIGITS = 6
#: Steps accepted either side of the current one (clock drift between phone and server).
TOTP_WINDOW = 1
#: How many recovery codes a person gets at once.
RECOVERY_CODES = 10

_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/i/l: read off paper


def new_totp_secret() -> str:
    """A new TOTP secret: 160 random bits in base 32 (what authenticator apps expect)."""
    return pyotp.random_base32(32)


def step_at(moment: dt.datetime) -> int:
    """The TOTP step *moment* falls in."""
    return int(moment.timestamp()) // TOTP_STEP


def totp_code(secret: str, step: int) -> str:
    """The code of *secret* for *step* (tests and the demo's helpers compute codes too)."""
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP).at(step * TOTP_STEP)


def clean_code(text: str) -> str:
    """What was typed, without spaces and hyphens, lower-case."""
    return "".join(c for c in text.strip().lower() if c not in " -\t")


def matching_step(
    secret: str, code: str, now: dt.datetime, last_step: int | None, window: int = TOTP_WINDOW
) -> int | None:
    """The step at which *code* is *secret*'s code, within *window* steps of *now* and after
    *last_step* (the last one accepted); None when there is none."""
    typed = clean_code(code)
    if len(typed) != TOTP_DIGITS or not typed.isdigit():
        return None
    current = step_at(now)
    for step in range(current - window, current + window + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp_code(secret, step), typed):
            return step
    return None


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP).provisioning_uri(
        name=account, issuer_name=issuer
    )


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """*count* fresh recovery codes, formatted to be copied by hand."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12))
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    return codes


def looks_like_recovery_code(text: str) -> bool:
    """Whether *text* has a recovery code's shape (else it is taken for a TOTP code)."""
    typed = clean_code(text)
    return len(typed) == 12 and all(c in _RECOVERY_ALPHABET for c in typed)


def recovery_hash(code: str) -> str:
    """The SHA-256 (hex) kept for a recovery code, whatever spacing it was typed with."""
    return hashlib.sha256(b"certify recovery code\0" + clean_code(code).encode()).hexdigest()


def must_hold_second_factor(roles: Iterable[str], required_roles: Iterable[str]) -> bool:
    """Whether someone holding *roles* must hold a second factor, given the roles the settings
    require one for (admin and reviewer by default)."""
    return bool(set(roles) & set(required_roles))


def is_fresh(verified_at: dt.datetime | None, now: dt.datetime, within: dt.timedelta) -> bool:
    """Whether a second factor shown at *verified_at* still counts at *now* for a dangerous
    action (one shown "in the future" of a moved clock does not)."""
    return verified_at is not None and verified_at <= now < verified_at + within


def b64url(data: bytes) -> str:
    """Unpadded base64url, as WebAuthn writes binary values."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
