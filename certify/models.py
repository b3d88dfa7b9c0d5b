"""Every model module, imported in one place so the metadata (and Alembic) sees all tables.

A feature that adds models adds its module here.
"""

from certify.audit.models import AuditEvent, AuditHead
from certify.db import Base

__all__ = ["AuditEvent", "AuditHead", "Base"]
