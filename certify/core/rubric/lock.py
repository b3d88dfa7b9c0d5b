"""Pinning rubric versions: the lock file of published versions and their hashes.

``rubrics/rubrics.lock.json`` (committed) maps ``<id>@<version>`` to ``{"file", "sha256"}``,
the SHA-256 over the RFC 8785 canonical JSON of the file's plain data. A published version
never changes: :func:`check_lock` finds one that did, :func:`publish` records a new one.
Formatting and comments are not content: re-indenting a file keeps its hash.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from certify.core.canonical import sha256_hex
from certify.core.rubric.files import load_rubric
from certify.core.rubric.model import Problem, Rubric, RubricError
from certify.core.rubric.parsing import parse_rubric_yaml
from certify.core.rubric.plain import canonical_rubric_json
from certify.core.rubric.schema import DEFAULT_RUBRICS_DIR, SCHEMA_FILE
from certify.core.rubric.versions import discover

__all__ = ["LOCK_FILE", "LockEntry", "check_lock", "publish", "read_lock", "validate_dir"]

LOCK_FILE = "rubrics.lock.json"


@dataclass(frozen=True)
class LockEntry:
    """A published version: its file (relative to the rubrics folder) and recorded hash."""

    key: str
    file: str
    sha256: str


def read_lock(rubrics_dir: Path | str = DEFAULT_RUBRICS_DIR) -> dict[str, LockEntry]:
    """The lock file's entries by ``id@version`` (empty when there is no lock file yet).

    Raises:
        RubricError: the lock file is not valid JSON of the expected shape.
    """
    path = Path(rubrics_dir) / LOCK_FILE
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {key: LockEntry(key, str(v["file"]), str(v["sha256"])) for key, v in raw.items()}
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise RubricError(
            [Problem(str(path), "lock", "lock_file", f"not a valid lock file: {exc}")]
        ) from exc


def _write_lock(rubrics_dir: Path, entries: Mapping[str, LockEntry]) -> None:
    body = {
        k: {"file": e.file, "sha256": e.sha256}
        for k, e in sorted(entries.items(), key=lambda kv: kv[0])
    }
    path = rubrics_dir / LOCK_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def check_lock(rubrics_dir: Path | str = DEFAULT_RUBRICS_DIR) -> list[Problem]:
    """Compare every published version in the lock file with its file today.

    Returns one problem per published version that is missing, unreadable or whose content
    hash differs from the recorded one (a published version must never change: the message
    says to publish a new version instead). An empty list means every published file is intact.
    Unpublished files are not problems here (they are drafts).
    """
    root = Path(rubrics_dir)
    try:
        entries = read_lock(root)
    except RubricError as exc:
        return exc.problems
    problems = []
    for key, entry in entries.items():
        path = root / entry.file
        shown = f"rubrics/{entry.file}"
        try:
            data = parse_rubric_yaml(path.read_text(encoding="utf-8"), source=str(path))
            actual = canonical_rubric_json(data, str(path))
        except OSError as exc:
            problems.append(
                Problem(shown, key, "published_missing", f"published version {key}: {exc}")
            )
            continue
        except RubricError as exc:
            problems.extend(exc.problems)
            continue
        digest = sha256_hex(actual)
        if digest != entry.sha256:
            problems.append(
                Problem(
                    shown,
                    key,
                    "published_changed",
                    f"{shown} was published as {key} with sha256 {entry.sha256}, but its "
                    f"content now hashes to {digest}. A published version never changes: "
                    f"restore the file and publish the change as a new version instead.",
                )
            )
    return problems


def publish(
    rubrics_dir: Path | str,
    standard_id: str,
    version: str,
    *,
    schema_path: Path | str | None = None,
) -> LockEntry:
    """Record ``<id>/<version>.yaml`` in the lock file as published (idempotent).

    The file must load without problems. Publishing again with the same content is a no-op.

    Raises:
        RubricError: the file has problems, or the version was already published with other
            content (a published version never changes).
    """
    root = Path(rubrics_dir)
    rel = f"{standard_id}/{version}.yaml"
    rubric = load_rubric(root / rel, schema_path=schema_path)
    entries = read_lock(root)
    key = rubric.key
    existing = entries.get(key)
    if existing is not None:
        if existing.sha256 == rubric.sha256:
            return existing
        raise RubricError(
            [
                Problem(
                    f"rubrics/{rel}",
                    key,
                    "published_changed",
                    f"{key} is already published with sha256 {existing.sha256}; this content "
                    f"hashes to {rubric.sha256}. Publish it as a new version instead.",
                )
            ]
        )
    entry = LockEntry(key, rel, rubric.sha256)
    entries[key] = entry
    _write_lock(root, entries)
    return entry


def validate_dir(
    rubrics_dir: Path | str = DEFAULT_RUBRICS_DIR, *, schema_path: Path | str | None = None
) -> tuple[list[Rubric], list[Problem]]:
    """Load every discovered rubric file and check the lock: ``(loaded, problems)``.

    This is what ``flask rubrics validate`` needs: every file's problems plus the lock's.
    """
    root = Path(rubrics_dir)
    schema = schema_path or root / SCHEMA_FILE
    loaded, problems = [], []
    for f in discover(root):
        try:
            loaded.append(load_rubric(f.path, schema_path=schema))
        except RubricError as exc:
            problems.extend(exc.problems)
    problems.extend(check_lock(root))
    return loaded, problems
