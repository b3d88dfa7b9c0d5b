"""Two fast paths in pyHanko's validation code: same results, same errors, less time.

Every PDF validation (the issuer's self-check at issuance, each PDF uploaded to ``/verify``)
spent about half of its time in two places that do much more work than their answer needs:

1. **Hex strings.** pyHanko reads ``<48656c6c6f>`` one byte at a time through a generator. A
   signature's ``/Contents`` is several thousand hex digits, so reading the signature cost
   about 4 ms of a 14 ms validation. :func:`read_hex_string` finds the closing ``>`` with
   ``bytes.find``, drops PDF whitespace with ``bytes.translate`` and decodes with
   :func:`binascii.unhexlify`. Anything it does not handle exactly as pyHanko does (a comment
   inside the string, a byte that is neither a hex digit nor whitespace, no closing ``>``) is
   handed back, from the same stream position, to pyHanko's own reader, which then gives its
   own result or error.

2. **Issuer and serial matching.** ``match_issuer_serial`` compares the issuer names first,
   by DER bytes and, failing that, by RFC 4518 string preparation (slow: Unicode tables per
   character), and only then the serial numbers. For the ``IssuerSerial`` inside an ESS
   signing-certificate attribute the byte comparison never succeeds, because the name it
   takes from the ``GeneralNames`` keeps its ``[4]`` explicit tag in its DER; so every
   signature check prepared every name of every certificate in the chain (about 2 ms).
   :func:`match_issuer_serial` answers False at once when the serial numbers differ (the
   original's answer then is False whatever the names), answers True when the untagged name's
   DER equals the certificate's issuer DER (the original's own shortcut, with the tag
   removed), and otherwise asks the original.

:func:`install` puts both in place (idempotently); :mod:`certify.core.pdf.validation` calls it on
import. :func:`as_shipped` puts pyHanko's originals back for a while: the benchmarks measure
their "bare pyHanko" baselines with pyHanko as its authors ship it.
``tests/core/test_pyhanko_fastpaths.py`` checks each against pyHanko's original on generated
input, the ugly cases included.
"""

from __future__ import annotations

import binascii
import contextlib
import io
from collections.abc import Iterator
from typing import IO, Any

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils import generic
from pyhanko.sign import general

__all__ = [
    "ORIGINAL_MATCH_ISSUER_SERIAL",
    "ORIGINAL_READ_HEX_STRING",
    "as_shipped",
    "install",
    "match_issuer_serial",
    "read_hex_string",
]

_PDF_WHITESPACE = b" \n\r\t\f\x00"
_CHUNK = 8192
ORIGINAL_READ_HEX_STRING = generic.read_hex_string_from_stream
ORIGINAL_MATCH_ISSUER_SERIAL = general.match_issuer_serial


def read_hex_string(stream: IO[bytes]) -> Any:
    """Read ``<hex digits>`` at the stream's position; return pyHanko's string object.

    The stream is left just after the closing ``>``, as pyHanko's reader leaves it.
    """
    start = stream.tell()
    stream.read(1)  # the opening "<"
    chunks: list[bytes] = []
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break  # no closing ">": pyHanko's reader raises its own error
        end = chunk.find(b">")
        if end < 0:
            chunks.append(chunk)
            continue
        chunks.append(chunk[:end])
        digits = b"".join(chunks).translate(None, _PDF_WHITESPACE)
        if len(digits) % 2:
            digits += b"0"  # ISO 32000-1 7.3.4.3: a missing final digit is taken as 0
        try:
            value = binascii.unhexlify(digits)
        except (binascii.Error, ValueError):
            break  # a comment or a stray byte: pyHanko's reader decides
        stream.seek(end + 1 - len(chunk), io.SEEK_CUR)
        return generic.pdf_string(value)
    stream.seek(start)
    return ORIGINAL_READ_HEX_STRING(stream)


def match_issuer_serial(expected_issuer_serial: Any, cert: Any) -> bool:
    """pyHanko's ``match_issuer_serial`` with the cheap comparisons first (same answers)."""
    serial = cert["tbs_certificate"]["serial_number"]
    if expected_issuer_serial["serial_number"] != serial:
        return False
    issuer = expected_issuer_serial["issuer"]
    try:
        if (
            isinstance(issuer, asn1_x509.GeneralNames)
            and len(issuer) == 1
            and issuer[0].name == "directory_name"
            and issuer[0].chosen.untag().dump() == cert.issuer.dump()
        ):
            return True
    except Exception:  # noqa: S110 - malformed input: the original decides, and reports
        pass
    return bool(ORIGINAL_MATCH_ISSUER_SERIAL(expected_issuer_serial, cert))


def install() -> None:
    """Make pyHanko use both fast paths (idempotent). pyHanko looks both functions up in their
    modules at call time, so replacing the module attributes is enough."""
    generic.read_hex_string_from_stream = read_hex_string
    general.match_issuer_serial = match_issuer_serial


@contextlib.contextmanager
def as_shipped() -> Iterator[None]:
    """Run the block with pyHanko's own functions, then put the fast paths back.

    It changes module attributes for the whole process: for single-threaded measurements
    (the benchmarks' baselines) only, never in the application.
    """
    generic.read_hex_string_from_stream = ORIGINAL_READ_HEX_STRING
    general.match_issuer_serial = ORIGINAL_MATCH_ISSUER_SERIAL
    try:
        yield
    finally:
        install()
