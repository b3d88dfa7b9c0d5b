"""The lookups behind a certificate's public answer (the API, the registry page, "certified
since", verification) go through an index on both databases.

A missing index does not fail a functional test on a small database: the registry benchmark
found one (``certificate.superseded_by_id``, walked for "certified since"), when the API
answered about 190 requests a second on 100,000 certificates instead of about 2,000. PostgreSQL
is asked with sequential scans switched off, so it names an index whenever one can serve.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

LOOKUPS = {
    "certificate by serial": "SELECT id FROM certificate WHERE serial = 'ISR-0000-0000-0000-0'",
    "the certificate a renewal superseded (certified since)": (
        "SELECT id FROM certificate WHERE superseded_by_id = 1"
    ),
    "a certificate's status history": (
        "SELECT changed_at FROM certificate_status_change WHERE certificate_id = 1"
    ),
    "a certificate's stored PDF": (
        "SELECT pdf_sha256 FROM certificate_document WHERE certificate_id = 1"
    ),
    "a certificate's registry entry": (
        "SELECT serial FROM registry_entry WHERE certificate_id = 1"
    ),
}


def _plan(session: Session, sql: str) -> str:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL enable_seqscan = off"))
        rows = session.execute(text(f"EXPLAIN {sql}")).scalars()
    else:
        rows = (row[-1] for row in session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    return "\n".join(rows)


def _uses_index(plan: str) -> bool:
    """PostgreSQL names an index scan; SQLite SEARCHes a table by a key or an index, and a
    SCAN reads all of it."""
    if "Seq Scan" in plan or re.search(r"^SCAN ", plan, re.MULTILINE):
        return False
    return "Index" in plan or "SEARCH " in plan


@pytest.mark.parametrize("name", LOOKUPS)
def test_a_public_lookup_uses_an_index(session: Session, name: str) -> None:
    plan = _plan(session, LOOKUPS[name])
    assert _uses_index(plan), f"{name} reads the whole table:\n{plan}"


def test_the_check_sees_a_table_scan(session: Session) -> None:
    """The check itself can fail: a lookup on a column without an index is a scan."""
    plan = _plan(session, "SELECT id FROM certificate WHERE holder_country = 'KE'")
    assert not _uses_index(plan), plan
