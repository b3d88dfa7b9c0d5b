"""Every kind of message certify sends, in one table: its subject, who may switch it off.

The text of each kind is the template ``mail/<kind>.txt``; the HTML body wraps that text in
``mail/_base.html``. A kind marked optional carries a ``List-Unsubscribe`` header and can be
switched off on the person's notifications page (it still shows in their list).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str
    #: a Jinja template of one line, rendered with the message's context
    subject: str
    #: what the preferences page calls it
    label: str
    optional: bool = False
    #: the body holds a private link (a password reset, an invitation): nobody but its
    #: recipient sees it on a page; the admin's mail list shows that it was sent, not what
    secret: bool = False
    #: the recipient is a complainant (certify.complaints): only the complaint's handler may
    #: know who they are, so staff pages show "a complainant", never the address
    hidden_recipient: bool = False

    def recipient(self, address: str) -> str:
        """How staff pages name the recipient of a message of this kind."""
        return "A complainant (address hidden)" if self.hidden_recipient else address


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        # accounts
        Kind(
            "account.invitation",
            "You are invited to {{ registry_name }}",
            "Invitations",
            secret=True,
        ),
        Kind("account.password_reset", "Reset your password", "Password resets", secret=True),
        Kind(
            "account.setup",
            "Your account on {{ registry_name }}: choose a password",
            "New accounts",
            secret=True,
        ),
        Kind("account.password_changed", "Your password was changed", "Password changes"),
        Kind("account.throttled", "Repeated failed sign-ins to your account", "Sign-in alerts"),
        # the certification workflow
        Kind(
            "application.submitted",
            "New application: {{ organisation }}",
            "Applications submitted (staff)",
            optional=True,
        ),
        Kind("application.returned", "Your application needs changes", "Applications returned"),
        Kind(
            "application.accepted",
            "Your application was accepted",
            "Applications accepted",
            optional=True,
        ),
        Kind(
            "case.assigned",
            "New case: {{ organisation }} ({{ role }})",
            "Cases assigned to you",
        ),
        Kind(
            "case.released",
            "Assign someone else: {{ organisation }} ({{ role }})",
            "Assignees who declared a conflict (staff)",
        ),
        Kind(
            "cycle.case_opened",
            "{{ audit_type|capitalize }} audit opened: {{ organisation }}",
            "Surveillance and recertification",
        ),
        Kind(
            "cycle.surveillance_reminder",
            "Surveillance due on {{ due }}: {{ organisation }} ({{ serial }})",
            "Surveillance reminders",
        ),
        Kind(
            "cycle.surveillance_overdue",
            "Surveillance overdue: {{ organisation }} ({{ serial }})",
            "Overdue surveillance (staff)",
        ),
        Kind("audit.submitted", "Audit ready for your decision: {{ organisation }}", "Audits"),
        Kind(
            "application.decided",
            "Decision on your application: {{ outcome }}",
            "Decisions",
        ),
        Kind(
            "certificate.issued",
            "Your certificate {{ serial }} is issued",
            "Certificates issued",
        ),
        # certificate status
        Kind("certificate.suspended", "Certificate {{ serial }} is suspended", "Suspensions"),
        Kind("certificate.reinstated", "Certificate {{ serial }} is reinstated", "Reinstatements"),
        Kind("certificate.withdrawn", "Certificate {{ serial }} is withdrawn", "Withdrawals"),
        Kind("certificate.expired", "Certificate {{ serial }} has expired", "Expiries"),
        Kind(
            "certificate.expiring",
            "Certificate {{ serial }} expires in {{ days }} days",
            "Expiry reminders",
            optional=True,
        ),
        # clients' watch lists (certify.clients)
        Kind(
            "watch.update",
            "Watched certificate {{ serial }} ({{ organisation }}): {{ what }}",
            "Watched certificates",
            optional=True,
        ),
        # non-conformities after the decision (certify.followup)
        Kind(
            "nonconformity.regraded",
            "Non-conformity on {{ criterion }} regraded {{ grade }} on appeal",
            "Non-conformities regraded on appeal",
        ),
        Kind(
            "nonconformity.raised",
            "New {{ grade }} non-conformity on {{ criterion }}",
            "Non-conformities raised",
        ),
        Kind(
            "nonconformity.plan_submitted",
            "Corrective-action plan to review: {{ organisation }}, {{ criterion }}",
            "Plans to review (auditors)",
        ),
        Kind(
            "nonconformity.plan_reviewed",
            "Your corrective-action plan for {{ criterion }} was {{ outcome }}",
            "Plans reviewed",
        ),
        Kind(
            "nonconformity.evidence_submitted",
            "Evidence of closure to verify: {{ organisation }}, {{ criterion }}",
            "Evidence to verify (auditors)",
        ),
        Kind(
            "nonconformity.closure_reviewed",
            "Non-conformity on {{ criterion }}: {{ outcome }}",
            "Closures verified",
        ),
        Kind(
            "nonconformity.due_soon",
            "Non-conformity on {{ criterion }} is due in {{ days }} days or less",
            "Deadline reminders",
        ),
        Kind(
            "nonconformity.overdue",
            "Non-conformity on {{ criterion }} is overdue: {{ organisation }}",
            "Overdue non-conformities",
        ),
        Kind(
            "nonconformity.suspension_proposed",
            "Suspension proposed: {{ organisation }}, {{ grade }} non-conformity overdue",
            "Suspensions to confirm (admins)",
        ),
        Kind(
            "nonconformity.escalated",
            "Certificate {{ serial }} suspended for a {{ grade }} non-conformity",
            "Escalations",
        ),
        Kind(
            "nonconformity.deadline_extended",
            "Deadline extended: non-conformity on {{ criterion }}",
            "Deadline extensions",
        ),
        Kind(
            "nonconformity.reinstatement_ready",
            "Ready to reinstate: certificate {{ serial }} ({{ organisation }})",
            "Certificates ready to reinstate (admins)",
        ),
        Kind(
            "nonconformity.auditor_named",
            "You follow up the non-conformities of {{ organisation }}",
            "Follow-ups assigned to you",
        ),
        # complaints and appeals (certify.complaints); the complainant's mails are secret:
        # the admin's mail list shows that they were sent, never to whom they say what
        Kind("complaint.received", "New concern about {{ organisation }}", "Concerns received"),
        Kind(
            "complaint.received_ack",
            "We received your concern about {{ organisation }}",
            "Concern receipts (complainants)",
            secret=True,
            hidden_recipient=True,
        ),
        Kind(
            "complaint.assigned",
            "Concern to handle: {{ organisation }} ({{ category }})",
            "Concerns assigned to you",
        ),
        Kind(
            "complaint.information_added",
            "New information on a concern about {{ organisation }}",
            "Information added to concerns",
        ),
        Kind(
            "complaint.updated",
            "Your concern about {{ organisation }}: {{ state }}",
            "Concern updates (complainants)",
            secret=True,
            hidden_recipient=True,
        ),
        Kind(
            "complaint.reminder",
            "Concern not acknowledged yet: {{ organisation }}, due {{ acknowledge_by }}",
            "Acknowledgement reminders",
        ),
        Kind(
            "complaint.close_reminder",
            "Concern to decide by {{ close_by }}: {{ organisation }}",
            "Reminders of the deadline for deciding a concern",
        ),
        Kind(
            "complaint.founded",
            "Founded concern about {{ organisation }}: {{ outcome }}",
            "Founded concerns to act on",
        ),
        Kind("appeal.lodged", "New appeal: {{ organisation }} ({{ subject }})", "Appeals lodged"),
        Kind(
            "appeal.assigned",
            "Appeal to decide: {{ organisation }} ({{ subject }})",
            "Appeals assigned to you",
        ),
        Kind("appeal.decided", "Your appeal ({{ subject }}): {{ outcome }}", "Appeals decided"),
        Kind(
            "appeal.remedy_required",
            "Upheld appeal to act on: {{ organisation }} ({{ subject }})",
            "Upheld appeals the admins act on",
        ),
    )
}

OPTIONAL_KINDS = tuple(kind for kind in KINDS.values() if kind.optional)
