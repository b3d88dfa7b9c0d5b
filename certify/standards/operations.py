"""Published rubric versions in the database, and reading them back.

The lock file (``rubrics/rubrics.lock.json``) says which versions are published; the database
keeps the canonical JSON of each, as published, so a registry can always show (and score
against) exactly the version an application was pinned to. Operations flush and never commit.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from certify import clock
from certify.audit.operations import record_event
from certify.core.actor import Actor
from certify.core.canonical import sha256_hex
from certify.core.rubric.loading import load_rubric_text
from certify.core.rubric.lock import LockEntry
from certify.core.rubric.model import Problem, Rubric, RubricError
from certify.core.rubric.parsing import parse_rubric_yaml
from certify.core.rubric.plain import canonical_rubric_json
from certify.core.rubric.versions import newest_in_effect, version_key
from certify.db import db_session
from certify.standards.files import check_lock, load_rubric, read_lock, read_schema, schema_for
from certify.standards.models import RubricVersion

__all__ = [
    "RubricNotFound",
    "ensure_rubrics_stored",
    "get_rubric",
    "newest_rubric_in_effect",
    "publish_rubric_version",
    "published_file_bytes",
    "published_rubrics",
]

log = logging.getLogger(__name__)

#: Published content never changes, so a rubric rebuilt from stored bytes can be kept for the
#: life of the process, keyed by its hash (a new version has a new hash).
_BY_SHA256: dict[str, Rubric] = {}
#: Rubrics read from files, keyed by path and the file's stat (an edited file is re-read).
_BY_FILE: dict[tuple[str, int, int], Rubric] = {}
#: SHA-256 of a file's raw bytes -> the content hash of what they say (YAML parsing is slow).
_CONTENT_HASH: dict[str, str] = {}
_cache_lock = threading.Lock()


class RubricNotFound(LookupError):
    """No published version with this id and version."""


# --------------------------------------------------------------------------- storing


def _stored(session: Session, standard_id: str, version: str) -> RubricVersion | None:
    return session.scalar(
        select(RubricVersion).where(
            RubricVersion.standard_id == standard_id, RubricVersion.version == version
        )
    )


def publish_rubric_version(
    session: Session, rubric: Rubric, actor: Actor, *, now: dt.datetime | None = None
) -> RubricVersion:
    """Store *rubric*'s canonical JSON as a published version (idempotent) and flush.

    Storing the same content again returns the stored row and records nothing. A new row is
    recorded in the audit trail as ``rubric.published``.

    Raises:
        RubricError: this id and version are already stored with other content (rule
            ``stored_changed``: a published version never changes; publish a new version).
    """
    row = _stored(session, rubric.id, rubric.version)
    if row is not None:
        if row.sha256 == rubric.sha256:
            return row
        raise RubricError(
            [
                Problem(
                    rubric.source or rubric.key,
                    rubric.key,
                    "stored_changed",
                    f"{rubric.key} is already published in this registry with sha256 "
                    f"{row.sha256}; this content hashes to {rubric.sha256}. A published "
                    "version never changes: publish the change as a new version instead.",
                )
            ]
        )
    # Hash the bytes we store, not values read back later (DESIGN: hashes over records).
    if sha256_hex(rubric.canonical) != rubric.sha256:
        raise RubricError(
            [Problem(rubric.key, rubric.key, "canonical_json", "canonical bytes do not hash")]
        )
    row = RubricVersion(
        standard_id=rubric.id,
        version=rubric.version,
        title=rubric.title,
        sha256=rubric.sha256,
        canonical=rubric.canonical,
        effective_date=rubric.effective_date,
        published_at=now or clock.now(),
    )
    session.add(row)
    session.flush()
    record_event(
        session,
        actor,
        "rubric.published",
        "rubric_version",
        rubric.key,
        after={
            "standard_id": rubric.id,
            "version": rubric.version,
            "sha256": rubric.sha256,
            "effective_date": rubric.effective_date.isoformat(),
        },
        now=row.published_at,
    )
    return row


def ensure_rubrics_stored(
    session: Session, actor: Actor, rubrics_dir: Path | str | None = None
) -> list[RubricVersion]:
    """Store every version the lock file publishes that the database does not hold yet.

    Returns the rows stored now (empty when all were there already). Flushes, never commits.

    Raises:
        RubricError: a published file changed or is missing, or the database holds one of the
            versions with other content. Nothing is stored then.
    """
    root = Path(rubrics_dir or current_app.config["RUBRICS_DIR"])
    problems = check_lock(root)
    if problems:
        raise RubricError(problems)
    stored: list[RubricVersion] = []
    entries = sorted(read_lock(root).values(), key=_entry_order)
    for entry in entries:
        row = _stored(session, *entry.key.split("@", 1))
        if row is not None and row.sha256 == entry.sha256:
            continue
        rubric = _published_file(root, entry)
        stored.append(publish_rubric_version(session, rubric, actor))
    return stored


def _entry_order(entry: LockEntry) -> tuple[str, tuple[int, ...]]:
    standard_id, version = entry.key.split("@", 1)
    return standard_id, version_key(version)


# --------------------------------------------------------------------------- reading


def _published_file(root: Path, entry: LockEntry) -> Rubric:
    """The published file of *entry*, loaded and held to its recorded hash."""
    path = root / entry.file
    try:
        stat = path.stat()
    except OSError as exc:
        raise RubricError(
            [Problem(f"rubrics/{entry.file}", entry.key, "published_missing", str(exc))]
        ) from exc
    cache_key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    rubric = _BY_FILE.get(cache_key)
    if rubric is None:
        rubric = load_rubric(path, schema_path=schema_for(root))
        with _cache_lock:
            _BY_FILE[cache_key] = rubric
    if rubric.sha256 != entry.sha256:
        raise RubricError(
            [
                Problem(
                    f"rubrics/{entry.file}",
                    entry.key,
                    "published_changed",
                    f"rubrics/{entry.file} was published as {entry.key} with sha256 "
                    f"{entry.sha256}, but its content now hashes to {rubric.sha256}. A "
                    "published version never changes: restore the file and publish the change "
                    "as a new version instead.",
                )
            ]
        )
    return rubric


def _from_row(row_id: int, sha256: str, key: str, session: Session) -> Rubric:
    cached = _BY_SHA256.get(sha256)
    if cached is not None:
        return cached
    canonical = session.scalar(select(RubricVersion.canonical).where(RubricVersion.id == row_id))
    data = bytes(canonical or b"")
    if sha256_hex(data) != sha256:
        raise RubricError(
            [
                Problem(
                    f"database:{key}",
                    key,
                    "stored_changed",
                    f"the stored canonical JSON of {key} no longer hashes to {sha256}",
                )
            ]
        )
    rubric = load_rubric_text(data, schema=read_schema(), source=f"database:{key}")
    with _cache_lock:
        _BY_SHA256[sha256] = rubric
    return rubric


def _lock_entries(root: Path) -> dict[str, LockEntry]:
    try:
        return read_lock(root)
    except RubricError:
        log.exception("the rubric lock file in %s cannot be read", root)
        return {}


def get_rubric(
    standard_id: str,
    version: str,
    *,
    session: Session | None = None,
    rubrics_dir: Path | str | None = None,
) -> Rubric:
    """The published version ``standard_id@version``.

    Read from the canonical JSON stored in the database (rebuilt once per process and hash);
    when the database does not hold it yet (before ``flask init`` stored it), from the file the
    lock file names, held to the recorded hash. Drafts (files not in the lock) are not returned.
    Needs an application context unless *session* and *rubrics_dir* are given.

    Raises:
        RubricNotFound: no such published version.
        RubricError: the stored copy or the published file no longer matches its hash.
    """
    session = session if session is not None else db_session()
    key = f"{standard_id}@{version}"
    row = session.execute(
        select(RubricVersion.id, RubricVersion.sha256).where(
            RubricVersion.standard_id == standard_id, RubricVersion.version == version
        )
    ).first()
    if row is not None:
        return _from_row(row.id, row.sha256, key, session)
    root = Path(rubrics_dir or current_app.config["RUBRICS_DIR"])
    entry = _lock_entries(root).get(key)
    if entry is None:
        raise RubricNotFound(key)
    return _published_file(root, entry)


def published_file_bytes(rubric: Rubric, rubrics_dir: Path | str | None = None) -> bytes | None:
    """The exact bytes of *rubric*'s YAML file, or ``None`` when there is no such file or its
    content no longer hashes to ``rubric.sha256`` (never serve bytes that differ from the hash
    people are shown). The file is the one the lock file names, else ``<id>/<version>.yaml``.
    """
    root = Path(rubrics_dir or current_app.config["RUBRICS_DIR"])
    entry = _lock_entries(root).get(rubric.key)
    path = root / (entry.file if entry else f"{rubric.id}/{rubric.version}.yaml")
    try:
        data = path.read_bytes()
    except OSError:
        return None
    raw = sha256_hex(data)
    content = _CONTENT_HASH.get(raw)
    if content is None:
        try:
            parsed = parse_rubric_yaml(data.decode("utf-8"), source=str(path))
            content = sha256_hex(canonical_rubric_json(parsed, str(path)))
        except (UnicodeDecodeError, RubricError):
            return None
        with _cache_lock:
            _CONTENT_HASH[raw] = content
    return data if content == rubric.sha256 else None


def published_rubrics(
    *, session: Session | None = None, rubrics_dir: Path | str | None = None
) -> list[Rubric]:
    """Every published version (stored in the database or recorded in the lock file), sorted
    by standard id then version number.

    Raises:
        RubricError: a stored copy or published file no longer matches its hash.
    """
    session = session if session is not None else db_session()
    root = Path(rubrics_dir or current_app.config["RUBRICS_DIR"])
    found: dict[str, Rubric] = {}
    for row in session.execute(
        select(
            RubricVersion.id, RubricVersion.standard_id, RubricVersion.version, RubricVersion.sha256
        )
    ):
        key = f"{row.standard_id}@{row.version}"
        found[key] = _from_row(row.id, row.sha256, key, session)
    for key, entry in _lock_entries(root).items():
        if key not in found:
            found[key] = _published_file(root, entry)
        elif found[key].sha256 != entry.sha256:
            log.warning(
                "%s: the lock file records sha256 %s but the database holds %s; showing the "
                "stored version",
                key,
                entry.sha256,
                found[key].sha256,
            )
    return sorted(found.values(), key=lambda r: (r.id, version_key(r.version)))


def newest_rubric_in_effect(
    on_date: dt.date,
    standard_id: str | None = None,
    *,
    session: Session | None = None,
    rubrics_dir: Path | str | None = None,
) -> Rubric | None:
    """The published version a new application starting on *on_date* is pinned to: the newest
    one in effect that day, or ``None`` when none is.

    Raises:
        ValueError: several standards are published and *standard_id* is not given.
    """
    rubrics = published_rubrics(session=session, rubrics_dir=rubrics_dir)
    return newest_in_effect(rubrics, on_date, standard_id)
