"""Evidence file types, decided by content, never by name.

ISSPs upload evidence for their certification case; auditors and reviewers download it. A file
is accepted only when its *bytes* are one of seven kinds: PDF, PNG, JPEG, XLSX, DOCX, CSV or plain
text. :func:`~certify.core.filetypes.sniffing.sniff` decides which, or raises
:class:`~certify.core.filetypes.kinds.FileTypeError` with a message a person understands ("This
is a Windows program (.exe), not a document ..."). The name the uploader gave is only used to
tell CSV from plain text; a program renamed ``report.pdf`` is still a program.

Order of the checks, and why:

1. **Dangerous or unsupported signatures at offset 0** are named first: Windows programs (``MZ``),
   ELF, Mach-O, Java classes, WebAssembly, scripts (``#!``), HTML/XML/SVG markup, archives (RAR,
   7z, gzip, ...), old binary Office files and other images. Checking these first means a polyglot
   (a program that also carries ``%PDF-`` a few bytes in) is refused as what it starts as.
2. **PNG**: the signature, a well-formed ``IHDR`` first chunk (length 13, non-zero size, correct
   CRC) and the ``IEND`` chunk as the last 12 bytes.
3. **JPEG**: ``FF D8 FF`` and an end-of-image marker ``FF D9`` in the last 1024 bytes (some
   cameras pad after it).
4. **XLSX / DOCX**: a ZIP container checked before and with :mod:`zipfile`: the end-of-central-
   directory record is read by hand first so that a forged entry count or directory size is
   refused before :mod:`zipfile` builds millions of objects; then no encrypted entries, no
   absolute or ``..`` names, no duplicate names, no overlapping entries (the "better zip bomb"),
   only stored/deflated entries, a cap on entries and on the total *declared* uncompressed size,
   ``[Content_Types].xml`` present, and exactly one of ``xl/workbook.xml`` / ``word/document.xml``.
   Macro-enabled files (``vbaProject.bin``, a ``macroEnabled`` content type, Excel 4 macro sheets,
   ActiveX parts) are refused. Nothing is extracted except ``[Content_Types].xml``, read with a
   byte cap; the XML is searched as bytes, never parsed (no entity expansion).
5. **PDF**: ``%PDF-1.x``/``%PDF-2.x`` within the first 1024 bytes (what PDF readers tolerate) and
   ``%%EOF`` within the last 1024 bytes.
6. **Text and CSV**: strict UTF-8 (a UTF-8 byte-order mark is allowed), no NUL bytes, no control
   characters other than tab, line feed, form feed and carriage return (so no terminal escape
   sequences), no UTF-16/UTF-32 (named, with the advice to save as UTF-8), no markup in the first
   1024 bytes (``<script``, ``<html``, ``<svg``, ``<iframe``: the window old browsers sniffed),
   and no ``%PDF-`` header hiding in the first 64 KB (a PDF whose header is too late is damaged or
   disguised; it must not slip through as "text").

**CSV or text** (the decision the issue asked for): a name ending in ``.csv`` makes valid text a
CSV file, and ``.txt`` makes it plain text, because the uploader said so and both are served
equally safely. With any other name (or none), text is CSV when its first 64 KB parse as at least
two rows with the same number (at least two) of comma- or semicolon-separated fields; otherwise it
is plain text. Formula injection (cells starting ``=``) is not checked: evidence is kept byte for
byte as uploaded, and the download is an attachment, never rendered by us.

The answer is a :class:`~certify.core.filetypes.kinds.FileKind` whose ``mime`` is what the
download should be served as (text kinds say ``charset=utf-8``, which was checked) and whose
``extension`` the download name is forced to by
:func:`~certify.core.filetypes.names.safe_download_name`.

:func:`~certify.core.filetypes.sniffing.sniff` takes the whole content as ``bytes`` or as a
seekable binary file the caller opened; the evidence store passes its temporary file so a 20 MB
upload is never held in memory. It needs the whole content: the end markers, the ZIP central
directory and the UTF-8 check all look past the first chunk.

Modules: :mod:`~certify.core.filetypes.kinds` (the kinds, limits and refusals),
:mod:`~certify.core.filetypes.sniffing` (the order above), :mod:`~certify.core.filetypes.ooxml`
(ZIP containers), :mod:`~certify.core.filetypes.text` (text and CSV) and
:mod:`~certify.core.filetypes.names` (download names). Callers import from the module that
holds a name; nothing is re-exported here.
"""
