"""Worker interviews, recorded as batches (never people) by the case's auditor."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from certify import clock
from certify.accounts.models import User
from certify.applications.assignment import has_declared_no_conflict
from certify.applications.models import Application
from certify.applications.operations import lock_application
from certify.audit.operations import record_event
from certify.core.actor import Actor
from certify.core.workflow import AppState
from certify.cycle.models import WorkerInterview
from certify.operations import OperationError

SETTINGS = {"individual": "Individual", "group": "Group"}
PLACES = {"on_site": "On site", "off_site": "Off site"}
INTERPRETERS = {"none": "No interpreter", "spoken": "Spoken-language", "sign": "Sign language"}
MAX_COUNT = 10_000
MAX_TEXT = 4000
#: Something that looks like a personal identifier (an e-mail address, a phone or ID number):
#: the records hold no worker identity, so findings with one are refused, not stored.
IDENTIFIER = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+|\d[\d\s-]{6,}\d")


@dataclass(frozen=True)
class InterviewData:
    site_id: str
    held_on: dt.date
    impact: int
    other: int
    women: int
    men: int
    other_gender: int
    setting: str
    place: str
    language: str
    interpreter: str
    findings: str
    criteria: list[str]
    target_groups: dict[str, int] = field(default_factory=dict)


def interviews_of(session: Session, case: Application) -> list[WorkerInterview]:
    return list(
        session.scalars(
            select(WorkerInterview)
            .where(WorkerInterview.application_id == case.id)
            .order_by(WorkerInterview.held_on, WorkerInterview.id)
        )
    )


def _check(case: Application, data: InterviewData, criteria: set[str]) -> None:
    counts = (data.impact, data.other, data.women, data.men, data.other_gender)
    if any(n < 0 or n > MAX_COUNT for n in counts):
        raise OperationError("Counts run from 0 to 10,000.", field="impact")
    if data.impact + data.other < 1:
        raise OperationError("Record at least one worker interviewed.", field="impact")
    if data.women + data.men + data.other_gender not in (0, data.impact + data.other):
        raise OperationError(
            "The counts by gender must add up to the number interviewed (or be left at 0).",
            field="women",
        )
    if data.site_id not in case.scope_site_ids:
        raise OperationError("Choose a site in scope.", field="site")
    if data.held_on > clock.today():
        raise OperationError("The interviews cannot be in the future.", field="held_on")
    if data.setting not in SETTINGS or data.place not in PLACES:
        raise OperationError("Choose individual or group, on or off site.", field="setting")
    if data.interpreter not in INTERPRETERS:
        raise OperationError("Choose the interpreting used.", field="interpreter")
    if not data.language.strip():
        raise OperationError("Give the language of the interviews.", field="language")
    if not data.findings.strip():
        raise OperationError("Write what the interviews found.", field="findings")
    if IDENTIFIER.search(data.findings):
        raise OperationError(
            "The findings seem to hold a contact or an identity number. Interview records "
            "hold no worker's identity: remove it.",
            field="findings",
        )
    unknown = sorted(set(data.criteria) - criteria)
    if unknown:
        raise OperationError(f"Unknown criteria: {', '.join(unknown)}.", field="criteria")


def record_interview(
    session: Session, case: Application, auditor: User, data: InterviewData, criteria: set[str]
) -> WorkerInterview:
    """Record one batch of worker interviews on *case* (its declared auditor, during the
    audit).

    Raises:
        OperationError: not the auditor, not during the audit, or bad input.
    """
    lock_application(session, case)
    if case.auditor_id != auditor.id or not has_declared_no_conflict(case, auditor):
        raise OperationError("Only the case's auditor records worker interviews.")
    if case.app_state not in (AppState.IN_AUDIT, AppState.RETURNED_TO_AUDITOR):
        raise OperationError("Interviews are recorded while the audit is in progress.")
    _check(case, data, criteria)
    counts = {
        "impact": data.impact,
        "other": data.other,
        "women": data.women,
        "men": data.men,
        "other_gender": data.other_gender,
        "target_groups": {k[:200]: v for k, v in data.target_groups.items() if v > 0},
    }
    row = WorkerInterview(
        application_id=case.id,
        site_id=data.site_id,
        held_on=data.held_on,
        counts=json.dumps(counts, sort_keys=True),
        setting=data.setting,
        place=data.place,
        language=data.language.strip()[:100],
        interpreter=data.interpreter,
        findings=data.findings.strip()[:MAX_TEXT],
        criteria=json.dumps(sorted(set(data.criteria))),
        recorded_by_id=auditor.id,
    )
    session.add(row)
    session.flush()
    record_event(
        session,
        Actor.user(auditor.public_id),
        "application.interviews_recorded",
        "application",
        case.public_id,
        after={"interview": row.public_id, "interviewed": row.interviewed, "site": data.site_id},
    )
    return row
