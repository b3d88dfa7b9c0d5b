"""Canonical JSON (RFC 8785, JSON Canonicalization Scheme).

Every hash or signature certify makes over structured data is made over these bytes:
rubric versions, audit events, credentials and log entries.
"""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785


class CanonicalizationError(ValueError):
    """The value cannot be expressed as canonical JSON (e.g. a float NaN or a non-str key)."""


def canonical_json(value: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of *value*.

    *value* may hold dicts with string keys, lists, tuples, strings, booleans, ``None``,
    integers within the I-JSON range and finite floats.

    Raises:
        CanonicalizationError: for values JSON cannot represent canonically.
    """
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise CanonicalizationError(str(exc)) from exc


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of *data*."""
    return hashlib.sha256(data).hexdigest()


def canonical_sha256(value: Any) -> str:
    """Hex SHA-256 over the canonical JSON of *value*."""
    return sha256_hex(canonical_json(value))
