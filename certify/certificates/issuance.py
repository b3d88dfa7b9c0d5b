"""The issuance pipeline (being built): called by the reviewer's decision to certify."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from certify.core.actor import Actor
from certify.core.rubric import Rubric
from certify.core.scoring import ScoreResult


def issue_certificate(
    session: Session,
    application: Any,
    *,
    score: ScoreResult,
    rubric: Rubric,
    decided_at: dt.datetime,
    actor: Actor,
) -> Any:
    """Issue the certificate for a decided application, all or nothing, inside the caller's
    transaction. Returns the certificate (None until the pipeline lands)."""
    return None
