"""Pinning rubric versions: the lock of published versions and their hashes.

The lock file (``rubrics/rubrics.lock.json``, committed; :mod:`certify.standards.files` reads
and writes it) maps ``<id>@<version>`` to ``{"file", "sha256"}``, the SHA-256 over the RFC 8785
canonical JSON of the file's plain data. A published version never changes:
:func:`check_published` finds one that did, :func:`published_entry` records a new one.
Formatting and comments are not content: re-indenting a file keeps its hash.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from certify.core.canonical import sha256_hex
from certify.core.rubric.model import Problem, Rubric, RubricError
from certify.core.rubric.parsing import parse_rubric_yaml
from certify.core.rubric.plain import canonical_rubric_json

__all__ = ["LockEntry", "check_published", "format_lock", "parse_lock", "published_entry"]


@dataclass(frozen=True)
class LockEntry:
    """A published version: its file (relative to the rubrics folder) and recorded hash."""

    key: str
    file: str
    sha256: str


def parse_lock(data: bytes, source: str) -> dict[str, LockEntry]:
    """The entries, by ``id@version``, of the lock file *data* (UTF-8 JSON) named *source*.

    Raises:
        RubricError: *data* is not valid JSON of the expected shape.
    """
    try:
        raw = json.loads(data.decode("utf-8"))
        return {key: LockEntry(key, str(v["file"]), str(v["sha256"])) for key, v in raw.items()}
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise RubricError(
            [Problem(source, "lock", "lock_file", f"not a valid lock file: {exc}")]
        ) from exc


def format_lock(entries: Mapping[str, LockEntry]) -> str:
    """The lock file's text for *entries*: JSON sorted by ``id@version``, indented by two."""
    body = {
        k: {"file": e.file, "sha256": e.sha256}
        for k, e in sorted(entries.items(), key=lambda kv: kv[0])
    }
    return json.dumps(body, indent=2) + "\n"


def check_published(entry: LockEntry, text: str, *, source: str) -> list[Problem]:
    """Compare the published version *entry* with its file's *text* today (*source* names the
    file in parse errors).

    Returns the file's syntax problems, or one ``published_changed`` problem when its content
    hash differs from the recorded one (a published version must never change: the message
    says to publish a new version instead), or nothing when it is intact.
    """
    shown = f"rubrics/{entry.file}"
    try:
        data = parse_rubric_yaml(text, source=source)
        actual = canonical_rubric_json(data, source)
    except RubricError as exc:
        return exc.problems
    digest = sha256_hex(actual)
    if digest == entry.sha256:
        return []
    return [
        Problem(
            shown,
            entry.key,
            "published_changed",
            f"{shown} was published as {entry.key} with sha256 {entry.sha256}, but its "
            f"content now hashes to {digest}. A published version never changes: "
            f"restore the file and publish the change as a new version instead.",
        )
    ]


def published_entry(entries: Mapping[str, LockEntry], rubric: Rubric, file: str) -> LockEntry:
    """The lock entry that publishes *rubric* from *file* (relative to the rubrics folder):
    the existing one when the same content is already published (publishing is idempotent).

    Raises:
        RubricError: this version is already published with other content (a published
            version never changes).
    """
    key = rubric.key
    existing = entries.get(key)
    if existing is None:
        return LockEntry(key, file, rubric.sha256)
    if existing.sha256 == rubric.sha256:
        return existing
    raise RubricError(
        [
            Problem(
                f"rubrics/{file}",
                key,
                "published_changed",
                f"{key} is already published with sha256 {existing.sha256}; this content "
                f"hashes to {rubric.sha256}. Publish it as a new version instead.",
            )
        ]
    )
