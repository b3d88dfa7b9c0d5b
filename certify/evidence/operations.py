"""Keeping the evidence store tidy: what a crash or a killed upload leaves behind.

Storing a file and recording it are two steps (the store cannot join the database
transaction): a process killed between them leaves a stored blob that no evidence row names,
and one killed mid-upload leaves a temporary file. :func:`sweep_evidence_store` removes both,
once they are older than a grace period (so an upload still running is never touched), and
records what it removed in the audit trail. ``flask --app certify evidence sweep`` runs it;
the daily jobs will too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from certify.applications.models import Evidence
from certify.audit.operations import record_event
from certify.complaints.models import Attachment
from certify.core.actor import Actor
from certify.evidence.store import EvidenceStore

#: Leftovers younger than this may belong to an upload still running.
GRACE = dt.timedelta(hours=24)


@dataclass
class Sweep:
    """What a sweep found (and removed, unless it only listed)."""

    temp_files: int = 0
    orphans: list[str] = field(default_factory=list)


def sweep_evidence_store(
    session: Session,
    store: EvidenceStore,
    actor: Actor,
    *,
    now: dt.datetime,
    apply: bool = True,
    grace: dt.timedelta = GRACE,
) -> Sweep:
    """Remove temporary upload files and blobs no evidence row references, both older than
    *grace*; with *apply* false only list the blobs. Records an ``evidence.swept`` audit event
    when anything was removed. Flushes, never commits.
    """
    cutoff = (now - grace).timestamp()
    referenced = set(session.scalars(select(Evidence.sha256).distinct()))
    # complaints' and appeals' files live in the same store (certify.complaints)
    referenced |= set(session.scalars(select(Attachment.sha256).distinct()))
    sweep = Sweep()
    for digest in store.iter_blobs():
        stored = store.modified_at(digest)
        if digest not in referenced and stored is not None and stored < cutoff:
            sweep.orphans.append(digest)
    if not apply:
        return sweep
    sweep.temp_files = store.remove_stale_temp(grace.total_seconds(), now=now.timestamp())
    for digest in sweep.orphans:
        store.delete(digest)
    if sweep.orphans or sweep.temp_files:
        record_event(
            session,
            actor,
            "evidence.swept",
            "evidence_store",
            "files",
            after={"orphan_blobs": sweep.orphans, "temporary_files": sweep.temp_files},
            now=now,
        )
    return sweep
