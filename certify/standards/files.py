"""The rubrics folder on disk: reading rubric files, their JSON Schema and the lock file of
published versions, finding the files, and recording a publication.

The pure core (:mod:`certify.core.rubric`) decides everything from what this module reads;
this module only reads and writes files. Paths are the rubrics folder (``RUBRICS_DIR``, by
default the shipped :data:`DEFAULT_RUBRICS_DIR`) and files under it.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from certify.core.rubric.loading import load_rubric_data
from certify.core.rubric.lock import (
    LockEntry,
    check_published,
    format_lock,
    parse_lock,
    published_entry,
)
from certify.core.rubric.model import Problem, Rubric, RubricError
from certify.core.rubric.parsing import parse_rubric_yaml
from certify.core.rubric.schema import RubricSchema
from certify.core.rubric.versions import version_key

__all__ = [
    "DEFAULT_RUBRICS_DIR",
    "INDICATORS_SUFFIX",
    "LOCK_FILE",
    "SCHEMA_FILE",
    "RubricFile",
    "check_lock",
    "discover",
    "indicators_path",
    "load_rubric",
    "publish",
    "read_lock",
    "read_schema",
    "schema_for",
    "validate_dir",
]

#: Where the shipped schema and rubrics live (the package's ``rubrics/`` folder).
DEFAULT_RUBRICS_DIR = Path(__file__).resolve().parents[1] / "rubrics"
SCHEMA_FILE = "schema.json"
LOCK_FILE = "rubrics.lock.json"
#: A rubric version's public indicators file sits beside it: ``<id>/<version>`` + this.
INDICATORS_SUFFIX = ".indicators.json"


def indicators_path(rubrics_dir: Path | str, standard_id: str, version: str) -> Path:
    """Where the public indicators file of *standard_id* *version* sits (the registry reads
    it there, ``rubrics validate`` checks it there)."""
    return Path(rubrics_dir) / standard_id / f"{version}{INDICATORS_SUFFIX}"


# --------------------------------------------------------------------------- schema


@functools.lru_cache(maxsize=4)
def _schema_at(path: str) -> RubricSchema:
    return RubricSchema.from_document(json.loads(Path(path).read_text(encoding="utf-8")))


def read_schema(path: Path | str | None = None) -> RubricSchema:
    """The rubric schema in the file *path* (default: the shipped ``rubrics/schema.json``),
    read and checked once per path.

    Raises:
        OSError, ValueError: the file cannot be read or is not JSON.
        jsonschema.SchemaError: it is not a valid JSON Schema.
    """
    return _schema_at(str(path or DEFAULT_RUBRICS_DIR / SCHEMA_FILE))


def schema_for(rubrics_dir: Path | str) -> Path:
    """The folder's own ``schema.json``, or the shipped one when the folder has none."""
    own = Path(rubrics_dir) / SCHEMA_FILE
    return own if own.is_file() else DEFAULT_RUBRICS_DIR / SCHEMA_FILE


# --------------------------------------------------------------------------- rubric files


@dataclass(frozen=True)
class RubricFile:
    """A rubric file found by :func:`discover`: ``rubrics_dir / path``."""

    id: str
    version: str
    path: Path

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"


def discover(rubrics_dir: Path | str = DEFAULT_RUBRICS_DIR) -> list[RubricFile]:
    """Every ``<id>/<version>.yaml`` under *rubrics_dir*, sorted by id then version.

    Only the path is read (files are not parsed); names that are not a version are skipped.
    """
    root = Path(rubrics_dir)
    found = []
    for p in root.glob("*/*.yaml"):
        try:
            version_key(p.stem)
        except ValueError:
            continue
        found.append(RubricFile(p.parent.name, p.stem, p))
    return sorted(found, key=lambda f: (f.id, version_key(f.version)))


def load_rubric(path: Path | str, *, schema_path: Path | str | None = None) -> Rubric:
    """Load ``<dir>/<id>/<version>.yaml``; the id and version inside must match the path.
    *schema_path* defaults to the shipped ``rubrics/schema.json``.

    Raises:
        RubricError: unreadable file, syntax errors, duplicate keys or any rule broken.
    """
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RubricError([Problem(source, "file", "unreadable", str(exc))]) from exc
    data = parse_rubric_yaml(text, source=source)
    return load_rubric_data(
        data, schema=read_schema(schema_path), source=source, expect=(path.parent.name, path.stem)
    )


def validate_dir(
    rubrics_dir: Path | str = DEFAULT_RUBRICS_DIR, *, schema_path: Path | str | None = None
) -> tuple[list[Rubric], list[Problem]]:
    """Load every discovered rubric file and check the lock: ``(loaded, problems)``.

    This is what ``flask rubrics validate`` needs: every file's problems plus the lock's.
    *schema_path* defaults to the folder's ``schema.json``.
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


# --------------------------------------------------------------------------- the lock file


def read_lock(rubrics_dir: Path | str = DEFAULT_RUBRICS_DIR) -> dict[str, LockEntry]:
    """The lock file's entries by ``id@version`` (empty when there is no lock file yet).

    Raises:
        RubricError: the lock file is not valid JSON of the expected shape.
    """
    path = Path(rubrics_dir) / LOCK_FILE
    if not path.exists():
        return {}
    return parse_lock(path.read_bytes(), str(path))


def _write_lock(rubrics_dir: Path, entries: dict[str, LockEntry]) -> None:
    path = rubrics_dir / LOCK_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(format_lock(entries), encoding="utf-8")
    tmp.replace(path)


def check_lock(rubrics_dir: Path | str = DEFAULT_RUBRICS_DIR) -> list[Problem]:
    """Compare every published version in the lock file with its file today.

    Returns one problem per published version that is missing, unreadable or whose content
    hash differs from the recorded one (see
    :func:`~certify.core.rubric.lock.check_published`). An empty list means every published
    file is intact. Unpublished files are not problems here (they are drafts).
    """
    root = Path(rubrics_dir)
    try:
        entries = read_lock(root)
    except RubricError as exc:
        return exc.problems
    problems = []
    for key, entry in entries.items():
        path = root / entry.file
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            problems.append(
                Problem(
                    f"rubrics/{entry.file}",
                    key,
                    "published_missing",
                    f"published version {key}: {exc}",
                )
            )
            continue
        problems.extend(check_published(entry, text, source=str(path)))
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
    entry = published_entry(entries, rubric, rel)
    if entries.get(entry.key) != entry:
        entries[entry.key] = entry
        _write_lock(root, entries)
    return entry
