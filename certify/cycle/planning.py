"""The audit plan of a case (dates, mode, team, sites), the ISSP's objection to a team member
and the admin's answer. Operations lock the case, check, change, flush and record an audit
event; none commits."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from certify import clock
from certify.accounts.models import Role, User
from certify.applications.access import is_applicant
from certify.applications.assignment import has_declared_no_conflict
from certify.applications.models import Application
from certify.applications.operations import lock_application
from certify.audit.operations import record_event
from certify.certificates.models import Certificate
from certify.core.actor import Actor
from certify.core.cycle import AuditType, Mode, SiteInfo, propose_sample
from certify.core.workflow import FINAL_STATES
from certify.cycle.models import AuditPlan
from certify.operations import OperationError

TEAM_ROLES = {
    "lead": "Lead auditor",
    "auditor": "Auditor",
    "interpreter": "Interpreter",
    "sign_interpreter": "Sign-language interpreter",
    "observer": "Observer",
}
MAX_TEXT = 4000


def _actor(user: User) -> Actor:
    return Actor.user(user.public_id)


def plan_of(session: Session, case: Application) -> AuditPlan | None:
    return session.scalar(select(AuditPlan).where(AuditPlan.application_id == case.id))


def can_plan(user: User, case: Application) -> bool:
    """The case's auditor (after declaring no conflict: the lead auditor) and admins."""
    return user.has_role(Role.ADMIN) or (
        case.auditor_id == user.id and has_declared_no_conflict(case, user)
    )


def proposed_sample(session: Session, case: Application) -> list[str]:
    """The sites the plan proposes to visit: the square root of the number of sites in
    scope (rounded up), always every high-risk site and every site added since the
    certificate was issued, rotating through the others from one visit to the next."""
    wanted = set(case.scope_site_ids)
    since = None
    if case.certificate_id is not None:
        certificate = session.get(Certificate, case.certificate_id)
        since = certificate.issued_at if certificate is not None else None
    sites = [
        SiteInfo(
            s.public_id,
            s.high_risk or (since is not None and s.added_at is not None and s.added_at > since),
        )
        for s in sorted(case.organisation.sites, key=lambda s: s.id)
        if s.public_id in wanted
    ]
    earlier = session.scalar(
        select(Application.id)
        .where(
            Application.certificate_id == case.certificate_id,
            Application.id < case.id,
            Application.audit_type == AuditType.SURVEILLANCE.value,
        )
        .limit(1)
    )
    return propose_sample(sites, rotation=0 if earlier is None else case.id)


@dataclass(frozen=True)
class PlanData:
    starts_on: dt.date
    ends_on: dt.date
    auditor_days: int
    mode: str
    announced: bool
    team: list[tuple[str, str]]  # (role, name)
    site_ids: list[str]
    sample_reason: str
    added_criteria: list[str]


def _check_plan(session: Session, case: Application, data: PlanData, known: set[str]) -> None:
    if data.ends_on < data.starts_on:
        raise OperationError("The audit cannot end before it starts.", field="ends_on")
    if data.starts_on < clock.today() - dt.timedelta(days=365):
        raise OperationError("The start date is more than a year ago.", field="starts_on")
    if not 1 <= data.auditor_days <= 200:
        raise OperationError("Auditor-days run from 1 to 200.", field="auditor_days")
    if data.mode not in {m.value for m in Mode}:
        raise OperationError("Choose on-site, remote or hybrid.", field="mode")
    if not any(role == "lead" for role, _ in data.team):
        raise OperationError("Name the lead auditor.", field="team")
    if any(role not in TEAM_ROLES or not name.strip() for role, name in data.team):
        raise OperationError(
            "Each team line is a role and a name, e.g. 'lead: Wanjiru Auditor'.", field="team"
        )
    if not data.site_ids or not set(data.site_ids) <= set(case.scope_site_ids):
        raise OperationError("Choose at least one of the sites in scope.", field="sites")
    if set(data.site_ids) != set(proposed_sample(session, case)) and not data.sample_reason:
        raise OperationError(
            "The sites differ from the proposed sample: say why.", field="sample_reason"
        )
    unknown = sorted(set(data.added_criteria) - known)
    if unknown:
        raise OperationError(f"Unknown criteria: {', '.join(unknown)}.", field="added_criteria")


