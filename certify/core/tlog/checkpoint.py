"""C2SP tlog checkpoints (https://c2sp.org/tlog-checkpoint) and the log's origin.

A checkpoint is the origin, the decimal tree size and the base64 root hash, one per line,
then optional extension lines; the log signs it as a note (:mod:`certify.core.tlog.note`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from certify.core.tlog.codec import UINT64_MAX, b64, b64decode, is_valid_name, parse_uint
from certify.core.tlog.errors import CheckpointError, NoteError
from certify.core.tlog.merkle import HASH_SIZE
from certify.core.tlog.note import NoteSigner


@dataclass(frozen=True)
class Checkpoint:
    """The body of a C2SP checkpoint."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()


def check_origin(origin: str, error: type[NoteError]) -> None:
    """Raise *error* unless *origin* is a valid note key name (the log's key is named so)."""
    if not isinstance(origin, str) or not is_valid_name(origin):
        raise error("the origin must be non-empty, without spaces, '+' or control characters")


def format_checkpoint(
    origin: str, size: int, root_hash: bytes, extensions: Sequence[str] = ()
) -> str:
    """The checkpoint note text: origin, decimal size, base64 root, extensions, each + "\\n".

    The origin must also be usable as a note key name (the log's key name should match it).

    Raises:
        CheckpointError: bad origin, negative or non-integer size, a root hash that is not
            32 bytes, or an empty / multi-line extension.
    """
    check_origin(origin, CheckpointError)
    return _checkpoint_text(origin, size, root_hash, extensions)


def _checkpoint_text(
    origin: str, size: int, root_hash: bytes, extensions: Sequence[str] = ()
) -> str:
    """:func:`format_checkpoint` for an origin already checked."""
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= UINT64_MAX:
        raise CheckpointError("the tree size must be a non-negative integer")
    if not isinstance(root_hash, bytes) or len(root_hash) != HASH_SIZE:
        raise CheckpointError("the root hash must be 32 bytes")
    for ext in extensions:
        if not isinstance(ext, str) or not ext or any(ord(ch) < 0x20 for ch in ext):
            raise CheckpointError("extension lines must be non-empty single lines")
    return "".join(f"{line}\n" for line in (origin, str(size), b64(root_hash), *extensions))


class CheckpointSigner:
    """Signs one log's checkpoints with its key, named by its origin: the origin is checked
    and the key ID derived once, not at every append.
    ``CheckpointSigner(origin, key).sign(size, root)`` is
    ``sign_note(format_checkpoint(origin, size, root), origin, key)``.

    Raises (on construction):
        CheckpointError: the origin is not a valid origin (nor so a key name).
    """

    __slots__ = ("_note", "origin")

    def __init__(self, origin: str, private_key: Ed25519PrivateKey) -> None:
        check_origin(origin, CheckpointError)
        self.origin = origin
        self._note = NoteSigner(origin, private_key)

    def sign(self, size: int, root_hash: bytes) -> str:
        """The signed checkpoint note of the tree of *size* entries with root *root_hash*.

        Raises:
            CheckpointError: negative or non-integer size, or a root hash not 32 bytes.
        """
        # The text is built from a checked origin, a decimal and base64: no control
        # characters, one final newline; so the note's own text check has nothing to find.
        return self._note.sign_checked(_checkpoint_text(self.origin, size, root_hash))


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse checkpoint note text (the *verified* text of a signed note).

    Raises:
        CheckpointError: fewer than three lines, an empty line, a size that is not canonical
            decimal, or a root hash that is not canonical base64 of 32 bytes.
    """
    if not isinstance(text, str) or not text.endswith("\n"):
        raise CheckpointError("a checkpoint is newline-terminated text")
    lines = text[:-1].split("\n")
    if len(lines) < 3 or any(not line for line in lines):
        raise CheckpointError("a checkpoint has at least three non-empty lines")
    origin, size_text, root_text, *extensions = lines
    if any(ord(ch) < 0x20 for ch in text.replace("\n", "")):
        raise CheckpointError("control characters are not allowed")
    size = parse_uint(size_text, "the tree size", CheckpointError)
    root = b64decode(root_text, "the root hash", CheckpointError)
    if len(root) != HASH_SIZE:
        raise CheckpointError("the root hash must be 32 bytes")
    return Checkpoint(origin, size, root, tuple(extensions))


def log_origin(public_url: str) -> str:
    """The log origin for a registry served at *public_url*: schema-less URL + ``/log``.

    ``https://registry.example.org`` gives ``registry.example.org/log``; a path prefix is
    kept (``https://example.org/certify/`` gives ``example.org/certify/log``). The host is
    lower-cased and internationalised names become punycode, default ports are dropped, so
    equivalent URLs give one origin, which is also a valid note key name.

    Raises:
        NoteError: not an http(s) URL with a host, or it has credentials, a query, a
            fragment, or characters an origin must not contain.
    """
    try:
        parts = urlsplit(public_url.strip())
        port = parts.port
    except (AttributeError, ValueError) as exc:
        raise NoteError("the public URL is not a URL") from exc
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise NoteError("the public URL must be an http(s) URL with a host")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise NoteError("the public URL must not have credentials, a query or a fragment")
    try:
        host = parts.hostname.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise NoteError("the public URL's host name is not valid") from exc
    default = {"http": 80, "https": 443}[parts.scheme.lower()]
    if port is not None and port != default:
        host = f"{host}:{port}"
    path = parts.path.rstrip("/")
    origin = f"{host}{path}/log"
    check_origin(origin, NoteError)
    return origin
