"""W3C Bitstring Status List v1.0: the revocation and suspension lists of certificates.

Each certificate holds one random index in a ``revocation`` list and one in a ``suspension``
list (:func:`certify.core.credentials.building.build_credential`). The registry serves every
list as a ``BitstringStatusListCredential`` at ``/status/<purpose>/<list>`` and re-signs it on
every change (the caller signs :func:`status_list_credential` with
:func:`certify.core.credentials.proofs.sign_credential`).

Encoding, per the specification: the uncompressed bitstring is at least 16 KB (131,072
entries, :data:`MIN_BITS`); index 0 is the left-most bit, i.e. the most significant bit of
the first byte; a set bit (1) means revoked / suspended. ``encodedList`` is the multibase
``u`` prefix + base64url without padding of the GZIP (RFC 1952) compressed bitstring.
Compression is deterministic (header ``mtime`` 0, zlib level 6): an unchanged list encodes to
the same string, and an all-zero 16 KB list gives exactly the specification's example value.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable
from datetime import datetime
from typing import Any, overload

from certify.core.credentials.dates import format_datetime
from certify.core.credentials.multibase import MultibaseError, multibase_decode, multibase_encode
from certify.core.credentials.urls import did_web_from_url, status_list_url
from certify.core.credentials.vocabulary import STATUS_PURPOSES, VC_CONTEXT_V2, CredentialError
from certify.core.serial import RandomBits, RandomGetBits, random_bits

MIN_BITS = 131_072
"""Minimum list length (entries of one bit) required by the specification: 16 KB."""

MAX_BYTES = 16 * 1024 * 1024
"""Largest uncompressed list :func:`decode_list` accepts (a decompression-bomb guard)."""

_GZIP_LEVEL = 6


class StatusListError(ValueError):
    """A status list is malformed, too short, or an index is out of range."""


def new_list(size: int = MIN_BITS) -> bytearray:
    """Return an all-zero bitstring of *size* entries (a multiple of 8, at least 131,072).

    Raises:
        StatusListError: for a size below the minimum or not a whole number of bytes.
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < MIN_BITS or size % 8:
        raise StatusListError(f"a status list has a multiple of 8 entries, at least {MIN_BITS}")
    return bytearray(size // 8)


def encode_list(bits: bytes | bytearray) -> str:
    """Return the ``encodedList`` value of the raw bitstring *bits*.

    Raises:
        StatusListError: if *bits* is shorter than 16 KB.
    """
    if not isinstance(bits, bytes | bytearray):
        raise StatusListError("a bitstring is bytes")
    if len(bits) * 8 < MIN_BITS:
        raise StatusListError(f"a status list must hold at least {MIN_BITS} entries (16 KB)")
    # mtime=0 keeps the output a pure function of the bits (no timestamp in the header).
    compressed = gzip.compress(bytes(bits), compresslevel=_GZIP_LEVEL, mtime=0)
    return multibase_encode(compressed, "u")


def decode_list(encoded: str, max_bytes: int = MAX_BYTES) -> bytes:
    """Return the raw bitstring of an ``encodedList`` value.

    Raises:
        StatusListError: when the value is not ``u`` + base64url (no padding), not a single
            complete GZIP member, larger than *max_bytes* uncompressed, or shorter than 16 KB.
    """
    try:
        compressed = multibase_decode(encoded, expected="u")
    except MultibaseError as exc:
        raise StatusListError(f"encodedList is not multibase base64url: {exc}") from exc
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # GZIP container only
    try:
        bits = inflater.decompress(compressed, max_bytes + 1)
    except zlib.error as exc:
        raise StatusListError("encodedList is not GZIP data") from exc
    if len(bits) > max_bytes or inflater.unconsumed_tail:
        raise StatusListError("the status list is larger than allowed")
    if not inflater.eof or inflater.unused_data:
        raise StatusListError("encodedList is truncated or has trailing data")
    if len(bits) * 8 < MIN_BITS:
        raise StatusListError(f"a status list must hold at least {MIN_BITS} entries (16 KB)")
    return bits


def _raw(data: str | bytes | bytearray) -> bytes | bytearray:
    return decode_list(data) if isinstance(data, str) else data


def _position(bits: bytes | bytearray, index: int) -> tuple[int, int]:
    if isinstance(index, bool) or not isinstance(index, int):
        raise StatusListError("a status list index is an integer")
    if not 0 <= index < len(bits) * 8:
        raise StatusListError(f"index {index} is outside the list (0 to {len(bits) * 8 - 1})")
    # Index 0 is the left-most bit: the most significant bit of byte 0.
    return index // 8, 0x80 >> (index % 8)


def get_bit(data: str | bytes | bytearray, index: int) -> bool:
    """Return the status bit at *index* of an ``encodedList`` string or raw bitstring.

    Raises:
        StatusListError: for a malformed list or an index outside it.
    """
    bits = _raw(data)
    byte, mask = _position(bits, index)
    return bool(bits[byte] & mask)


@overload
def set_bit(data: str, index: int, value: bool = True) -> str: ...
@overload
def set_bit(data: bytes | bytearray, index: int, value: bool = True) -> bytes: ...
def set_bit(data: str | bytes | bytearray, index: int, value: bool = True) -> str | bytes:
    """Return a copy of the list with the bit at *index* set to *value*.

    An ``encodedList`` string gives a new ``encodedList`` string; raw bytes give new bytes.
    The input is never modified.

    Raises:
        StatusListError: for a malformed list or an index outside it.
    """
    bits = bytearray(_raw(data))
    byte, mask = _position(bits, index)
    if value:
        bits[byte] |= mask
    else:
        bits[byte] &= ~mask & 0xFF
    return encode_list(bits) if isinstance(data, str) else bytes(bits)


def set_indexes(bits: bytes | bytearray) -> list[int]:
    """Return the indexes whose bit is set, in increasing order."""
    found: list[int] = []
    for byte_index, byte in enumerate(bits):
        if byte:
            found.extend(byte_index * 8 + i for i in range(8) if byte & (0x80 >> i))
    return found


def _randbelow(rng: RandomBits | RandomGetBits, n: int) -> int:
    # Rejection sampling on random bits gives a uniform value with an API that both the
    # secrets module and random.Random provide.
    k = n.bit_length()
    while True:
        value = random_bits(rng, k)
        if value < n:
            return value


def random_free_index(
    used: set[int] | frozenset[int], size: int, rng: RandomBits | RandomGetBits
) -> int:
    """Return a uniformly random index in ``range(size)`` that is not in *used*.

    The specification asks for random assignment so an index reveals nothing about when a
    certificate was issued or how many exist. Pass ``secrets`` as *rng* in production.

    Raises:
        StatusListError: when every index is used (the caller starts a new list).
    """
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise StatusListError("the list size must be a positive integer")
    taken = sum(1 for i in used if 0 <= i < size)
    if taken >= size:
        raise StatusListError("the status list is full")
    if taken * 2 < size:
        while True:  # at least half is free: expected < 2 draws
            candidate = _randbelow(rng, size)
            if candidate not in used:
                return candidate
    free = [i for i in range(size) if i not in used]
    return free[_randbelow(rng, len(free))]


def probe_free_index(
    is_used: Callable[[int], bool],
    size: int,
    rng: RandomBits | RandomGetBits,
    probes: int = 16,
) -> int | None:
    """Draw up to *probes* uniformly random indexes in ``range(size)``; return the first one
    *is_used* says is free, or None when every draw was taken.

    The same distribution as :func:`random_free_index` (rejection sampling is uniform over
    the free indexes) without the whole used set: a registry asks its database about one
    index at a time instead of reading every index of a list of 131,072. While at most half
    the list is used, 16 draws all fail with a chance under 1 in 65,000; then the caller reads
    the used set and calls :func:`random_free_index`.
    """
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise StatusListError("the list size must be a positive integer")
    for _ in range(probes):
        candidate = _randbelow(rng, size)
        if not is_used(candidate):
            return candidate
    return None


def status_list_credential(
    public_url: str,
    purpose: str,
    list_id: str,
    encoded: str,
    valid_from: datetime,
    *,
    valid_until: datetime | None = None,
    issuer_name: str | None = None,
) -> dict[str, Any]:
    """Return the unsigned ``BitstringStatusListCredential`` served at
    ``<public url>/status/<purpose>/<list id>``.

    Args:
        encoded: the list's ``encodedList`` value (checked to decode).
        valid_from: when this version of the list was published (aware datetime).
        valid_until: optional end of this version's validity.
        issuer_name: if given, ``issuer`` is ``{"id": <did>, "name": ...}`` like the
            certificates; otherwise the bare did:web string.

    Raises:
        CredentialError: for a bad URL, purpose or list id.
        StatusListError: when *encoded* is not a valid list.
    """
    if purpose not in STATUS_PURPOSES:
        raise CredentialError(f"status purpose must be one of {STATUS_PURPOSES}")
    url = status_list_url(public_url, purpose, list_id)
    decode_list(encoded)  # never publish a list a verifier cannot read
    did = did_web_from_url(public_url)
    issuer: str | dict[str, str] = {"id": did, "name": issuer_name} if issuer_name else did
    document: dict[str, Any] = {
        "@context": [VC_CONTEXT_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": format_datetime(valid_from),
    }
    if valid_until is not None:
        if valid_until <= valid_from:
            raise CredentialError("validUntil must be after validFrom")
        document["validUntil"] = format_datetime(valid_until)
    document["credentialSubject"] = {
        "id": f"{url}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purpose,
        "encodedList": encoded,
    }
    return document
