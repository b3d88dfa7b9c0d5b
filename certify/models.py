"""Every model module, imported in one place so the metadata (and Alembic) sees all tables.

A feature that adds models adds its module here.
"""

from certify.accounts.factor_models import Passkey, RecoveryCode, TotpCredential
from certify.accounts.models import (
    AccountToken,
    Invitation,
    Organisation,
    SignInThrottle,
    Site,
    User,
    UserRole,
    UserSession,
)
from certify.applications.models import (
    Application,
    AssessmentSection,
    AuditAnswer,
    ConflictDeclaration,
    ConflictRegisterEntry,
    Decision,
    Evidence,
    NonConformity,
    SelfAssessmentAnswer,
)
from certify.audit.models import AuditEvent, AuditHead
from certify.certificates.models import Certificate, CertificateStatusChange, StatusList
from certify.certificates.pdf import CertificateDocument
from certify.clients.models import ApiToken, Watch, WebhookDelivery, WebhookEndpoint
from certify.complaints.models import Appeal, Attachment, Complaint, ComplaintEntry
from certify.cycle.models import AuditPlan, WorkerInterview
from certify.db import Base
from certify.evidence.models import ErasureRequest
from certify.followup.models import CorrectiveActionPlan
from certify.jobs.models import JobMark
from certify.notifications.models import Notification, NotificationPreference
from certify.registry.models import RegistryEntry, RegistryTerm
from certify.standards import models as _standards_models  # noqa: F401
from certify.translog.models import LogCheckpoint, LogEntry, LogHead, LogNode

__all__ = [
    "AccountToken",
    "ApiToken",
    "Appeal",
    "Application",
    "AssessmentSection",
    "Attachment",
    "AuditAnswer",
    "AuditEvent",
    "AuditHead",
    "AuditPlan",
    "Base",
    "Certificate",
    "CertificateDocument",
    "CertificateStatusChange",
    "Complaint",
    "ComplaintEntry",
    "ConflictDeclaration",
    "ConflictRegisterEntry",
    "CorrectiveActionPlan",
    "Decision",
    "ErasureRequest",
    "Evidence",
    "Invitation",
    "JobMark",
    "LogCheckpoint",
    "LogEntry",
    "LogHead",
    "LogNode",
    "NonConformity",
    "Notification",
    "NotificationPreference",
    "Organisation",
    "Passkey",
    "RecoveryCode",
    "RegistryEntry",
    "RegistryTerm",
    "SelfAssessmentAnswer",
    "SignInThrottle",
    "Site",
    "StatusList",
    "TotpCredential",
    "User",
    "UserRole",
    "UserSession",
    "Watch",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WorkerInterview",
]
