"""Readiness: can this server do its work right now? (``GET /readyz``)

``/healthz`` answers "the process is up" and nothing else, as a liveness probe should (a
database outage must not make every app server look dead and be restarted). ``/readyz`` is
what a load balancer or an operator asks before sending traffic: each dependency is tried,
with a short bound, and the answer names what failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import text

from certify.db import get_db

log = logging.getLogger(__name__)


def _database() -> None:
    with get_db().engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _keys() -> None:
    from certify.certificates.keys import get_keystore

    get_keystore()


def _storage() -> None:
    from certify.storage.backends import LocalBackend
    from certify.storage.setup import document_store, evidence_store

    # The folder (a write probe) or the bucket (HEAD bucket) of each area.
    evidence_store().backend.check()
    document_store().backend.check()
    # Uploads are checked on local disk first, whatever the backend: that folder too.
    LocalBackend(evidence_store().root).check()


def _jobs() -> None:
    from certify.jobs.engine import check_queue

    check_queue()


#: What must work for this server to be ready, in the order checked.
CHECKS: dict[str, Callable[[], None]] = {
    "database": _database,
    "keys": _keys,
    "storage": _storage,
    "jobs": _jobs,
}


def readiness() -> tuple[bool, dict[str, dict[str, object]]]:
    """``(ready, {name: {"ok": bool, "error": text when not ok}})`` over :data:`CHECKS`.

    An error's text says which dependency failed and how, never a secret (connection URLs
    are not included); the full error goes to the log.
    """
    results: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # any failure means "not ready"; the log has the details
            log.warning("readiness check %s failed", name, exc_info=True)
            results[name] = {"ok": False, "error": type(exc).__name__}
        else:
            results[name] = {"ok": True}
    return all(r["ok"] for r in results.values()), results