def save_plan(
    session: Session, case: Application, user: User, data: PlanData, criteria: set[str]
) -> AuditPlan:
    """Write the plan of *case* (the lead auditor or an admin) while the case is open.

    Raises:
        OperationError: not allowed, the case is closed, or bad input (nothing is saved).
    """
    lock_application(session, case)
    if not can_plan(user, case):
        raise OperationError("Only the case's auditor or an admin plans the audit.")
    if case.app_state in FINAL_STATES:
        raise OperationError("The case is closed: its plan can no longer change.")
    _check_plan(session, case, data, criteria)
    plan = plan_of(session, case)
    before = _plan_dict(plan) if plan is not None else None
    if plan is None:
        plan = AuditPlan(application_id=case.id, updated_by_id=user.id)
        session.add(plan)
    plan.starts_on, plan.ends_on = data.starts_on, data.ends_on
    plan.auditor_days, plan.mode, plan.announced = data.auditor_days, data.mode, data.announced
    plan.team = json.dumps([{"role": r, "name": n.strip()[:200]} for r, n in data.team])
    plan.site_ids = json.dumps(sorted(data.site_ids))
    plan.sample_reason = data.sample_reason.strip()[:MAX_TEXT] or None
    plan.added_criteria = json.dumps(sorted(set(data.added_criteria)))
    plan.updated_at, plan.updated_by_id = clock.now(), user.id
    session.flush()
    record_event(
        session, _actor(user), "application.plan_saved", "application", case.public_id,
        before=before, after=_plan_dict(plan),
    )  # fmt: skip
    return plan


def _plan_dict(plan: AuditPlan) -> dict[str, object]:
    return {
        "starts_on": plan.starts_on.isoformat(),
        "ends_on": plan.ends_on.isoformat(),
        "auditor_days": plan.auditor_days,
        "mode": plan.mode,
        "announced": plan.announced,
        "team": plan.team_members,
        "sites": plan.sites_visited,
        "sample_reason": plan.sample_reason,
        "added_criteria": plan.extra_criteria,
    }


def object_to_plan(session: Session, case: Application, user: User, objection: str) -> None:
    """The ISSP objects to a member of the audit team, with a reason, before the audit; the
    admin decides.

    Raises:
        OperationError: not the holder, no plan, the audit has started, or no reason.
    """
    lock_application(session, case)
    if not is_applicant(user, case):
        raise OperationError("Only the organisation's members may object to the plan.")
    plan = plan_of(session, case)
    if plan is None:
        raise OperationError("There is no plan to object to yet.")
    if plan.starts_on <= clock.today() or case.app_state in FINAL_STATES:
        raise OperationError("The audit has started: objections are made before it.")
    if plan.objection is not None and plan.objection_outcome is None:
        raise OperationError("Your objection waits for the certification body's answer.")
    text = objection.strip()
    if not text:
        raise OperationError("Say whom you object to and why.", field="objection")
    plan.objection, plan.objection_at, plan.objection_by_id = text[:MAX_TEXT], clock.now(), user.id
    plan.objection_outcome = plan.objection_answer = None
    session.flush()
    record_event(
        session, _actor(user), "application.plan_objection", "application", case.public_id,
        reason=plan.objection,
    )  # fmt: skip


def answer_objection(
    session: Session, case: Application, admin: User, outcome: str, answer: str
) -> None:
    """The admin upholds (and then changes the team or reassigns) or rejects the objection.

    Raises:
        OperationError: not an admin, no objection waiting, bad outcome or no answer.
    """
    lock_application(session, case)
    if not admin.has_role(Role.ADMIN):
        raise OperationError("Only an admin decides on an objection.")
    plan = plan_of(session, case)
    if plan is None or plan.objection is None or plan.objection_outcome is not None:
        raise OperationError("No objection waits for an answer.")
    if outcome not in ("upheld", "rejected"):
        raise OperationError("Uphold or reject the objection.", field="outcome")
    if not answer.strip():
        raise OperationError("Write your answer to the organisation.", field="answer")
    plan.objection_outcome, plan.objection_answer = outcome, answer.strip()[:MAX_TEXT]
    session.flush()
    record_event(
        session, _actor(admin), f"application.plan_objection_{outcome}", "application",
        case.public_id, reason=plan.objection_answer,
    )  # fmt: skip
