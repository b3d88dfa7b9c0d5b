"""What people read instead of identifiers: outcomes, reason categories, statuses, standards.

Pages, mails and the PDF show these words; the API and the credential keep the identifiers
(they are the public contract). Anything without a label of its own is shown as words
(``surveillance_not_done`` → "Surveillance not done"), never as the raw identifier.
"""

from __future__ import annotations

import datetime as dt
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
        "evidence.downloaded": "Evidence file downloaded by staff",
        "evidence.erased": "Evidence file erased",
        "evidence.erasure_requested": "Early erasure of an evidence file requested",
        "evidence.erasure_decided": "Erasure request decided",
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
        "application.reopen_on_appeal": "Reopened for a new decision after an upheld appeal",
        "application.reviewer_named": "Reviewer named for the new decision",
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
        "nonconformity.regrade": "Non-conformity regraded on appeal",
        "nonconformity.annul": "Non-conformity annulled on appeal",
        "certificate.issued": "Certificate issued",
        "certificate.suspended": "Certificate suspended",
        "certificate.reinstated": "Certificate reinstated",
        "certificate.withdrawn": "Certificate withdrawn",
        "certificate.superseded": "Certificate replaced by a renewal",
        "certificate.expired": "Certificate expired unrenewed",
        # the cycle
        "application.cycle_case_opened": "Cycle audit opened",
        "application.plan_saved": "Audit plan saved",
        "application.plan_objection": "Objection to the audit team",
        "application.plan_objection_upheld": "Objection upheld",
        "application.plan_objection_rejected": "Objection rejected",
        "application.interviews_recorded": "Worker interviews recorded",
        "certificate.surveillance_done": "Surveillance audit passed",
        "certificate.special_done": "Special audit passed",
        "certificate.suspension_proposed": "Suspension proposed",
        "organisation.site_added": "Site added",
        "organisation.site_edited": "Site changed",
        "organisation.site_closed": "Site closed",
        "complaint.received": "Concern received",
        "complaint.assigned": "Handler assigned",
        "complaint.acknowledged": "Concern acknowledged",
        "complaint.note_added": "Investigation note added",
        "complaint.information_added": "The complainant added information",
        "complaint.decided": "Outcome decided",
        "complaint.reminder_sent": "Acknowledgement reminder sent",
        "complaint.close_reminder_sent": "Reminder of the deadline for closing sent",
        "complaint.erased": "Personal data erased after the retention period",
        "appeal.lodged": "Appeal lodged",
        "appeal.assigned": "Appeal decider assigned",
        "appeal.decided": "Appeal decided",
        "appeal.remedy_required": "Upheld appeal: the admins must act",
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

#: What a case is for (``certify.core.cycle.AuditType``).
AUDIT_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "initial": "Initial audit",
        "surveillance": "Surveillance audit",
        "recertification": "Recertification audit",
        "special": "Special audit",
        "scope_extension": "Scope-extension audit",
    }
)

#: What a concern is about (the public form's choices).
COMPLAINT_CATEGORIES: Mapping[str, str] = MappingProxyType(
    {
        "working_conditions": "Working conditions",
        "recruitment_fees": "Recruitment fees charged to workers",
        "discrimination": "Discrimination",
        "wages": "Wages",
        "misuse_of_certificate": "Misuse of the certificate or logo",
        "fraud": "Fraud",
        "other": "Something else",
    }
)

COMPLAINT_STATES: Mapping[str, str] = MappingProxyType(
    {
        "received": "Received, waiting for a handler",
        "assigned": "With a handler, to be acknowledged",
        "acknowledged": "Acknowledged, being investigated",
        "decided": "Decided",
    }
)

COMPLAINT_OUTCOMES: Mapping[str, str] = MappingProxyType(
    {
        "unfounded": "Unfounded",
        "founded_corrective_action": "Founded: corrective action required",
        "founded_special_audit": "Founded: special audit needed",
        "founded_suspension": "Founded: certificate suspended",
        "founded_withdrawal": "Founded: certificate withdrawn",
        "referred": "Referred elsewhere",
    }
)

APPEAL_SUBJECTS: Mapping[str, str] = MappingProxyType(
    {
        "refusal": "Refusal of certification",
        "suspension": "Suspension of the certificate",
        "withdrawal": "Withdrawal of the certificate",
        "nc_grade": "Grade of a non-conformity",
    }
)

APPEAL_STATES: Mapping[str, str] = MappingProxyType(
    {
        "lodged": "Lodged, waiting for someone to decide it",
        "assigned": "With someone who took no part in the decision",
        "decided": "Decided",
    }
)

APPEAL_OUTCOMES: Mapping[str, str] = MappingProxyType(
    {"upheld": "Upheld: the decision is changed", "dismissed": "Dismissed: the decision stands"}
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


def audit_type(identifier: str | None) -> str:
    return label(AUDIT_TYPES, identifier)


def standard(key: str | None) -> str:
    """A rubric key as people write it: ``"isrps@1.0"`` → ``"ISRPS 1.0"``."""
    if not key:
        return ""
    name, _, version = key.partition("@")
    return f"{name.upper()} {version}".strip()


def elapsed(delta: dt.timedelta) -> str:
    """A duration in the largest whole unit that fits: "3 days", "5 hours", "under an hour"."""
    seconds = max(0, int(delta.total_seconds()))
    days, hours = seconds // 86400, seconds // 3600
    if days >= 1:
        return f"{days} day{'s' if days != 1 else ''}"
    if hours >= 1:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return "under an hour"
