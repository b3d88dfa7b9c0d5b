"""Download names: a readable, harmless name with the sniffed kind's extension."""

from __future__ import annotations

import re
import unicodedata

from certify.core.filetypes.kinds import JPEG, KINDS, FileKind

_MAX_STEM = 100
_FALLBACK_STEM = "evidence"
# Characters that are special in file names on some system or in a Content-Disposition header.
_NAME_SPECIALS_RE = re.compile(r'[<>:"/\\|?*;]')
_SPACES_RE = re.compile(r"\s+")
_EXTENSION_RE = re.compile(r"(?=[0-9]*[A-Za-z])[A-Za-z0-9]{1,8}")
_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
)


def safe_download_name(original_name: str | None, kind: FileKind | str) -> str:
    """A readable, harmless name to offer a download under.

    Keeps the base name the uploader gave (NFC-normalised), drops any folder part (``C:\\x\\``,
    ``../``), control and formatting characters (including right-to-left overrides that make
    ``"exe.pdf"`` read backwards), characters special in file names or headers, and leading dots;
    shortens it to about 100 characters; and forces the extension to the sniffed kind's, so
    ``report.exe`` that is really a PDF downloads as ``report.pdf``. Never returns an empty name.

    The result may contain non-ASCII letters: Werkzeug's ``send_file(download_name=...)`` then
    writes an ASCII ``filename=`` fallback and an RFC 5987 ``filename*=UTF-8''...`` parameter.

    Args:
        original_name: the name given at upload (may be ``None`` or anything at all).
        kind: the sniffed :class:`FileKind`, or its stored name (``"pdf"``).

    Raises:
        KeyError: *kind* is a string that names no accepted kind.
    """
    file_kind = KINDS[kind] if isinstance(kind, str) else kind
    name = unicodedata.normalize("NFC", original_name or "")
    name = re.split(r"[/\\]", name)[-1]
    kept = []
    for char in name:
        category = unicodedata.category(char)
        if char in "\t\n\r\f\v" or category in ("Zs", "Zl", "Zp"):
            kept.append(" ")
        elif not category.startswith("C"):
            # Cc controls, Cf formatting (right-to-left overrides, zero-width characters),
            # surrogates, private-use and unassigned code points are dropped.
            kept.append(char)
    # Dropping characters can leave a combining mark next to a new base letter: normalise again.
    name = _NAME_SPECIALS_RE.sub("_", unicodedata.normalize("NFC", "".join(kept)))
    name = _SPACES_RE.sub(" ", name).strip().rstrip(". ")
    stem, dot, extension = name.rpartition(".")
    if not dot or not _EXTENSION_RE.fullmatch(extension):
        stem = name  # "v1.2" or "notes. final": no extension to replace
    # "report.pdf.exe" that is really a PDF becomes "report.pdf", not "report.pdf.pdf".
    for known in (file_kind.extension, "jpeg") if file_kind is JPEG else (file_kind.extension,):
        if stem.lower().endswith("." + known):
            stem = stem[: -len(known) - 1]
    stem = unicodedata.normalize("NFC", stem[:_MAX_STEM]).strip(" .")
    if not stem:
        stem = _FALLBACK_STEM
    if stem.split(".")[0].strip().lower() in _WINDOWS_RESERVED:
        stem = "_" + stem  # CON, NUL, COM1 ... cannot be file names on Windows
    return f"{stem}.{file_kind.extension}"
