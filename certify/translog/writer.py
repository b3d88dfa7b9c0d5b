"""The statements of an append, run on the DBAPI cursor of the session's own connection (so
inside the caller's transaction and savepoint), written once per parameter style."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from certify.core.tlog import merkle
from certify.translog.errors import LogError

# An append is six statements that never change shape. They run on the DBAPI cursor of the
# session's own connection (so inside the caller's transaction and savepoint), with the SQL
# written once per parameter style: SQLAlchemy's per-statement execution machinery cost as
# much as all the rest of an append (about 0.8 of 1.7 ms on SQLite), see bench_translog.
_APPEND_SQL = {
    "touch_audit_head": "UPDATE audit_head SET length = length WHERE id = 1",
    # The first lock or append fixes the origin; last_time only grows (RFC 3339 UTC text in
    # one format compares as time), so the returned last_time is the entry's time.
    "touch_log_head": (
        "UPDATE log_head SET size = size, origin = COALESCE(origin, :origin) "
        "WHERE id = 1 RETURNING size, origin, last_time"
    ),
    "bump_log_head": (
        "UPDATE log_head SET size = size + 1, origin = COALESCE(origin, :origin), "
        "last_time = CASE WHEN last_time IS NULL OR last_time < :time THEN :time "
        "ELSE last_time END WHERE id = 1 RETURNING size, origin, last_time"
    ),
    "insert_node": "INSERT INTO log_node (level, idx, hash) VALUES (:level, :idx, :hash)",
    "insert_entry": (
        "INSERT INTO log_entry (idx, event, serial, entry, leaf_hash) "
        "VALUES (:idx, :event, :serial, :entry, :leaf_hash)"
    ),
    "insert_checkpoint": "INSERT INTO log_checkpoint (size, note) VALUES (:size, :note)",
}


@functools.cache
def _driver_sql(dialect: str) -> dict[str, str]:
    """The append statements for *dialect*: ``:name`` parameters for SQLite's driver,
    ``%(name)s`` for PostgreSQL's (psycopg).

    Raises:
        LogError: another database.
    """
    if dialect == "sqlite":
        return dict(_APPEND_SQL)
    if dialect == "postgresql":
        return {k: re.sub(r":(\w+)", r"%(\1)s", v) for k, v in _APPEND_SQL.items()}
    raise LogError(f"the transparency log runs on SQLite or PostgreSQL, not {dialect}")


@functools.lru_cache(maxsize=256)
def _keyed_nodes_sql(dialect: str, count: int) -> str:
    """The SELECT of *count* nodes by key, ``(level = :l0 AND idx = :i0) OR ...``, in the
    driver's parameter style for *dialect*."""
    condition = " OR ".join(f"(level = :l{n} AND idx = :i{n})" for n in range(count))
    sql = f"SELECT level, idx, hash FROM log_node WHERE {condition}"  # noqa: S608 - names only
    if dialect == "postgresql":
        return re.sub(r":(\w+)", r"%(\1)s", sql)
    return sql


class Writer:
    """A DBAPI cursor on the session's connection, and the SQL for its dialect."""

    def __init__(self, session: Session) -> None:
        connection = session.connection()
        self.dialect = connection.dialect.name
        self.sql = _driver_sql(self.dialect)
        self.cursor = connection.connection.cursor()

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.cursor.close()

    def lock(self, origin: str) -> Head:
        """Touch the audit head, then take the log head (fixing *origin* if the log has
        none yet); return the head: the next index, the origin, the newest entry's time."""
        self.cursor.execute(self.sql["touch_audit_head"])
        self.cursor.execute(self.sql["touch_log_head"], {"origin": origin})
        return self._head()

    def bump(self, origin: str, time: str) -> Head:
        """Touch the audit head, then grow the log head by one, its last time at least
        *time*; return the head (``size`` is the new entry's index plus one)."""
        self.cursor.execute(self.sql["touch_audit_head"])
        self.cursor.execute(self.sql["bump_log_head"], {"origin": origin, "time": time})
        return self._head()

    def _head(self) -> Head:
        row = self.cursor.fetchone()
        if row is None:
            raise LogError("the log_head row is missing: run 'flask --app certify init'")
        return Head(int(row[0]), str(row[1]), None if row[2] is None else str(row[2]))

    def execute(self, name: str, params: Any) -> None:
        self.cursor.execute(self.sql[name], params)

    def fetch_nodes(self, keys: Sequence[merkle.NodeKey]) -> dict[merkle.NodeKey, bytes]:
        """:func:`fetch_nodes` on this cursor, with the keys as parameters.

        The statement's text depends only on how many keys there are (a few dozen shapes),
        so the driver's statement cache keeps it prepared across appends: the text with the
        keys written in was parsed and planned again at every append, which cost three
        times the query (SQLite answers both from the primary key: a MULTI-INDEX OR).
        """
        if not keys:
            return {}
        params = {}
        for n, (level, index) in enumerate(keys):
            params[f"l{n}"] = int(level)
            params[f"i{n}"] = int(index)
        self.cursor.execute(_keyed_nodes_sql(self.dialect, len(keys)), params)
        return {(int(row[0]), int(row[1])): bytes(row[2]) for row in self.cursor.fetchall()}

    def execute_many(self, name: str, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.cursor.executemany(self.sql[name], rows)


@dataclass(frozen=True)
class Head:
    """The log head as an append left it: size, origin, newest entry time (or None)."""

    size: int
    origin: str
    last_time: str | None
