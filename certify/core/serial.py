"""Certificate serials: ``ISR-XXXX-XXXX-XXXX-C`` with an optional reissue suffix ``-R1``.

A serial is a configurable prefix (default ``ISR``), 12 random symbols of Crockford's base32
alphabet (60 bits from :mod:`secrets`) written in three groups of four, and one check
symbol. A corrected reissue of the same certificate appends ``-R1``, ``-R2`` ...; a renewal is
a new certificate with a new serial, never a suffix.

The check symbol is the Luhn mod N algorithm (N = 32) over the 12 body symbols, with each
symbol's code point being its index in :data:`ALPHABET`. It catches every single-symbol
substitution and every transposition of two adjacent symbols except a swap of ``0`` and
``Z`` (code points 0 and N - 1): for those two the doubled-and-folded value minus the value
is the same (0 and 31 both map to 0 mod 32), a known blind spot of Luhn mod N.
``tests/core/test_serial.py`` checks both claims exhaustively.

People type serials from paper, so input is forgiving: any case, spaces or hyphens
optional, ``I`` and ``L`` read as ``1``, ``O`` as ``0``, and the prefix may be left out.
``U`` is never used (Crockford leaves it out to avoid accidental words) and is refused.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Protocol

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base32 alphabet; a symbol's code point is its index here."""

N = len(ALPHABET)  # 32
BODY_LENGTH = 12
GROUP_LENGTH = 4
DEFAULT_PREFIX = "ISR"

_CODE = {symbol: index for index, symbol in enumerate(ALPHABET)}
# Crockford's decoding rules for look-alike letters.
_LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
_PREFIX_RE = re.compile(r"[A-Z]{1,8}")
_SEPARATORS_RE = re.compile(r"[\s\-‐‑‒–—]+")
_SUFFIX_RE = re.compile(r"R([0-9]+)")
# Longest text we even try to read; a serial with a long reissue suffix is ~30 characters.
_MAX_INPUT = 64


class SerialError(ValueError):
    """A serial is malformed; the message says why in words a person understands."""


class RandomBits(Protocol):
    """The :mod:`secrets` module, or anything else with ``randbits(k)``."""

    def randbits(self, k: int, /) -> int: ...


class RandomGetBits(Protocol):
    """``random.Random`` (seeded, in tests) and ``random.SystemRandom``."""

    def getrandbits(self, k: int, /) -> int: ...


def random_bits(rng: RandomBits | RandomGetBits, k: int) -> int:
    """Return *k* random bits from *rng*: ``secrets`` (``randbits``) or a ``random.Random``
    (``getrandbits``)."""
    draw = getattr(rng, "randbits", None) or rng.getrandbits  # type: ignore[union-attr]
    return int(draw(k))


@dataclass(frozen=True)
class SerialParts:
    """A parsed serial: ``prefix``, the 12-symbol ``body``, the ``check`` symbol and the
    ``reissue`` number (0 for the original certificate)."""

    prefix: str
    body: str
    check: str
    reissue: int = 0

    @property
    def base(self) -> str:
        """The serial without its reissue suffix."""
        groups = [self.body[i : i + GROUP_LENGTH] for i in range(0, BODY_LENGTH, GROUP_LENGTH)]
        return "-".join([self.prefix, *groups, self.check])

    def __str__(self) -> str:
        return self.base + (f"-R{self.reissue}" if self.reissue else "")


def _check_prefix(prefix: str) -> str:
    if not isinstance(prefix, str) or not _PREFIX_RE.fullmatch(prefix):
        raise ValueError(f"serial prefix must be 1 to 8 capital letters A-Z, not {prefix!r}")
    return prefix


def _fold(addend: int) -> int:
    # Luhn mod N: a doubled code point is written in base N and its digits summed.
    return addend // N + addend % N


def check_symbol(body12: str) -> str:
    """Return the Luhn mod 32 check symbol for *body12* (12 canonical Crockford symbols).

    Raises:
        SerialError: if *body12* is not 12 symbols of :data:`ALPHABET` (upper case).
    """
    if not isinstance(body12, str) or len(body12) != BODY_LENGTH:
        raise SerialError(f"a serial body has {BODY_LENGTH} symbols")
    total = 0
    factor = 2  # the right-most body symbol is doubled, as the check symbol will follow it
    for symbol in reversed(body12):
        code = _CODE.get(symbol)
        if code is None:
            raise SerialError(f"{symbol!r} is not a serial symbol")
        total += _fold(factor * code)
        factor = 3 - factor
    return ALPHABET[(N - total % N) % N]


def _luhn_valid(symbols: str) -> bool:
    """True when *symbols* (body followed by its check symbol) has a Luhn mod 32 sum of 0."""
    total = 0
    factor = 1
    for symbol in reversed(symbols):
        total += _fold(factor * _CODE[symbol])
        factor = 3 - factor
    return total % N == 0


def generate_serial(prefix: str = DEFAULT_PREFIX, rng: RandomBits | RandomGetBits = secrets) -> str:
    """Return a new random serial in canonical form, e.g. ``ISR-7K2M-Q9XD-4H0B-T``.

    The 60 random bits come from *rng* (:mod:`secrets` unless a test passes a seeded
    ``random.Random``). Uniqueness is the caller's job (a unique database column): the
    chance of a collision among a million serials is about 4e-7.

    Raises:
        ValueError: if *prefix* is not 1 to 8 capital letters.
    """
    _check_prefix(prefix)
    value = random_bits(rng, BODY_LENGTH * 5)
    body = "".join(ALPHABET[(value >> (5 * i)) & 0x1F] for i in reversed(range(BODY_LENGTH)))
    return str(SerialParts(prefix, body, check_symbol(body)))


