"""What the transparency log records, and its steps in the certificate lifecycle.

The order in which these run, among the other features' steps, is in :mod:`certify.lifecycle`.
Status changes are logged with their reason category, never the free-text reason. Key changes
(new credential keys, new document-signing certificates) are made on disk, outside any
database session, and logged by :func:`log_key_changes`, a reconciliation run by ``flask init``,
by ``keys rotate`` and before every credential is signed, so no certificate is ever signed by a
key the log has not announced.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from certify.core.canonical import sha256_hex
from certify.core.tlog.checkpoint import log_origin
from certify.core.tlog.entry import LogEvent
from certify.translog.errors import LogError
from certify.translog.models import LogEntry
from certify.translog.store import (
    EARLIER_ISSUANCE,
    STATUS_EVENTS,
    Appended,
    LogSigner,
    append_entry,
    current_signer,
    entry_time,
    lock_head,
)

if TYPE_CHECKING:
    from certify.certificates.issuance import IssuanceContext
    from certify.certificates.keys import KeyStore
    from certify.certificates.operations import StatusChange
    from certify.core.actor import Actor

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- what gets logged


def log_status_change(
    session: Session,
    serial: str,
    new_status: str,
    *,
    category: str | None,
    credential_hash: str | None,
    now: dt.datetime,
) -> Appended:
    """Log a certificate's change to *new_status* (suspended, active = reinstated,
    withdrawn, superseded). The free-text reason is never logged, only its category.

    Raises:
        LogError: *new_status* is not a status change the log records.
    """
    try:
        event = STATUS_EVENTS[new_status]
    except KeyError:
        raise LogError(f"no log event for a change to {new_status!r}") from None
    return append_entry(
        session,
        event,
        now,
        serial=serial,
        credential_hash=credential_hash,
        reason_category=category,
    )


def log_key_changes(
    session: Session, keys: Any, now: dt.datetime, *, signer: LogSigner | None = None
) -> list[Appended]:
    """Append an entry for every credential key and document-signing certificate in *keys*
    (a ``KeyStore``) that the log has not announced yet, oldest first. Idempotent.

    Takes the log lock first, so two processes cannot both log the same key.
    """
    lock_head(session, signer.origin if signer else None)
    logged = set(
        session.execute(
            select(LogEntry.event, LogEntry.entry).where(
                LogEntry.event.in_(
                    [LogEvent.CREDENTIAL_KEY_ADDED.value, LogEvent.SIGNING_CERT_ADDED.value]
                )
            )
        ).all()
    )
    announced = {(event, json.loads(entry)["key_id"]) for event, entry in logged}
    wanted = [(LogEvent.CREDENTIAL_KEY_ADDED, k.id) for k in keys.credential_keys]
    wanted += [(LogEvent.SIGNING_CERT_ADDED, c.fingerprint) for c in keys.signing_certs]
    appended = []
    for event, kid in wanted:
        if (event.value, kid) not in announced:
            appended.append(append_entry(session, event, now, key_id=kid, signer=signer))
    return appended


# --------------------------------------------------------------------------- lifecycle steps


def reserve_issuance_entry(ctx: IssuanceContext) -> None:
    """Issuance step before the credential is signed: log any key the log has not announced
    yet (so no credential is signed by an unannounced key), take the append lock (held until
    the transaction ends, so nothing else can append) and reserve the next index for the
    issuance entry; the credential carries it as ``transparencyLog``."""
    head = lock_head(ctx.session, log_origin(ctx.public_url))
    assert ctx.issued_at is not None
    if head.last_time is not None and head.last_time > entry_time(ctx.issued_at):
        # The entry's time is the credential's validFrom and log times never run backwards.
        raise LogError(EARLIER_ISSUANCE)
    signer = LogSigner(head.origin, ctx.keys.log_private_key)  # the log's own, stored origin
    ctx.log_signer = signer
    appended = log_key_changes(ctx.session, ctx.keys, ctx.now, signer=signer)
    for entry in appended:
        log.info("logged key change at entry #%d", entry.index)
    ctx.log_index = head.size + len(appended)
    ctx.log_origin = signer.origin


def append_issuance_entry(ctx: IssuanceContext) -> None:
    """Issuance step right after the credential: append the issuance entry at the reserved
    index and keep its C2SP tlog proof (``ctx.log_proof``) for the PDF."""
    assert ctx.credential_bytes is not None and ctx.issued_at is not None
    appended = append_entry(
        ctx.session,
        LogEvent.ISSUED,
        ctx.issued_at,
        serial=ctx.serial,
        credential_hash=sha256_hex(ctx.credential_bytes),
        key_id=ctx.keys.current_credential_key.id,
        expected_index=ctx.log_index,
        signer=ctx.log_signer,
    )
    ctx.log_entry = appended
    ctx.log_proof = appended.tlog_proof()


def append_status_entry(change: StatusChange) -> None:
    """Status-change step: the public entry, with the reason category only."""
    log_status_change(
        change.session,
        change.certificate.serial,
        change.new_status.value,
        category=change.category,
        credential_hash=change.certificate.credential_sha256,
        now=change.now,
    )


def announce_rotated_keys(
    session: Session, _rotated: dict[str, Any], keys: KeyStore, _actor: Actor, now: dt.datetime
) -> None:
    """Key-rotation step: announce the new keys in the log at once."""
    for appended in log_key_changes(session, keys, now, signer=current_signer(session)):
        log.info("logged key change at entry #%d", appended.index)
