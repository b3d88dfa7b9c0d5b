"""Every model module, imported in one place so the metadata (and Alembic) sees all tables.

A feature that adds models adds its module here.
"""

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
from certify.db import Base
from certify.followup.models import CorrectiveActionPlan
from certify.jobs.models import JobMark
from certify.notifications.models import Notification, NotificationPreference
from certify.registry.models import RegistryEntry, RegistryTerm
from certify.standards import models as _standards_models  # noqa: F401
from certify.translog.models import LogCheckpoint, LogEntry, LogHead, LogNode

__all__ = [
    "AccountToken",
    "ApiToken",
    "Application",
    "AssessmentSection",
    "AuditAnswer",
    "AuditEvent",
    "AuditHead",
    "Base",
    "Certificate",
    "CertificateDocument",
    "CertificateStatusChange",
    "ConflictDeclaration",
    "ConflictRegisterEntry",
    "CorrectiveActionPlan",
    "Decision",
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
    "RegistryEntry",
    "RegistryTerm",
    "SelfAssessmentAnswer",
    "SignInThrottle",
    "Site",
    "StatusList",
    "User",
    "UserRole",
    "UserSession",
    "Watch",
    "WebhookDelivery",
    "WebhookEndpoint",
]
