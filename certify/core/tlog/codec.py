"""Strict codecs shared by notes, checkpoints and proofs: one encoding per value, so no input
is malleable (standard padded base64, canonical decimal, key names)."""

from __future__ import annotations

import base64
import binascii
import unicodedata

from certify.core.tlog.errors import NoteError

UINT64_MAX = 2**64 - 1


def b64decode(value: str, what: str, error: type[NoteError] = NoteError) -> bytes:
    """Standard base64, padded and canonical (one encoding per value: no malleability)."""
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise error(f"{what} is not standard base64") from exc
    if base64.b64encode(raw).decode("ascii") != value:
        raise error(f"{what} is not canonical base64")
    return raw


def b64(raw: bytes) -> str:
    """Standard padded base64 of *raw*."""
    return base64.b64encode(raw).decode("ascii")


def parse_uint(value: str, what: str, error: type[NoteError]) -> int:
    """ASCII decimal, no sign, no leading zeros (unless "0"), at most 2**64 - 1."""
    if not value or not value.isascii() or not value.isdigit():
        raise error(f"{what} must be a decimal number")
    if len(value) > 1 and value[0] == "0":
        raise error(f"{what} must not have leading zeros")
    number = int(value)
    if number > UINT64_MAX:
        raise error(f"{what} is too large")
    return number


def is_valid_name(name: str) -> bool:
    """Key names: non-empty, no Unicode space, no '+', no control characters."""
    return (
        bool(name)
        and "+" not in name
        and not any(ch.isspace() or unicodedata.category(ch) in {"Cc", "Zs"} for ch in name)
    )