def _parse_compact(compact: str, prefix: str) -> SerialParts:
    """Parse *compact* (upper case, no separators, no prefix) into parts or raise."""
    compact = compact.translate(_LOOKALIKES)
    if "U" in compact:
        raise SerialError("serials never contain the letter U: please check that character")
    bad = sorted({c for c in compact if c not in _CODE})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise SerialError(f"a serial contains only letters and digits; found {shown}")
    main, rest = compact[: BODY_LENGTH + 1], compact[BODY_LENGTH + 1 :]
    if len(main) < BODY_LENGTH + 1:
        raise SerialError(
            f"too short: a serial has {BODY_LENGTH + 1} symbols after the prefix "
            f"(three groups of four and a check symbol); this has {len(main)}"
        )
    reissue = 0
    if rest:
        match = _SUFFIX_RE.fullmatch(rest)
        if match is None:
            raise SerialError(
                f"too long: a serial has {BODY_LENGTH + 1} symbols after the prefix, "
                "optionally followed by a reissue number such as -R1"
            )
        digits = match.group(1)
        if digits.startswith("0"):
            raise SerialError("a reissue number starts at R1 and has no leading zeros")
        if len(digits) > 6:
            raise SerialError("the reissue number is too large")
        reissue = int(digits)
    if not _luhn_valid(main):
        raise SerialError("check symbol does not match: probably a typo")
    return SerialParts(prefix, main[:BODY_LENGTH], main[BODY_LENGTH], reissue)


def parse_serial(text: str, prefix: str = DEFAULT_PREFIX) -> SerialParts:
    """Read a serial as a person may type it and return its parts.

    Accepts any case, spaces and hyphens anywhere (or none), ``I``/``L`` for ``1`` and ``O``
    for ``0``, with or without the *prefix*, and an optional reissue suffix ``R<n>``
    (``n`` from 1, no leading zeros). When the text starts with the prefix it is read as
    the prefix (the serial as printed); only if that reading fails is the whole text read
    as a serial typed without its prefix.

    Raises:
        SerialError: when the text is not a serial or its check symbol does not match.
        ValueError: if *prefix* itself is invalid.
    """
    _check_prefix(prefix)
    if not isinstance(text, str):
        raise SerialError("a serial is text")
    if len(text) > _MAX_INPUT:
        raise SerialError("too long to be a serial")
    groups = [g for g in _SEPARATORS_RE.split(text.strip()) if g]
    if not groups:
        raise SerialError("enter a certificate serial, such as ISR-XXXX-XXXX-XXXX-C")
    foreign = sorted({c for g in groups for c in g if not (c.isascii() and c.isalnum())})
    if foreign:
        # Checked before upper-casing: "ß".upper() is "SS" and "ı".upper() is "I".
        shown = ", ".join(repr(c) for c in foreign)
        raise SerialError(f"a serial contains only letters and digits; found {shown}")
    groups = [g.upper() for g in groups]
    compact = "".join(groups)
    if compact.startswith(prefix):
        try:
            return _parse_compact(compact[len(prefix) :], prefix)
        except SerialError as with_prefix:
            # "ISR..." might also be a prefix-less serial starting with 1SR (I read as 1).
            try:
                return _parse_compact(compact, prefix)
            except SerialError:
                raise with_prefix from None
    if (
        len(groups) > 1
        and groups[0].isalpha()
        and len(groups[0]) != GROUP_LENGTH
        and len(compact) - len(groups[0]) >= BODY_LENGTH + 1
    ):
        # Looks like "ABC-XXXX-...": another registry's (or a mistyped) prefix.
        raise SerialError(f"serials of this registry start with {prefix}, not {groups[0]}")
    return _parse_compact(compact, prefix)


def normalise_serial(text: str, prefix: str = DEFAULT_PREFIX) -> str:
    """Return the canonical form (``ISR-XXXX-XXXX-XXXX-C`` or ``...-C-R1``) of *text*.

    See :func:`parse_serial` for what is accepted.

    Raises:
        SerialError: when malformed, or "check symbol does not match: probably a typo".
    """
    return str(parse_serial(text, prefix))


def is_valid_serial(text: str, prefix: str = DEFAULT_PREFIX) -> bool:
    """True when :func:`normalise_serial` would accept *text*. Never raises for bad input."""
    try:
        parse_serial(text, prefix)
    except SerialError:
        return False
    return True


def is_canonical_serial(text: str, prefix: str = DEFAULT_PREFIX) -> bool:
    """True when *text* is valid and already in canonical form (no redirect needed)."""
    try:
        return normalise_serial(text, prefix) == text
    except SerialError:
        return False


def base_serial(serial: str, prefix: str = DEFAULT_PREFIX) -> str:
    """Return the canonical serial without any reissue suffix.

    Raises:
        SerialError: when *serial* is malformed.
    """
    return parse_serial(serial, prefix).base


def reissue_serial(serial: str, prefix: str = DEFAULT_PREFIX) -> str:
    """Return the serial of the next corrected reissue: ``-R1`` after the original,
    ``-R(n+1)`` after ``-Rn``.

    Raises:
        SerialError: when *serial* is malformed.
    """
    parts = parse_serial(serial, prefix)
    if parts.reissue >= 999_999:
        raise SerialError("the reissue number is too large")
    return str(SerialParts(parts.prefix, parts.body, parts.check, parts.reissue + 1))
