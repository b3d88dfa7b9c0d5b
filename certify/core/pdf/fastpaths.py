"""A faster hex-string reader for certify's own PDF reads; pyHanko's globals stay untouched.

Every PDF validation (the issuer's self-check at issuance, each PDF uploaded to ``/verify``)
spent about 40% of its time in one place: pyHanko reads ``<48656c6c6f>`` one byte at a time
through a generator, and a signature's ``/Contents`` is several thousand hex digits.
:func:`read_hex_string` finds the closing ``>`` with ``bytes.find``, drops PDF whitespace with
``bytes.translate`` and decodes with :func:`binascii.unhexlify`. Anything it does not handle
exactly as pyHanko does (a comment inside the string, a byte that is neither a hex digit nor
whitespace, no closing ``>``) is handed back, from the same stream position, to pyHanko's own
reader, which then gives its own result or error.

**How it is scoped.** pyHanko's object parser looks ``read_hex_string_from_stream`` up by name
in the globals of :mod:`pyhanko.pdf_utils.generic` at call time: ``read_object`` calls it, the
dictionary and array readers call ``read_object``, and ``PdfFileReader._read_object`` calls
``generic.read_object``. Assigning our reader to that module attribute would change it for
every reader in the process, other threads included. Instead, certify opens files with
:class:`FastReader`, a ``PdfFileReader`` whose ``_read_object`` and the three parser functions
below it are private copies: the same code objects (so the same behaviour), bound to private
*copies* of their modules' namespaces in which the next function down the chain is the
private copy and the hex-string reader is :func:`read_hex_string`. pyHanko's modules, classes
and functions are never assigned to: any other reader, in any thread, runs pyHanko's originals,
also while a certify validation runs. ``tests/core/test_pyhanko_fastpaths.py`` checks that, and
that the copies read every object of a certificate PDF, and generated objects, as pyHanko does.

Objects inside object streams, and the cross-reference and trailer parsing, take pyHanko's own
path (certify's signature dictionaries are plain indirect objects). A pyHanko upgrade that
changes these four functions is caught by those tests (``setup.cfg`` pins pyHanko below 0.40).
"""

from __future__ import annotations

import binascii
import io
import types
from collections.abc import Callable
from typing import IO, Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils import reader as pdf_reader
from pyhanko.pdf_utils.reader import PdfFileReader

__all__ = ["FastReader", "read_hex_string"]

_PDF_WHITESPACE = b" \n\r\t\f\x00"
_CHUNK = 8192
#: pyHanko's reader, for everything :func:`read_hex_string` leaves to it.
_PYHANKO_READ_HEX_STRING = generic.read_hex_string_from_stream


def read_hex_string(stream: IO[bytes]) -> Any:
    """Read ``<hex digits>`` at the stream's position; return pyHanko's string object.

    The stream is left just after the closing ``>``, as pyHanko's reader leaves it; whatever
    pyHanko's reader would raise, it raises (it is pyHanko's reader that reads those cases).
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
    return _PYHANKO_READ_HEX_STRING(stream)


def _bound_to(function: Any, namespace: dict[str, Any]) -> Callable[..., Any]:
    """A copy of *function* (same code, defaults and closure) whose globals are *namespace*."""
    copy = types.FunctionType(
        function.__code__,
        namespace,
        function.__name__,
        function.__defaults__,
        function.__closure__,
    )
    copy.__kwdefaults__ = function.__kwdefaults__
    copy.__qualname__ = function.__qualname__
    copy.__doc__ = function.__doc__
    return copy


# Private copies of pyHanko's namespaces: pyHanko's own module dictionaries are only read.
_CONTAINER_GLOBALS: dict[str, Any] = dict(vars(generic))  # the dictionary and array readers
_OBJECT_GLOBALS: dict[str, Any] = dict(vars(generic))  # read_object
_READER_GLOBALS: dict[str, Any] = dict(vars(pdf_reader))  # PdfFileReader._read_object

_read_dictionary = _bound_to(generic.DictionaryObject.read_from_stream, _CONTAINER_GLOBALS)
_read_array = _bound_to(generic.ArrayObject.read_from_stream, _CONTAINER_GLOBALS)
_read_object = _bound_to(generic.read_object, _OBJECT_GLOBALS)
# Inside the dictionary and array readers, "read_object" is the copy; the classes stay
# pyHanko's (they build the objects).
_CONTAINER_GLOBALS["read_object"] = _read_object
# read_object uses "DictionaryObject" and "ArrayObject" only to call their read_from_stream,
# so here they name the copies; it reads hex strings with ours and recurses into itself.
_OBJECT_GLOBALS.update(
    read_object=_read_object,
    read_hex_string_from_stream=read_hex_string,
    DictionaryObject=types.SimpleNamespace(read_from_stream=_read_dictionary),
    ArrayObject=types.SimpleNamespace(read_from_stream=_read_array),
)
# The file reader calls "generic.read_object": a view of pyHanko's generic module whose
# read_object is the copy.
_READER_GLOBALS["generic"] = types.SimpleNamespace(**{**vars(generic), "read_object": _read_object})


class FastReader(PdfFileReader):
    """pyHanko's ``PdfFileReader``, reading indirect objects through the private copies above
    (so with :func:`read_hex_string`). Same objects, same errors."""

    _read_object = _bound_to(PdfFileReader._read_object, _READER_GLOBALS)
