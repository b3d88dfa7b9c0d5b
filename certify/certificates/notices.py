"""What a certificate's holder is told: issuance, status changes, coming expiry.

Two of these are steps of :mod:`certify.lifecycle` (``notify_issued``, ``notify_status_change``),
so the message is written in the same transaction as the change; the reason text goes to the
holder (it is their certificate) but never to the public log or the registry.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from certify import signals
from certify.certificates.issuance import IssuanceContext
from certify.certificates.models import Certificate, CertificateStatus
from certify.certificates.operations import StatusChange
from certify.core import labels
from certify.core.complaints import appeal_deadline
from certify.notifications.audiences import organisation_members
from certify.notifications.operations import absolute, notify, path_for
from certify.standards.operations import get_rubric

#: The status a change leads to → the kind of message its holder gets (none: no message).
STATUS_NOTICES = {
    CertificateStatus.SUSPENDED: "certificate.suspended",
    CertificateStatus.ACTIVE: "certificate.reinstated",
    CertificateStatus.WITHDRAWN: "certificate.withdrawn",
    CertificateStatus.EXPIRED: "certificate.expired",
}


def _holder(certificate: Certificate) -> dict[str, object]:
    return {
        "serial": certificate.serial,
        "organisation": certificate.holder_name,
        "valid_until": f"{certificate.valid_until:%-d %b %Y}",
    }


def notify_issued(ctx: IssuanceContext) -> None:
    """Issuance step: the holder's members learn the certificate exists, with its PDF."""
    certificate = ctx.certificate
    assert certificate is not None
    notify(
        ctx.session,
        "certificate.issued",
        organisation_members(ctx.session, certificate.organisation_id),
        context={
            **_holder(certificate),
            "level": certificate.level.replace("_", " "),
            "pdf_link": absolute(
                path_for("certificates.certificate_pdf", serial=certificate.serial)
            ),
        },
        link=path_for("registry.show", serial=certificate.serial),
    )


def notify_status_change(change: StatusChange) -> None:
    """Status-change step: the holder's members learn what changed, why and what next."""
    kind = STATUS_NOTICES.get(change.new_status)
    if kind is None:  # a supersession: the new certificate's own message says it all
        return
    certificate = change.certificate
    until = change.suspended_until
    notify(
        change.session,
        kind,
        organisation_members(change.session, certificate.organisation_id),
        context={
            **_holder(certificate),
            "category": labels.reason_category(change.category or "other").lower(),
            "reason": change.reason,
            "until": f"{until:%-d %b %Y}" if until else None,
            **_appeal(change),
        },
        link=path_for("registry.show", serial=certificate.serial),
    )


#: The changes a holder may appeal (a suspension, a withdrawal): the message says how, and
#: by when (the standard's appeal window, as the appeal form counts it).
APPEALABLE = (CertificateStatus.SUSPENDED, CertificateStatus.WITHDRAWN)


def _appeal(change: StatusChange) -> dict[str, str | None]:
    if change.new_status not in APPEALABLE:
        return {"appeal_by": None, "appeal_link": None}
    certificate = change.certificate
    rubric = get_rubric(
        certificate.standard_id, certificate.standard_version, session=change.session
    )
    decided = change.record.changed_at if change.record is not None else change.now
    return {
        "appeal_by": f"{appeal_deadline(decided, rubric.appeal_window_days):%-d %b %Y}",
        "appeal_link": absolute(path_for("complaints.new_appeal")),
    }


def notify_expiring(session: Session, certificate: Certificate, days: int) -> None:
    """The holder's members: the certificate expires in *days* days; renew in time."""
    notify(
        session,
        "certificate.expiring",
        organisation_members(session, certificate.organisation_id),
        context={**_holder(certificate), "days": days},
        link=path_for("registry.show", serial=certificate.serial),
    )
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    signals.certificate_expiring.send(app, session=session, certificate=certificate, days=days)
