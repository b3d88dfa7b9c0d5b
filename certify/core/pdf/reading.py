"""Reading certificate PDFs safely: size caps, decode limits against compression bombs, and
the embedded files of the revision a signature covers.

Attachments are always read from the revision the signature covers, never from later
revisions, so an appended update cannot change what a verifier reads.
"""

from __future__ import annotations

import io
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.decode_limits import (
    DecodeLimits,
    DocumentDecodeBudget,
    StreamDecodeLimits,
)
from pyhanko.pdf_utils.reader import PdfFileReader

from certify.core.pdf.fastpaths import FastReader

__all__ = [
    "DEFAULT_MAX_ATTACHMENT_BYTES",
    "DEFAULT_MAX_PDF_BYTES",
    "PdfInputError",
    "extract_attachment",
    "open_pdf",
    "read_attachments",
    "signed_root",
]

MiB = 1024 * 1024
DEFAULT_MAX_PDF_BYTES = 10 * MiB  # a certificate PDF is well under 200 KB
DEFAULT_MAX_ATTACHMENT_BYTES = 1 * MiB  # a credential is a few KB
_MAX_ATTACHMENTS = 32
_MAX_NAME_TREE_DEPTH = 8


class PdfInputError(ValueError):
    """The bytes are not a PDF this module can read (too large, not a PDF, or malformed)."""


def _decode_limits(max_attachment_bytes: int) -> DecodeLimits:
    # Compression bombs: no single stream may decode to more than the larger of the
    # attachment cap and a page-content allowance, and the whole document gets a budget.
    per_stream = max(max_attachment_bytes, 8 * MiB)
    return DecodeLimits(
        per_stream=StreamDecodeLimits(max_output_size=per_stream),
        # Every decode counts, including re-reading the signed revision: 64 MiB in all, or
        # four times the file size for a file larger than 16 MiB (which max_bytes refuses).
        document_budget=DocumentDecodeBudget(base_allowance=64 * MiB, max_ratio=4),
    )


def open_pdf(pdf_bytes: bytes, max_bytes: int, max_attachment_bytes: int) -> PdfFileReader:
    """A strict pyHanko reader over *pdf_bytes* (certify's
    :class:`~certify.core.pdf.fastpaths.FastReader`), with the decode limits of
    *max_attachment_bytes*.

    Raises:
        PdfInputError: not bytes, empty, larger than *max_bytes*, no ``%PDF-`` header in the
            first 1024 bytes, or pyHanko cannot read it.
    """
    if not isinstance(pdf_bytes, bytes | bytearray | memoryview):
        raise PdfInputError("expected PDF bytes")
    data = bytes(pdf_bytes)
    if not data:
        raise PdfInputError("the file is empty")
    if len(data) > max_bytes:
        raise PdfInputError(f"the file is larger than {max_bytes} bytes")
    # PDF readers accept a header within the first 1024 bytes; we need the header at all.
    if b"%PDF-" not in data[:1024]:
        raise PdfInputError("not a PDF file (no %PDF- header)")
    try:
        return FastReader(
            io.BytesIO(data),
            strict=True,
            decode_limits=_decode_limits(max_attachment_bytes),
        )
    except Exception as exc:
        raise PdfInputError(f"unreadable PDF: {type(exc).__name__}: {exc}") from exc


def _name_tree_items(node: Any, depth: int = 0) -> list[tuple[str, Any]]:
    """Flatten a PDF name tree (bounded depth and size: the tree is attacker-supplied)."""
    if depth > _MAX_NAME_TREE_DEPTH:
        raise PdfInputError("embedded-file name tree too deep")
    node = node.get_object() if isinstance(node, generic.IndirectObject) else node
    if not isinstance(node, generic.DictionaryObject):
        raise PdfInputError("malformed embedded-file name tree")
    items: list[tuple[str, Any]] = []
    if "/Names" in node:
        names = node["/Names"]
        if not isinstance(names, generic.ArrayObject) or len(names) % 2:
            raise PdfInputError("malformed embedded-file name array")
        for i in range(0, len(names), 2):
            key = names[i]
            if not isinstance(key, generic.TextStringObject | generic.ByteStringObject):
                raise PdfInputError("malformed embedded-file name")
            label = key if isinstance(key, str) else bytes(key).decode("latin-1")
            items.append((str(label), names.raw_get(i + 1)))
    if "/Kids" in node:
        for kid in node["/Kids"]:
            items.extend(_name_tree_items(kid, depth + 1))
    if len(items) > _MAX_ATTACHMENTS:
        raise PdfInputError("too many embedded files")
    return items


def signed_root(reader: PdfFileReader, embedded: Any) -> Any:
    """The catalog of the revision *embedded* (a signature of *reader*) signed. That is the
    file's current catalog when the signature is on the last revision, as a certificate's is:
    read through the reader itself, whose objects the validation has parsed already, rather
    than through a second, historical view of the same revision."""
    revision = embedded.signed_revision
    if revision == reader.xrefs.total_revisions - 1:
        return reader.root
    return reader.get_historical_root(revision)


def read_attachments(root: Any, max_attachment_bytes: int) -> dict[str, bytes]:
    """EmbeddedFiles of the catalog *root* (a revision's root), each capped in size.

    Raises:
        PdfInputError: a malformed name tree, a file that is not a stream, larger than
            *max_attachment_bytes*, or a name that appears twice.
    """
    try:
        names = root["/Names"]
        tree = names["/EmbeddedFiles"]
    except KeyError:
        return {}
    files: dict[str, bytes] = {}
    for label, spec_ref in _name_tree_items(tree):
        spec = spec_ref.get_object() if isinstance(spec_ref, generic.IndirectObject) else spec_ref
        if not isinstance(spec, generic.DictionaryObject) or "/EF" not in spec:
            continue
        ef = spec["/EF"]
        stream = ef.get("/UF") or ef.get("/F")
        if stream is None:
            continue
        stream = stream.get_object() if isinstance(stream, generic.IndirectObject) else stream
        if not isinstance(stream, generic.StreamObject):
            raise PdfInputError(f"embedded file {label!r} is not a stream")
        # The reader's decode limits stop a compression bomb while decoding; this cap is the
        # application's own ceiling on what it will hand to a JSON parser.
        data = stream.data
        if len(data) > max_attachment_bytes:
            raise PdfInputError(f"embedded file {label!r} exceeds {max_attachment_bytes} bytes")
        if label in files:
            raise PdfInputError(f"embedded file name {label!r} appears twice")
        files[label] = data
    return files


def extract_attachment(
    pdf_bytes: bytes,
    name: str,
    *,
    max_bytes: int = DEFAULT_MAX_PDF_BYTES,
    max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES,
) -> bytes | None:
    """Return the embedded file *name* of *pdf_bytes*, or None if there is none.

    For a signed PDF it is read from the revision the first signature covers (what was
    signed, not what was appended later); for an unsigned one from the latest revision.
    This does not check the signature: call :func:`validate_pdf` for that.

    Raises:
        PdfInputError: the bytes are not a readable PDF, exceed a size cap, or hold a
            malformed embedded-file tree.
    """
    reader = open_pdf(pdf_bytes, max_bytes, max_attachment_bytes)
    try:
        signatures = list(reader.embedded_signatures)
        root = signed_root(reader, signatures[0]) if signatures else reader.root
        return read_attachments(root, max_attachment_bytes).get(name)
    except PdfInputError:
        raise
    except Exception as exc:
        raise PdfInputError(f"cannot read the embedded files: {exc}") from exc
