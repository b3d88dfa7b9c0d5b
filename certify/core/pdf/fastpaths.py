"""Two faster paths for certify's own PDF reads and validations; pyHanko's globals stay untouched.

Every PDF validation (the issuer's self-check at issuance, each PDF uploaded to ``/verify``)
spent most of its extra time in two places:

- **Hex strings.** pyHanko reads ``<48656c6c6f>`` one byte at a time through a generator, and
  a signature's ``/Contents`` is several thousand hex digits. :func:`read_hex_string` finds the
  closing ``>`` with ``bytes.find``, drops PDF whitespace with ``bytes.translate`` and decodes
  with :func:`binascii.unhexlify`. Anything it does not handle exactly as pyHanko does (a
  comment inside the string, a byte that is neither a hex digit nor whitespace, no closing
  ``>``) is handed back, from the same stream position, to pyHanko's own reader, which then
  gives its own result or error.
- **The signing-certificate attribute (ESS).** pyHanko's ``match_issuer_serial`` compares the
  DER of the two issuer names first and runs RFC 4518 string preparation on every name only
  when they differ. For the ESS attribute's issuer they always differ: that name keeps its
  ``[4]`` tag. So each of the three ESS checks of a validation prepared every name again
  (about a millisecond). :func:`match_issuer_serial` compares the untagged DER and the serial
  first, and asks pyHanko's function whenever that is not a match.

**How it is scoped.** pyHanko looks the next function down a call chain up by name, at call
time, in its module's globals: ``read_object`` calls ``read_hex_string_from_stream``,
``check_ess_certid`` calls ``match_issuer_serial``, and so on up to the reader and to
``validate_pdf_signature``. Assigning our functions to those module attributes would change
them for every caller in the process, other threads included. Instead certify uses private
*copies* of the functions on those chains: the same code objects (so the same behaviour),
bound to private copies of their modules' namespaces in which the next function down is the
private copy. The reader is :class:`FastReader` (its ``_read_object`` and the three parser
functions below it); validation is :func:`validate_pdf_signature` (pyHanko's, down through
``generic_cms`` to ``check_ess_certid``), and the signatures FastReader finds are
:class:`FastEmbeddedSignature`, whose certificate extraction is the copy too. pyHanko's
modules, classes and functions are never assigned to: any other reader or validation, in any
thread, runs pyHanko's originals, also while a certify validation runs.
``tests/core/test_pyhanko_fastpaths.py`` checks that, that the copies read every object of a
certificate PDF as pyHanko does, that :func:`match_issuer_serial` answers as pyHanko's does,
and that a certify validation reaches it.

Objects inside object streams, and the cross-reference and trailer parsing, take pyHanko's own
path (certify's signature dictionaries are plain indirect objects); so does any validation
step these copies do not cover (it is then only slower). A pyHanko upgrade that changes these
functions is caught by those tests (``setup.cfg`` pins pyHanko below 0.40).
"""

from __future__ import annotations

import binascii
import io
import types
from collections.abc import Callable
from typing import IO, Any

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils import reader as pdf_reader
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import general
from pyhanko.sign import validation as pyhanko_validation
from pyhanko.sign.validation import generic_cms, pdf_embedded

__all__ = [
    "FastEmbeddedSignature",
    "FastReader",
    "match_issuer_serial",
    "read_hex_string",
    "validate_pdf_signature",
]

_PDF_WHITESPACE = b" \n\r\t\f\x00"
_CHUNK = 8192
#: pyHanko's reader, for everything :func:`read_hex_string` leaves to it.
_PYHANKO_READ_HEX_STRING = generic.read_hex_string_from_stream
#: pyHanko's issuer/serial match, for everything :func:`match_issuer_serial` leaves to it.
_PYHANKO_MATCH_ISSUER_SERIAL = general.match_issuer_serial


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

    @property
    def embedded_signatures(self) -> list[Any]:
        """pyHanko's property, finding the signatures with the private copy of
        ``collect_embedded_signatures`` (so as :class:`FastEmbeddedSignature`)."""
        found: list[Any] | None = self._embedded_signatures
        if found is None:
            found = self._embedded_signatures = _collect_embedded_signatures(self)
        return found


# --------------------------------------------------------------------------- ESS matching


def match_issuer_serial(expected_issuer_serial: Any, cert: Any) -> bool:
    """pyHanko's ``match_issuer_serial``, with a cheap exact match first: the serial numbers
    equal and the ESS issuer (one directory name) byte for byte the certificate's issuer once
    its ``[4]`` tag is taken off. That is the DER shortcut pyHanko's function means to take
    (its comparison keeps the tag, so never takes it). Any other case is pyHanko's answer."""
    try:
        issuer = expected_issuer_serial["issuer"]
        if (
            isinstance(issuer, asn1_x509.GeneralNames)
            and len(issuer) == 1
            and issuer[0].name == "directory_name"
            and expected_issuer_serial["serial_number"] == cert["tbs_certificate"]["serial_number"]
            and issuer[0].chosen.untag().dump() == cert.issuer.dump()
        ):
            return True
    except Exception:  # noqa: S110 - malformed input: pyHanko's function decides, and reports
        pass
    return bool(_PYHANKO_MATCH_ISSUER_SERIAL(expected_issuer_serial, cert))


def _copies(
    module: types.ModuleType, names: tuple[str, ...], **overrides: Any
) -> tuple[dict[str, Any], types.SimpleNamespace]:
    """A private copy of *module*'s namespace with *overrides*, and *names* (functions of
    *module*) bound to it, so that each calls the others' copies; and a view of the module
    with those copies in it, for a caller that looks them up as ``module.name``."""
    namespace = {**vars(module), **overrides}
    namespace.update({name: _bound_to(vars(module)[name], namespace) for name in names})
    return namespace, types.SimpleNamespace(**namespace)


_GENERAL, _ = _copies(general, ("check_ess_certid",), match_issuer_serial=match_issuer_serial)
# Every generic_cms function between a PDF validation and the ESS check (the signer's and a
# time-stamp token's), plus the certificate extraction an embedded signature runs.
_CMS, _CMS_VIEW = _copies(
    generic_cms,
    (
        "_check_signing_certificate",
        "extract_certs_for_validation",
        "validate_sig_integrity",
        "cms_basic_validation",
        "collect_timing_info",
        "validate_tst_signed_data",
    ),
    check_ess_certid=_GENERAL["check_ess_certid"],
)


class FastEmbeddedSignature(pdf_embedded.EmbeddedPdfSignature):
    """pyHanko's ``EmbeddedPdfSignature``, extracting its certificates with the private copy
    (so with :func:`match_issuer_serial`)."""


_EMBEDDED, _ = _copies(
    pdf_embedded,
    ("async_validate_pdf_signature", "collect_embedded_signatures"),
    generic_cms=_CMS_VIEW,
    EmbeddedPdfSignature=FastEmbeddedSignature,
)
FastEmbeddedSignature._init_cert_info = _bound_to(  # type: ignore[method-assign]
    pdf_embedded.EmbeddedPdfSignature._init_cert_info, _EMBEDDED
)
_collect_embedded_signatures = _EMBEDDED["collect_embedded_signatures"]
_VALIDATION, _ = _copies(
    pyhanko_validation,
    ("validate_pdf_signature",),
    async_validate_pdf_signature=_EMBEDDED["async_validate_pdf_signature"],
)
#: pyHanko's ``validate_pdf_signature`` (same arguments, same result), running the private
#: copies down to :func:`match_issuer_serial`.
validate_pdf_signature: Callable[..., Any] = _VALIDATION["validate_pdf_signature"]
