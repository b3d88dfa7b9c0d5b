"""Raising a concern and following it: what anyone can do without an account.

:func:`raise_complaint` stores the concern and returns its tracking code, shown once to the
complainant and never stored (only its hash). :func:`find_by_code` opens it again; with it the
complainant adds information and files (:func:`add_information`). Nothing here writes the
complaint's text or the complainant's contact into the audit trail or the transparency log:
audit events name the complaint by its public id and its category only.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from certify import clock
from certify.accounts.models import Organisation
from certify.audit.operations import record_event
from certify.certificates.models import Certificate
from certify.complaints import notices
from certify.complaints.attachments import Upload, attach, stored_files
from certify.complaints.models import Complaint, ComplaintEntry
from certify.core.actor import Actor
from certify.core.complaints import (
    CATEGORIES,
    ComplaintAction,
    ComplaintState,
    Party,
    TransitionRefused,
    acknowledge_by,
    code_digest,
    next_complaint_state,
    normalise_code,
    tracking_code,
)
from certify.operations import OperationError

#: The public form's actor: a complainant has no account, and audit events hold no address.
PUBLIC = Actor.system("public")
MAX_TEXT = 8000
MAX_NAME = 200
MAX_CONTACT = 254


@dataclass(frozen=True)
class ConcernData:
    organisation_id: str
    category: str
    description: str
    name: str = ""
    contact: str = ""
    consent_to_share: bool = False
    serial: str | None = None


def _text(value: str | None, what: str, field: str, limit: int = MAX_TEXT) -> str:
    text = (value or "").strip()
    if not text:
        raise OperationError(f"Write {what}.", field=field)
    if len(text) > limit:
        raise OperationError(
            f"Keep {what} under {limit} characters (it has {len(text)}).", field=field
        )
    return text


def _contact(value: str) -> str | None:
    """An e-mail address, checked, or None; anything else is refused with a message."""
    text = value.strip()
    if not text:
        return None
    if len(text) > MAX_CONTACT:
        raise OperationError("That e-mail address is too long.", field="contact")
    try:
        validate_email(text, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise OperationError(f"That e-mail address is not valid: {exc}", field="contact") from exc
    return text


def concern_subjects(session: Session) -> list[Organisation]:
    """The ISSPs a concern may be about: every organisation that holds or held a certificate."""
    ids = select(Certificate.organisation_id).distinct()
    return list(
        session.scalars(
            select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.legal_name)
        )
    )


def certificate_by_serial(session: Session, serial: str | None) -> Certificate | None:
    if not serial:
        return None
    return session.scalar(select(Certificate).where(Certificate.serial == serial[:40]))


def _unique_code(session: Session) -> str:
    while True:
        code = tracking_code(secrets.token_bytes(10))
        taken = select(Complaint.id).where(Complaint.code_sha256 == code_digest(code))
        if session.scalar(taken) is None:
            return code


def raise_complaint(
    session: Session, data: ConcernData, store: Any, uploads: Sequence[Upload]
) -> tuple[Complaint, str]:
    """Record a concern (and its files) and tell the admins; returns it and its tracking code.

    Raises:
        OperationError: an unknown ISSP or category, missing or oversized text, a bad
            contact address, or a file the evidence store refuses. Nothing is kept then.
    """
    subject = next(
        (o for o in concern_subjects(session) if o.public_id == data.organisation_id), None
    )
    if subject is None:
        raise OperationError("Choose the organisation the concern is about.", field="organisation")
    if data.category not in CATEGORIES:
        raise OperationError("Choose what the concern is about.", field="category")
    description = _text(data.description, "what happened", "description")
    name = (data.name or "").strip()
    if len(name) > MAX_NAME:
        raise OperationError(f"Keep the name under {MAX_NAME} characters.", field="name")
    contact = _contact(data.contact or "")
    certificate = certificate_by_serial(session, data.serial)
    if certificate is not None and certificate.organisation_id != subject.id:
        certificate = None
    now = clock.now()
    code = _unique_code(session)
    days = int(current_app.config["COMPLAINT_ACKNOWLEDGE_DAYS"])
    complaint = Complaint(
        code_sha256=code_digest(code),
        organisation_id=subject.id,
        certificate_id=certificate.id if certificate else None,
        category=data.category,
        description=description,
        complainant_name=name or None,
        complainant_contact=contact,
        consent_to_share=bool(data.consent_to_share and (name or contact)),
        state=ComplaintState.RECEIVED.value,
        received_at=now,
        acknowledge_by=acknowledge_by(now, days),
    )
    session.add(complaint)
    session.flush()
    with stored_files(session, store) as created:
        files = attach(session, store, uploads, created, complaint=complaint)
        record_event(
            session, PUBLIC, "complaint.received", "complaint", complaint.public_id,
            after={
                "organisation": subject.public_id,
                "category": data.category,
                "anonymous": contact is None and not name,
                "files": len(files),
            },
        )  # fmt: skip
    notices.tell_admins_received(session, complaint)
    notices.tell_complainant(session, complaint, "complaint.received_ack")
    return complaint, code


def find_by_code(session: Session, code: str) -> Complaint | None:
    """The complaint whose tracking code is *code* (any spelling), or None."""
    canonical = normalise_code(code or "")
    if canonical is None:
        return None
    return session.scalar(select(Complaint).where(Complaint.code_sha256 == code_digest(canonical)))


def lock_complaint(session: Session, complaint: Complaint) -> Complaint:
    """Lock the complaint's row and re-read it: a double click cannot act twice."""
    session.execute(select(Complaint.id).where(Complaint.id == complaint.id).with_for_update())
    session.expire_all()
    return complaint


def step(complaint: Complaint, action: ComplaintAction, party: Party) -> ComplaintState:
    """The state after *action*, checked against the table.

    Raises:
        OperationError: the table refuses it.
    """
    try:
        return next_complaint_state(ComplaintState(complaint.state), action, party)
    except TransitionRefused as exc:
        raise OperationError(str(exc), code="invalid_transition") from exc


def add_information(
    session: Session, complaint: Complaint, text: str, store: Any, uploads: Sequence[Upload]
) -> ComplaintEntry:
    """The complainant (holding the code) adds information and files; the handler is told.

    Raises:
        OperationError: the complaint is decided, no text, or a refused file.
    """
    lock_complaint(session, complaint)
    step(complaint, ComplaintAction.ADD_INFORMATION, Party.COMPLAINANT)
    body = _text(text, "the information you want to add", "text")
    entry = ComplaintEntry(complaint_id=complaint.id, kind="information", text=body)
    entry.created_at = clock.now()
    session.add(entry)
    session.flush()
    with stored_files(session, store) as created:
        files = attach(session, store, uploads, created, complaint=complaint)
        record_event(
            session, PUBLIC, "complaint.information_added", "complaint", complaint.public_id,
            after={"entry": entry.public_id, "files": len(files)},
        )  # fmt: skip
    notices.tell_handler(session, complaint, "complaint.information_added")
    return entry


def normalise(code: str) -> str:
    """*code* in its canonical form, or "" when it cannot be a tracking code."""
    return normalise_code(code) or ""
