"""The three-year cycle through the operations, the scheduler and the pages: a surveillance
case opening by itself, planned, audited on its subset and decided; an overdue surveillance
proposed (or made) a suspension; a recertification superseding with "certified since" kept;
sites added and closed; the second initial application refused; who may see what."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from certify.applications.models import Application, AuditAnswer
from certify.certificates.models import Certificate
from certify.cycle import schedule
from certify.cycle.models import AuditPlan, WorkerInterview
from certify.notifications.models import Notification
from tests.web import cycle_fixtures, followup_fixtures
from tests.web.cycle_fixtures import assess_and_decide as _assess_and_decide
from tests.web.cycle_fixtures import assign as _assign
from tests.web.cycle_fixtures import at as _at
from tests.web.cycle_fixtures import cases_of as _cases
from tests.web.cycle_fixtures import due_dates as _due
from tests.web.cycle_fixtures import events as _events
from tests.web.cycle_fixtures import open_on as _open_on
from tests.web.followup_fixtures import another, client_for

certified = followup_fixtures.certified
cycle_case = cycle_fixtures.cycle_case


# --------------------------------------------------------------------------- surveillance


def test_a_surveillance_case_opens_by_itself_in_its_window_once(app, session, clock, cycle_case):
    certificate = cycle_case["certificate"]
    first_due = _due(certificate)[0]
    assert "0 case(s)" in _open_on(app, clock, first_due - dt.timedelta(days=91))
    assert _cases(session, certificate) == []
    assert "1 case(s)" in _open_on(app, clock, first_due - dt.timedelta(days=90))
    assert "0 case(s)" in _open_on(app, clock, first_due - dt.timedelta(days=89))  # not twice
    (case,) = _cases(session, certificate)
    assert (case.audit_type, case.state, case.due_on) == ("surveillance", "accepted", first_due)
    assert case.standard_sha256 == certificate.standard_sha256
    # the last audit's answers are the starting point, without its findings
    carried = session.scalars(select(AuditAnswer).where(AuditAnswer.application_id == case.id))
    carried = list(carried)
    assert len(carried) == len(cycle_case["rubric"].criteria)
    assert all(a.notes is None and a.private_notes is None for a in carried)
    told = session.scalars(
        select(Notification.user_id).where(Notification.kind == "cycle.case_opened")
    ).all()
    assert {cycle_case["issp"].id, cycle_case["admin"].id} <= set(told)
    (event,) = _events(session, "application.cycle_case_opened")
    assert event.actor == "system:scheduler"


def test_a_surveillance_is_planned_audited_on_its_subset_and_decided_without_a_new_certificate(
    app, session, clock, cycle_case
) -> None:
    certificate = cycle_case["certificate"]
    first_due, second_due = _due(certificate)[:2]
    _open_on(app, clock, first_due - dt.timedelta(days=60))
    (case,) = _cases(session, certificate)
    _assign(app, session, case, cycle_case)
    auditor = client_for(app, cycle_case["auditor"])
    page = auditor.get(f"/applications/{case.public_id}/plan").get_data(as_text=True)
    assert "This surveillance assesses 7 criteria" in page  # the gates of ISRPS 1.0
    site = case.scope_site_ids[0]
    start = clock.now().date() + dt.timedelta(days=14)
    good = {
        "starts_on": start.isoformat(),
        "ends_on": (start + dt.timedelta(days=1)).isoformat(),
        "auditor_days": "2",
        "mode": "hybrid",
        "announced": "y",
        "team": "lead: Wanjiru Auditor\nsign_interpreter: Grace Muthoni",
        "sites": [site],
        "added_criteria": "fw-7, IH-4",
    }
    ugly = [
        ({"ends_on": (start - dt.timedelta(days=1)).isoformat()}, "cannot end before it starts"),
        ({"team": "auditor: Someone"}, "Name the lead auditor"),
        ({"team": "lead: Wanjiru\nchef: Bob"}, "role and a name"),
        ({"added_criteria": "XX-1"}, "Unknown criteria: XX-1"),
        ({"auditor_days": "0"}, "Number must be between"),
        ({"mode": "by pigeon"}, "Not a valid choice"),
        ({"sites": ["not-a-site"]}, "is not a valid choice"),
        ({"starts_on": "31/02/2027"}, "Not a valid date"),
    ]
    for change, message in ugly:
        bad = auditor.post(f"/applications/{case.public_id}/plan", data={**good, **change})
        assert bad.status_code == 400, change
        assert message in bad.get_data(as_text=True), change
    assert session.scalar(select(func.count()).select_from(AuditPlan)) == 0
    saved = auditor.post(f"/applications/{case.public_id}/plan", data=good)
    assert saved.status_code == 302
    plan = session.scalar(select(AuditPlan).where(AuditPlan.application_id == case.id))
    assert plan.mode == "hybrid" and plan.extra_criteria == ["FW-7", "IH-4"]
    # the holder sees the plan and what the visit covers
    holder_view = client_for(app, cycle_case["issp"]).get(f"/applications/{case.public_id}/plan")
    text = holder_view.get_data(as_text=True)
    assert holder_view.status_code == 200 and "Sign-language interpreter: Grace Muthoni" in text
    assert "9 criteria" in text and "FW-7" in text
    assessment_page = auditor.get(f"/applications/{case.public_id}/assessment")
    assert "This surveillance visit" in assessment_page.get_data(as_text=True)
    # audited: only the subset is saved; the rest stands as carried over
    subset = {"IH-1", "IH-6", "TC-3", "FW-1", "FW-4", "FW-5", "GT-3", "FW-7", "IH-4"}
    _assess_and_decide(app, session, case, cycle_case, only=subset)
    session.expire_all()
    findings = session.scalars(
        select(AuditAnswer.criterion_id).where(
            AuditAnswer.application_id == case.id, AuditAnswer.notes.is_not(None)
        )
    ).all()
    assert set(findings) == subset  # what this visit assessed, and only that
    assert session.scalar(select(func.count()).select_from(Certificate)) == 1  # no new one
    (done,) = _events(session, "certificate.surveillance_done")
    assert done.subject_id == certificate.serial
    registry = client_for(app, cycle_case["issp"]).get(f"/registry/{certificate.serial}")
    page = registry.get_data(as_text=True)
    assert "Surveillance done" in page and "none yet" not in page
    assert f"(due {first_due:%-d %b %Y})" in page or first_due.isoformat() in page
    with app.app_context():
        row = schedule.cycle_row(session, session.get(Certificate, certificate.id))
    assert row.next_due == second_due and row.open_case is None


def test_an_overdue_surveillance_is_proposed_for_suspension_once(app, session, clock, cycle_case):
    certificate = cycle_case["certificate"]
    first_due = _due(certificate)[0]
    clock.set(_at(first_due + dt.timedelta(days=30)))  # the last day of grace
    with app.app_context():
        assert schedule.act_on_overdue_surveillance(clock.now()).startswith("0")
    clock.set(_at(first_due + dt.timedelta(days=31)))
    with app.app_context():
        assert schedule.act_on_overdue_surveillance(clock.now()).startswith("1")
        assert schedule.act_on_overdue_surveillance(clock.now()).startswith("0")
    (proposal,) = _events(session, "certificate.suspension_proposed")
    assert proposal.subject_id == certificate.serial
    assert proposal.reason_category is None and "surveillance_not_done" in (proposal.reason or "")
    session.expire_all()
    assert session.get(Certificate, certificate.id).status == "active"  # the admin decides
    calendar = client_for(app, cycle_case["admin"]).get("/admin/cycle").get_data(as_text=True)
    assert "Overdue surveillance" in calendar and certificate.serial in calendar
    told = session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.kind == "cycle.surveillance_overdue")
    )
    assert told >= 1


@pytest.mark.parametrize("app_config", [{"SURVEILLANCE_OVERDUE_ACTION": "suspend"}])
def test_with_the_suspend_setting_an_overdue_surveillance_suspends(app, session, clock, cycle_case):
    certificate = cycle_case["certificate"]
    clock.set(_at(_due(certificate)[0] + dt.timedelta(days=45)))
    with app.app_context():
        schedule.act_on_overdue_surveillance(clock.now())
    session.expire_all()
    suspended = session.get(Certificate, certificate.id)
    assert suspended.status == "suspended"
    assert suspended.changes[-1].reason_category == "surveillance_not_done"
    assert suspended.changes[-1].actor == "system:scheduler"


def test_a_bad_cycle_setting_stops_the_app(migrated_engine, database_url, tmp_path) -> None:
    from certify import create_app
    from certify.config import ConfigurationError
    from tests.web.conftest import make_test_config

    for bad in ({"SURVEILLANCE_OVERDUE_ACTION": "ignore"}, {"SURVEILLANCE_WINDOW_DAYS": -1}):
        with pytest.raises(ConfigurationError):
            create_app(make_test_config(database_url, str(tmp_path / "i"), **bad))


# --------------------------------------------------------------------------- recertification


def test_a_recertification_supersedes_with_certified_since_kept(app, session, clock, cycle_case):
    old = cycle_case["certificate"]
    expiry = old.valid_until.date()
    _open_on(app, clock, expiry - dt.timedelta(days=200))
    assert _cases(session, old)[-1].audit_type == "surveillance"  # the last year's visit
    with app.app_context():
        case = _cases(session, old)[-1]
        from certify.applications.operations import withdraw_application

        withdraw_application(session, case, cycle_case["admin"], "Covered by the renewal.")
        session.commit()
    _open_on(app, clock, expiry - dt.timedelta(days=180))
    renewal = _cases(session, old)[-1]
    assert renewal.audit_type == "recertification" and renewal.state == "accepted"
    no_carry = session.scalar(
        select(func.count())
        .select_from(AuditAnswer)
        .where(AuditAnswer.application_id == renewal.id)
    )
    assert no_carry == 0  # a recertification assesses everything afresh
    _assign(app, session, renewal, cycle_case)
    _assess_and_decide(app, session, renewal, cycle_case)
    session.expire_all()
    old = session.get(Certificate, old.id)
    new = session.scalar(select(Certificate).where(Certificate.application_id == renewal.id))
    assert old.status == "superseded" and old.superseded_by_id == new.id
    anyone = app.test_client()
    page = anyone.get(f"/registry/{new.serial}").get_data(as_text=True)
    assert "Certified since" in page and f"{old.valid_from:%-d %b %Y}" in page
    verify_old = anyone.get(f"/verify/{old.serial}").get_data(as_text=True)
    assert f'href="/verify/{new.serial}"' in verify_old and "Superseded by" in verify_old
    with app.app_context():
        from certify.translog.audit import verify_log
        from certify.translog.store import current_verifier_key

        report = verify_log(session, current_verifier_key(), "registry.test/log")
    assert report.ok, report.problem


# --------------------------------------------------------------------------- the ISSP


def test_a_certified_organisation_cannot_start_a_second_initial_application(
    app, session, cycle_case
) -> None:
    holder = client_for(app, cycle_case["issp"])
    before = session.scalar(select(func.count()).select_from(Application))
    answer = holder.post("/applications/new", follow_redirects=True)
    text = answer.get_data(as_text=True)
    assert cycle_case["certificate"].serial in text and "Our certification cycle" in text
    assert session.scalar(select(func.count()).select_from(Application)) == before
    cycle = holder.get("/cycle").get_data(as_text=True)
    assert "Next surveillance visit" in cycle and cycle_case["certificate"].serial in cycle


def test_adding_a_site_opens_a_scope_extension_and_closing_one_keeps_history(
    app, session, cycle_case
) -> None:
    holder = client_for(app, cycle_case["issp"])
    for data, message in [
        ({"name": "", "address": "Somewhere", "country": "KE"}, "Name the site"),
        ({"name": "Annex", "address": "Road 1", "country": "XX"}, "Not a valid choice"),
        ({"name": "Annex\u202e", "address": "Road 1", "country": "KE"}, ""),
    ]:
        bad = holder.post("/organisation/sites", data=data)
        assert bad.status_code == 400 and message in bad.get_data(as_text=True)
    added = holder.post(
        "/organisation/sites",
        data={"name": "Mombasa Annex", "address": "Moi Avenue 3", "country": "KE"},
    )
    assert added.status_code == 302
    twice = holder.post(
        "/organisation/sites",
        data={"name": "mombasa annex", "address": "Elsewhere", "country": "KE"},
    )
    assert twice.status_code == 400 and "already has that name" in twice.get_data(as_text=True)
    (case,) = _cases(session, cycle_case["certificate"])
    assert case.audit_type == "scope_extension" and len(case.scope_site_ids) == 2
    organisation = cycle_case["issp"].organisation
    session.refresh(organisation)
    first, annex = sorted(organisation.sites, key=lambda s: s.id)
    closed = holder.post(f"/organisation/sites/{first.public_id}/close", data={"reason": "Moved."})
    assert closed.status_code == 302
    last = holder.post(f"/organisation/sites/{annex.public_id}/close", data={"reason": "Moved."})
    assert last.status_code == 409 and "last open site" in holder.get(
        "/organisation/sites"
    ).get_data(as_text=True)
    assert [e.action for e in _events(session, "organisation.site_closed")] == [
        "organisation.site_closed"
    ]
    stranger = client_for(app, another(app, session, "issp"))
    assert (
        stranger.post(
            f"/organisation/sites/{annex.public_id}/close", data={"reason": "x"}
        ).status_code
        == 404
    )


# --------------------------------------------------------------------------- interviews


def _interview(site: str, **change: Any) -> dict[str, Any]:
    data = {
        "site": site,
        "held_on": dt.date.today().isoformat(),
        "impact": "6",
        "other": "2",
        "women": "5",
        "men": "3",
        "other_gender": "0",
        "target_groups": "People with disabilities: 2\nnonsense line",
        "setting": "group",
        "place": "off_site",
        "language": "Kiswahili",
        "interpreter": "sign",
        "findings": "Workers describe overtime as voluntary and paid.",
        "criteria": "FW-4 ih-6",
    }
    data.update(change)
    return data


def test_worker_interviews_are_batches_without_identities(app, session, clock, cycle_case):
    certificate = cycle_case["certificate"]
    _open_on(app, clock, _due(certificate)[0] - dt.timedelta(days=30))
    (case,) = _cases(session, certificate)
    url = f"/applications/{case.public_id}/interviews"
    # before the assignment (and the declaration) the auditor does not even see the case
    assert client_for(app, cycle_case["auditor"]).post(url, data=_interview("x")).status_code == 404
    _assign(app, session, case, cycle_case)
    auditor = client_for(app, cycle_case["auditor"])
    site = case.scope_site_ids[0]
    today = clock.now().date()
    for change, message in [
        ({"findings": "Asked Jane (jane@example.org) about pay."}, "an identity number"),
        ({"findings": "ID 12345678 said she was not paid."}, "an identity number"),
        ({"women": "1"}, "must add up"),
        ({"impact": "0", "other": "0", "women": "0", "men": "0"}, "at least one worker"),
        ({"impact": "-3"}, "Number must be between"),
        ({"held_on": (today + dt.timedelta(days=2)).isoformat()}, "cannot be in the future"),
        ({"criteria": "ZZ-1"}, "Unknown criteria"),
        ({"setting": "crowd"}, "Not a valid choice"),
    ]:
        bad = auditor.post(url, data=_interview(site, **{"held_on": today.isoformat(), **change}))
        assert bad.status_code == 400, change
        assert message in bad.get_data(as_text=True), change
    ok = auditor.post(url, data=_interview(site, held_on=today.isoformat()))
    assert ok.status_code == 302
    (row,) = session.scalars(select(WorkerInterview)).all()
    assert row.interviewed == 8 and row.criterion_ids == ["FW-4", "IH-6"]
    assert row.count_data["target_groups"] == {"People with disabilities": 2}
    columns = {c.name for c in WorkerInterview.__table__.columns}
    assert not {"name", "worker_name", "worker_id", "employee_id", "email", "phone"} & columns
    page = auditor.get(url).get_data(as_text=True)
    assert "never hold a worker's name" in page and "Kiswahili" in page
    # the ISSP never reads the interview records; nor does another auditor
    assert client_for(app, cycle_case["issp"]).get(url).status_code == 403
    assert client_for(app, another(app, session, "auditor")).get(url).status_code == 404


# --------------------------------------------------------------------------- the admin


def test_the_admin_calendar_shows_the_cycle_and_opens_a_case(app, session, clock, cycle_case):
    admin = client_for(app, cycle_case["admin"])
    page = admin.get("/admin/cycle")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and cycle_case["certificate"].serial in text
    assert "Workload: cases in progress" in text and cycle_case["auditor"].full_name in text
    serial = cycle_case["certificate"].serial
    # the form offers each kind of audit it accepts, named
    for value, label in (("surveillance", "Surveillance"), ("special", "Special")):
        assert f'<option value="{value}">{label}</option>' in text
    bad = admin.post("/admin/cycle/open", data={"serial": serial, "audit_type": "initial"})
    assert bad.status_code == 400
    unknown = admin.post("/admin/cycle/open", data={"serial": "ISR-NONE", "audit_type": "special"})
    assert unknown.status_code == 404
    opened = admin.post(
        "/admin/cycle/open",
        data={"serial": serial, "audit_type": "special", "reason": "A complaint"},
    )
    assert opened.status_code == 302 and "/assign" in opened.headers["Location"]
    again = admin.post("/admin/cycle/open", data={"serial": serial, "audit_type": "special"})
    assert again.status_code == 409
    (case,) = _cases(session, cycle_case["certificate"])
    assert case.audit_type == "special"


def test_the_issp_objects_to_the_team_and_the_admin_decides(app, session, clock, cycle_case):
    certificate = cycle_case["certificate"]
    _open_on(app, clock, _due(certificate)[0] - dt.timedelta(days=30))
    (case,) = _cases(session, certificate)
    _assign(app, session, case, cycle_case)
    url = f"/applications/{case.public_id}/plan"
    holder = client_for(app, cycle_case["issp"])
    assert holder.post(url + "/objection", data={"objection": "x"}).status_code == 409  # no plan
    start = clock.now().date() + dt.timedelta(days=10)
    client_for(app, cycle_case["auditor"]).post(
        url,
        data={
            "starts_on": start.isoformat(),
            "ends_on": start.isoformat(),
            "auditor_days": "1",
            "mode": "on_site",
            "team": "lead: Wanjiru Auditor\nobserver: Tom",
            "sites": case.scope_site_ids,
        },
    )
    assert holder.post(url, data={}).status_code == 403  # the holder does not plan
    assert holder.post(url + "/objection", data={"objection": "  "}).status_code == 400
    sent = holder.post(url + "/objection", data={"objection": "Tom worked for our competitor."})
    assert sent.status_code == 302
    assert holder.post(url + "/objection/answer", data={}).status_code == 403
    admin = client_for(app, cycle_case["admin"])
    answered = admin.post(
        url + "/objection/answer", data={"outcome": "upheld", "answer": "Tom is replaced."}
    )
    assert answered.status_code == 302
    plan = session.scalar(select(AuditPlan).where(AuditPlan.application_id == case.id))
    session.refresh(plan)
    assert plan.objection_outcome == "upheld"
    assert [e.action for e in _events(session, "application.plan_objection_upheld")]


def test_the_demo_shows_a_renewal_and_a_surveillance_in_progress(app, session) -> None:
    from certify.demo import load_demo

    with app.app_context():
        load_demo(echo=lambda _m: None, session=session)
    kampala = session.scalars(
        select(Certificate)
        .where(Certificate.holder_name == "Kampala Impact Works")
        .order_by(Certificate.id)
    ).all()
    old, new = kampala
    assert old.status == "superseded" and old.superseded_by_id == new.id
    (surveillance,) = [c for c in _cases(session, new) if c.audit_type == "surveillance"]
    assert surveillance.state == "in_audit"
    plan = session.scalar(select(AuditPlan).where(AuditPlan.application_id == surveillance.id))
    assert len(plan.sites_visited) == 2 and len(surveillance.scope_site_ids) == 3  # sqrt(3)
    (added,) = [s for s in new.organisation.sites if s.added_at is not None]
    assert added.high_risk and added.public_id in plan.sites_visited  # always visited
    page = app.test_client().get(f"/registry/{new.serial}").get_data(as_text=True)
    assert "Certified since" in page


def test_the_demo_clock_moves_every_new_process_and_never_on_https(
    migrated_engine, database_url, tmp_path
) -> None:
    from certify import create_app
    from certify.clock import OffsetClock
    from certify.state import app_state
    from tests.web.conftest import make_test_config

    instance = str(tmp_path / "instance")
    first = create_app(make_test_config(database_url, instance))
    runner = first.test_cli_runner()
    for bad in ("400", "-3d", "forever", "400y"):
        assert runner.invoke(args=["clock", "advance", bad]).exit_code == 2, bad
    assert runner.invoke(args=["clock", "advance", "400d"]).exit_code == 0
    assert runner.invoke(args=["clock", "advance", "2w"]).exit_code == 0
    later = create_app(make_test_config(database_url, instance))
    moved = app_state(later).clock
    assert isinstance(moved, OffsetClock)
    assert abs((moved.now() - dt.datetime.now(dt.UTC)) - dt.timedelta(days=414)) < dt.timedelta(
        minutes=1
    )
    https = create_app(make_test_config(database_url, instance, PUBLIC_URL="https://r.example"))
    assert not isinstance(app_state(https).clock, OffsetClock)
    refused = https.test_cli_runner().invoke(args=["clock", "advance", "1d"])
    assert refused.exit_code == 1 and "demo registry" in refused.output
    assert runner.invoke(args=["clock", "reset"]).exit_code == 0
    again = create_app(make_test_config(database_url, instance))
    assert not isinstance(app_state(again).clock, OffsetClock)


def test_a_member_corrects_a_site_and_the_history_keeps_the_old_details(
    app, session, cycle_case
) -> None:
    holder = client_for(app, cycle_case["issp"])
    (site,) = cycle_case["issp"].organisation.sites
    url = f"/organisation/sites/{site.public_id}"
    assert site.name in holder.get(url).get_data(as_text=True)
    bad = holder.post(url, data={"name": "x" * 201, "address": "Road 2", "country": "KE"})
    assert bad.status_code == 400
    old_name = site.name
    ok = holder.post(url, data={"name": "Kibera Centre", "address": "Road 2", "country": "KE"})
    assert ok.status_code == 302
    (event,) = _events(session, "organisation.site_edited")
    assert old_name in str(event.before) and "Kibera Centre" in str(event.after)
    stranger = client_for(app, another(app, session, "issp"))
    assert stranger.get(url).status_code == 404
    assert app.test_client().get(url).status_code in (302, 401)
