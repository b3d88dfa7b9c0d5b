"""Parsing JSON that comes from outside: one strict reader for every such input.

Python's ``json`` keeps the *last* of two equal keys in an object, while a person reading the
text (or another program) may take the first: a credential could show a fake
``credentialSubject`` to its reader and the genuine one to the verifier. So JSON from outside
(the verify API's body, an uploaded or embedded credential, ``certify-verify``'s key export and
the registry's answers) is read by :func:`parse_json`, which refuses duplicate keys, refuses
the non-JSON constants ``NaN`` and ``Infinity``, and turns absurd nesting into an ordinary
error. A leading UTF-8 byte order mark is skipped: RFC 8259 lets a parser ignore it, and
editors on some systems write one.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["DuplicateKeyError", "JsonInputError", "parse_json"]

_BOM = "\ufeff"


class JsonInputError(ValueError):
    """The input is not strict JSON: not UTF-8, not JSON, a repeated key or too deep."""


class DuplicateKeyError(JsonInputError):
    """An object in the input names the same key twice (:attr:`key`)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"the key {key!r} appears twice in one object")
        self.key = key


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise DuplicateKeyError(key)
        document[key] = value
    return document


def _constant(name: str) -> Any:
    raise JsonInputError(f"{name} is not a JSON value")


def parse_json(data: bytes | str) -> Any:
    """Parse *data* (UTF-8 bytes or text, one leading byte order mark allowed) as strict JSON.

    Raises:
        DuplicateKeyError: an object names a key twice.
        JsonInputError: not UTF-8, not JSON, ``NaN`` or ``Infinity``, or nesting too deep
            for the parser.
    """
    if isinstance(data, bytes | bytearray | memoryview):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonInputError("not UTF-8 text") from exc
    else:
        text = data
    text = text.removeprefix(_BOM)
    try:
        return json.loads(text, object_pairs_hook=_object, parse_constant=_constant)
    except JsonInputError:
        raise
    except RecursionError as exc:
        raise JsonInputError("nested too deeply") from exc
    except ValueError as exc:
        raise JsonInputError(f"not JSON: {exc}") from exc
