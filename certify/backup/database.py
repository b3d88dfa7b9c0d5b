"""The database part of a backup: a consistent dump, and restoring it into an empty database.

- PostgreSQL: ``pg_dump --format=custom`` run on a snapshot exported by a REPEATABLE READ
  transaction (``pg_export_snapshot()``), the same snapshot in which the stored files the
  database names are listed: the dump and the storage manifest describe one moment.
  ``pg_restore --no-owner --no-privileges`` restores it.
- SQLite: the online backup API (``sqlite3.Connection.backup``), inside one read transaction
  that also lists the stored files; a restore copies it into place with the same API.

The password of a PostgreSQL URL is passed to the tools in ``PGPASSWORD``, never on their
command line (where ``ps`` would show it).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL, make_url

#: Every table column that names a stored file, by area (``SELECT DISTINCT`` each).
REFERENCES = {
    # erased evidence keeps its row, not its bytes (issue 24)
    "evidence": ["SELECT DISTINCT sha256 FROM evidence WHERE erased_at IS NULL"],
    "documents": ["SELECT DISTINCT pdf_sha256 FROM certificate_document"],
}


class DatabaseBackupError(RuntimeError):
    """A dump or restore failed; the message says why (never a password)."""


def dump_file_name(url: str) -> str:
    return (
        "database.pgdump"
        if make_url(url).get_backend_name() == "postgresql"
        else "database.sqlite3"
    )


def _references(execute: Callable[[str], list[Any]]) -> dict[str, set[str]]:
    return {
        area: {row[0] for q in queries for row in execute(q)}
        for area, queries in REFERENCES.items()
    }


# -- PostgreSQL -------------------------------------------------------------------------------


def _libpq(url: URL) -> tuple[str, dict[str, str], str | None]:
    """A libpq URI without the password, the environment with it, and the schema a
    ``-csearch_path=`` option names (tests run in schemas of one database)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    options = str(url.query.get("options") or "")
    schema = (
        options.split("-csearch_path=", 1)[1].split()[0] if "-csearch_path=" in options else None
    )
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env, schema


def _run(command: list[str], env: dict[str, str]) -> None:
    tool = shutil.which(command[0])
    if tool is None:
        raise DatabaseBackupError(f"{command[0]} is not installed (Debian: postgresql-client)")
    # The arguments are certify's own (the URL comes from the settings, not from a request).
    result = subprocess.run(  # noqa: S603
        [tool, *command[1:]], env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise DatabaseBackupError(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")


def _dump_postgres(engine: Engine, target: Path) -> dict[str, set[str]]:
    uri, env, schema = _libpq(engine.url)
    connection = engine.connect().execution_options(isolation_level="REPEATABLE READ")
    with connection as conn, conn.begin():
        # pg_dump reads the snapshot this transaction exported, while it stays open.
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        references = _references(lambda q: list(conn.execute(text(q))))
        command = ["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={target}"]
        if schema:
            command.append(f"--schema={schema}")
        _run([*command, uri], env)
    return references


def _restore_postgres(url: URL, source: Path) -> None:
    uri, env, _schema = _libpq(url)
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            f"--dbname={uri}",
            str(source),
        ],
        env,
    )


# -- SQLite -----------------------------------------------------------------------------------


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise DatabaseBackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _dump_sqlite(engine: Engine, target: Path) -> dict[str, set[str]]:
    source = sqlite3.connect(_sqlite_path(engine.url))
    destination = sqlite3.connect(target)
    try:
        source.execute("BEGIN")  # one read snapshot for the references and the copy
        references = _references(lambda q: source.execute(q).fetchall())
        source.backup(destination)
        source.rollback()
    finally:
        destination.close()
        source.close()
    return references


def _restore_sqlite(url: URL, source: Path) -> None:
    target = _sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    origin = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    destination = sqlite3.connect(target)
    try:
        origin.backup(destination)
    finally:
        destination.close()
        origin.close()


# -- both -------------------------------------------------------------------------------------


def dump_database(engine: Engine, target: Path) -> dict[str, set[str]]:
    """Write a consistent dump of *engine*'s database to *target*; return the digests of the
    stored files it names, by area, read in the same snapshot.

    Raises:
        DatabaseBackupError: the tool failed or is missing.
    """
    if engine.url.get_backend_name() == "postgresql":
        return _dump_postgres(engine, target)
    return _dump_sqlite(engine, target)


def database_is_empty(engine: Engine) -> bool:
    """True when the database has no tables (a restore never writes over a registry)."""
    from sqlalchemy import inspect

    return not inspect(engine).get_table_names()


def restore_database(url: str, source: Path) -> None:
    """Restore the dump *source* into the (empty) database *url*.

    Raises:
        DatabaseBackupError: the tool failed or is missing.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        _restore_postgres(parsed, source)
    else:
        _restore_sqlite(parsed, source)
