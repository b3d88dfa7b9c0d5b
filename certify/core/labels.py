"""What people read instead of identifiers: outcomes, reason categories, statuses, standards.

Pages, mails and the PDF show these words; the API and the credential keep the identifiers
(they are the public contract). Anything without a label of its own is shown as words
(``surveillance_not_done`` → "Surveillance not done"), never as the raw identifier.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

OUTCOMES: Mapping[str, str] = MappingProxyType(
    {
        "not_certified": "Not certified",
        "certified": "Certified",
        "certified_with_distinction": "Certified with distinction",
    }
)

#: Why a certificate's status changed (the public reason categories of the log and the API).
REASON_CATEGORIES: Mapping[str, str] = MappingProxyType(
    {
        "critical_nonconformity": "Critical non-conformity",
        "major_nonconformity": "Major non-conformity",
        "surveillance_not_done": "Surveillance audit not done",
        "holder_request": "At the holder's request",
        "misuse_of_certificate": "Misuse of the certificate",
        "fraud": "Fraud",
        "administrative": "Administrative",
        "other": "Other",
    }
)

STATUSES: Mapping[str, str] = MappingProxyType(
    {
        "active": "Active",
        "suspended": "Suspended",
        "withdrawn": "Withdrawn",
        "superseded": "Superseded",
        "expired": "Expired",
    }
)

#: What happened, for the histories people read (audit event actions → phrases).
EVENTS: Mapping[str, str] = MappingProxyType(
    {
        "application.started": "Application started",
        "application.scope_saved": "Scope and sites saved",
        "application.self_assessment_saved": "Self-assessment saved",
        "application.evidence_added": "Evidence added",
        "application.evidence_removed": "Evidence removed",
        "application.submit": "Application submitted",
        "application.return_to_applicant": "Returned to the applicant",
        "application.accept": "Application accepted",
        "application.assign": "Auditor and reviewer assigned",
        "application.release": "Released for reassignment after a declared conflict",
        "application.conflict_declared": "Conflict of interest declared",
        "application.start_audit": "Audit started",
        "application.submit_audit": "Audit submitted for review",
        "application.return_to_auditor": "Returned to the auditor",
        "application.resume_audit": "Audit resumed",
        "application.decide": "Decision made",
        "application.withdraw": "Application withdrawn",
        "assessment.section_saved": "Assessment section saved",
        "assessment.nonconformity_raised": "Non-conformity raised",
        "assessment.nonconformity_closed": "Non-conformity closed",
        "nonconformity.raised": "Non-conformity raised",
        "nonconformity.plan_submitted": "Corrective-action plan submitted",
        "nonconformity.plan_reviewed": "Corrective-action plan reviewed",
        "nonconformity.evidence_submitted": "Evidence of closure submitted",
        "nonconformity.closure_reviewed": "Closure reviewed",
        "nonconformity.deadline_extended": "Deadline extended",
        "nonconformity.auditor_named": "Follow-up auditor named",
        "nonconformity.reminder_sent": "Deadline reminder sent",
        "nonconformity.overdue": "Non-conformity overdue",
        "nonconformity.suspension_proposed": "Suspension proposed",
        "nonconformity.escalated": "Certificate suspended for a non-conformity",
        "nonconformity.reinstatement_ready": "Ready to reinstate",
        "certificate.issued": "Certificate issued",
        "certificate.suspended": "Certificate suspended",
        "certificate.reinstated": "Certificate reinstated",
        "certificate.withdrawn": "Certificate withdrawn",
        "certificate.superseded": "Certificate replaced by a renewal",
        "user.client_registered": "Client account registered",
        "watch.added": "Watch added",
        "watch.removed": "Watch removed",
        "webhook.added": "Webhook added",
        "webhook.removed": "Webhook removed",
        "webhook.secret_rotated": "Webhook secret rotated",
        "api_token.created": "API token created",
        "api_token.revoked": "API token revoked",
    }
)


def words(identifier: str | None) -> str:
    """An identifier as a phrase: ``"major_nonconformity"`` → ``"Major nonconformity"``."""
    if not identifier:
        return ""
    text = identifier.replace("_", " ").replace(".", " ").strip()
    return text[:1].upper() + text[1:]


def label(table: Mapping[str, str], identifier: str | None) -> str:
    """The label of *identifier* in *table*, or the identifier as words."""
    if identifier is None:
        return ""
    return table.get(identifier) or words(identifier)


def outcome(identifier: str | None) -> str:
    return label(OUTCOMES, identifier)


def reason_category(identifier: str | None) -> str:
    return label(REASON_CATEGORIES, identifier)


def status(identifier: str | None) -> str:
    return label(STATUSES, identifier)


def event(action: str | None) -> str:
    return label(EVENTS, action)


def standard(key: str | None) -> str:
    """A rubric key as people write it: ``"isrps@1.0"`` → ``"ISRPS 1.0"``."""
    if not key:
        return ""
    name, _, version = key.partition("@")
    return f"{name.upper()} {version}".strip()
