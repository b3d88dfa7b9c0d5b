"""Whether a configured secret key is strong enough to sign sessions and CSRF tokens.

Anyone who knows the secret key can forge a session cookie (and so sign in as anyone) and any
CSRF token. A key that appears in certify's repository (the example configuration's
placeholder, a documented example) is known to everyone; a short or patterned key can be
guessed. :func:`secret_key_problem` refuses both; ``certify.config`` calls it before the app
starts (outside tests). ``python -m certify.setup_instance`` writes a key that passes
(``secrets.token_urlsafe(48)``: 384 random bits).
"""

from __future__ import annotations

import itertools
import math
import string

#: Keys published in certify's repository or documentation, compared case-insensitively after
#: trimming. ``tests/core/test_secret_key.py`` scans the repository and fails when a key written
#: there would be accepted, so a new documented example must be refused (listed here, or weak).
KNOWN_KEYS = frozenset(
    {
        "",
        "dev",
        "secret",
        "change-me",
        "changeme",
        # instance/config.example.py's placeholder
        "replace-me-with-a-long-random-value",
    }
)

#: Words that mark a key a person typed rather than one a random generator made. A random
#: base64 key of 64 characters contains one of them by chance with odds below one in ten million.
PLACEHOLDER_WORDS = (
    "secret",
    "password",
    "passphrase",
    "change",
    "replace",
    "example",
    "placeholder",
    "insecure",
    "random",
    "certify",
    "default",
)

#: A key must be able to hold as much as 32 random bytes (256 bits).
MIN_BITS = 256
#: Fewer distinct characters than this is a pattern, not randomness (a random hex key of 64
#: characters shows about 16; a random base64 key of 43 about 31).
MIN_DISTINCT = 12
#: A run of this many characters that occurs twice is a pattern (odds for a random key of
#: 64 hex characters: about one in four million).
REPEAT_LENGTH = 8

_CLASSES = (
    (frozenset("0123456789abcdef"), 16),
    (frozenset("0123456789ABCDEF"), 16),
    (frozenset(string.digits), 10),
    (frozenset(string.ascii_lowercase), 26),
    (frozenset(string.ascii_uppercase), 26),
    (frozenset(string.ascii_letters + string.digits), 62),
    (frozenset(string.ascii_letters + string.digits + "-_"), 64),
    (frozenset(string.ascii_letters + string.digits + "+/="), 65),
)

GENERATE_HINT = (
    "Generate one with 'python -m certify.setup_instance' (writes instance/config.py) or "
    "'python -c \"import secrets; print(secrets.token_urlsafe(48))\"'."
)


def estimated_bits(key: str) -> float:
    """An upper bound on the randomness *key* can hold: its length times the bits per
    character of the smallest usual alphabet (hex, digits, letters, base64, printable) that
    contains all its characters."""
    if not key:
        return 0.0
    used = set(key)
    size = next((n for chars, n in _CLASSES if used <= chars), 95)
    return len(key) * math.log2(size)


def _has_repeat(key: str, length: int = REPEAT_LENGTH) -> bool:
    seen: set[str] = set()
    for start in range(len(key) - length + 1):
        part = key[start : start + length]
        if part in seen:
            return True
        seen.add(part)
    return False


def _has_run(key: str, length: int = REPEAT_LENGTH) -> bool:
    """Consecutive code points going up or down (``abcdefgh``, ``98765432``)."""
    for step in (1, -1):
        run = 1
        for before, after in itertools.pairwise(key):
            run = run + 1 if ord(after) - ord(before) == step else 1
            if run >= length:
                return True
    return False


def secret_key_problem(key: str | bytes | None) -> str | None:
    """Why *key* must not sign anything, in a sentence; None when it is acceptable.

    Refused: no key; a key published in the repository (:data:`KNOWN_KEYS`); a key with a
    placeholder word; a key that cannot hold 256 random bits (:func:`estimated_bits`:
    43 base64 or 64 hex characters at least); a key with few distinct characters, a repeated
    run or a sequence (``abcdefgh``). Bytes are judged as text when they are ASCII, else
    by their length and variety.
    """
    if isinstance(key, bytes):
        try:
            key = key.decode("ascii")
        except UnicodeDecodeError:
            if len(key) < MIN_BITS // 8 or len(set(key)) < MIN_DISTINCT:
                return "The secret key is shorter than 32 random bytes."
            return None
    text = (key or "").strip()
    if not text:
        return "No secret key is configured."
    if text.lower() in KNOWN_KEYS:
        return "The secret key is a placeholder published in certify's repository."
    lowered = text.lower()
    word = next((w for w in PLACEHOLDER_WORDS if w in lowered), None)
    if word is not None:
        return f"The secret key contains the word {word!r}: it was typed, not generated."
    if estimated_bits(text) < MIN_BITS:
        return "The secret key is shorter than 32 random bytes (43 base64 or 64 hex characters)."
    if len(set(text)) < MIN_DISTINCT or _has_repeat(text) or _has_run(text):
        return "The secret key has a pattern (repeated or consecutive characters), not randomness."
    return None
