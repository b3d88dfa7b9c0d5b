"""The cycle's continuity: an unrenewed certificate expiring (logged, in the history and the
status lists), a scope extension keeping the expiry it extends, an early recertification
running from the old expiry, "certified since" on the PDF and in the API, and the reminders
before a surveillance is due."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from certify import lifecycle
from certify.certificates.models import Certificate, CertificateStatusChange
from certify.core.actor import Actor
from certify.jobs import duties
from certify.notifications.models import Notification
from certify.translog.models import LogEntry
from tests.web import cycle_fixtures, followup_fixtures
from tests.web.cycle_fixtures import at, events

certified = followup_fixtures.certified
cycle_case = cycle_fixtures.cycle_case


def _log_ok(app, session) -> None:
    from certify.translog.audit import verify_log
    from certify.translog.store import current_verifier_key

    with app.app_context():
        report = verify_log(session, current_verifier_key(), "registry.test/log")
    assert report.ok, report.problem


def _logged(session, serial: str) -> list[str]:
    return list(
        session.scalars(
            select(LogEntry.event).where(LogEntry.serial == serial).order_by(LogEntry.idx)
        )
    )


# --------------------------------------------------------------------------- expiry


def test_an_unrenewed_certificate_expires_once_in_the_log_and_the_status_lists(
    app, session, clock, cycle_case
) -> None:
    certificate = cycle_case["certificate"]
    last_day = certificate.valid_until.date()
    clock.set(at(last_day))
    with app.app_context():
        assert duties.record_expiries(clock.now()) == "0 expired"  # its last valid day
    clock.set(at(last_day + dt.timedelta(days=1)))
    with app.app_context():
        assert duties.record_expiries(clock.now()) == "1 expired"
        assert duties.record_expiries(clock.now()) == "0 expired"  # once
    session.expire_all()
    expired = session.get(Certificate, certificate.id)
    assert expired.status == "active"  # the column: expired follows from the date
    assert expired.status_at(clock.now()).value == "expired"
    (change,) = [c for c in expired.changes if c.new_status == "expired"]
    assert (change.previous_status, change.actor) == ("active", "system:scheduler")
    assert _logged(session, certificate.serial) == ["issued", "expired"]
    (event,) = events(session, "certificate.expired")
    assert event.subject_id == certificate.serial
    told = session.scalars(
        select(Notification.user_id).where(Notification.kind == "certificate.expired")
    ).all()
    assert cycle_case["issp"].id in told
    _log_ok(app, session)
    anyone = app.test_client()
    feed = anyone.get("/registry/feed.atom").get_data(as_text=True)
    assert f"certificate {certificate.serial} expired" in feed
    listed = anyone.get("/registry?status=expired").get_data(as_text=True)
    assert certificate.serial in listed
    api = anyone.get(f"/api/v1/certificates/{certificate.serial}").get_json()
    assert api["status"] == "expired"
    assert [h["change"] for h in api["statusHistory"]] == ["issued", "expired"]
    status = anyone.get(f"/api/v1/certificates/{certificate.serial}/status").get_json()
    assert status["status"] == "expired" and len(status["entries"]) == 2


def test_an_expired_certificate_can_still_be_withdrawn_and_the_log_verifies(
    app, session, clock, cycle_case
) -> None:
    certificate = cycle_case["certificate"]
    clock.set(at(certificate.valid_until.date() + dt.timedelta(days=3)))
    with app.app_context():
        duties.record_expiries(clock.now())
        certificate = session.get(Certificate, certificate.id)
        lifecycle.withdraw_certificate(
            session, certificate, Actor.user(cycle_case["admin"].public_id), "fraud",
            "The audited records were forged.",
        )  # fmt: skip
        session.commit()
    assert _logged(session, certificate.serial) == ["issued", "expired", "withdrawn"]
    _log_ok(app, session)


def test_a_suspended_certificate_is_not_recorded_expired(app, session, clock, cycle_case):
    certificate = cycle_case["certificate"]
    with app.app_context():
        lifecycle.suspend_certificate(
            session, certificate, Actor.user(cycle_case["admin"].public_id), "fraud",
            "Under investigation.",
        )  # fmt: skip
        session.commit()
    clock.set(at(certificate.valid_until.date() + dt.timedelta(days=2)))
    with app.app_context():
        assert duties.record_expiries(clock.now()) == "0 expired"
    count = session.scalar(
        select(func.count())
        .select_from(CertificateStatusChange)
        .where(CertificateStatusChange.new_status == "expired")
    )
    assert count == 0


# --------------------------------------------------------------------------- new versions


def _renew(app, session, clock, case, kind: str, day: dt.date) -> tuple[Certificate, Certificate]:
    """Open a *kind* case on *case*'s certificate on *day*, assess everything, certify;
    return the old and the new certificate."""
    from certify.applications.models import Application
    from certify.cycle.operations import open_cycle_case

    old = case["certificate"]
    clock.set(at(day))
    with app.app_context():
        opened = open_cycle_case(
            session, session.get(Certificate, old.id), kind,
            Actor.user(case["admin"].public_id), reason="A test renewal.",
        )  # fmt: skip
        session.commit()
    cycle_fixtures.assign(app, session, opened, case)
    cycle_fixtures.assess_and_decide(app, session, session.get(Application, opened.id), case)
    session.expire_all()
    new = session.scalar(select(Certificate).where(Certificate.application_id == opened.id))
    return session.get(Certificate, old.id), new


def test_a_scope_extension_supersedes_and_keeps_the_expiry_and_the_visits_ahead(
    app, session, clock, cycle_case
) -> None:
    old = cycle_case["certificate"]
    day = cycle_fixtures.due_dates(old)[0] + dt.timedelta(days=20)  # after the first visit date
    old, new = _renew(app, session, clock, cycle_case, "scope_extension", day)
    assert old.status == "superseded" and old.superseded_by_id == new.id
    assert new.valid_until == old.valid_until  # a new version, not a new cycle
    ahead = [d for d in cycle_fixtures.due_dates(old) if d > day]
    assert cycle_fixtures.due_dates(new) == ahead and ahead
    with app.app_context():
        from certify.cycle import schedule

        assert schedule.cycle_row(session, new).next_due == ahead[0]
    api = app.test_client().get(f"/api/v1/certificates/{new.serial}").get_json()
    assert api["certifiedSince"] == old.valid_from.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert api["validUntil"] == old.snapshot_data["validUntil"]
    _log_ok(app, session)


def test_an_early_recertification_runs_from_the_old_expiry_and_its_pdf_says_certified_since(
    app, session, clock, cycle_case, tmp_path
) -> None:
    from certify.certificates.issuance import add_months
    from tests.core.tools import require_tool, run

    expiry = cycle_case["certificate"].valid_until.date()
    old, new = _renew(
        app, session, clock, cycle_case, "recertification", expiry - dt.timedelta(days=150)
    )
    assert old.status == "superseded"
    start = expiry + dt.timedelta(days=1)
    assert new.valid_until.date() == add_months(start, 36) - dt.timedelta(days=1)
    assert cycle_fixtures.due_dates(new)[0] == add_months(start, 12)
    anyone = app.test_client()
    api = anyone.get(f"/api/v1/certificates/{new.serial}").get_json()
    assert api["certifiedSince"] == old.valid_from.strftime("%Y-%m-%dT%H:%M:%SZ")
    first = anyone.get(f"/api/v1/certificates/{old.serial}").get_json()
    assert first["certifiedSince"] == first["validFrom"]
    pdf = tmp_path / "renewal.pdf"
    pdf.write_bytes(anyone.get(f"/certificates/{new.serial}.pdf").data)
    done = run([require_tool("pdftotext"), "-enc", "UTF-8", str(pdf), "-"])
    assert "Certified since" in done.stdout
    assert old.valid_from.date().isoformat() in done.stdout
    page = anyone.get(f"/registry/{new.serial}").get_data(as_text=True)
    assert "Certified since" in page and f"{old.valid_from:%-d %b %Y}" in page
    _log_ok(app, session)


# --------------------------------------------------------------------------- reminders


def _reminders(session) -> list[tuple[int, str]]:
    session.expire_all()
    rows = session.execute(
        select(Notification.user_id, Notification.subject)
        .where(Notification.kind == "cycle.surveillance_reminder")
        .order_by(Notification.id)
    )
    return [(user, subject) for user, subject in rows]


def _remind_on(app, clock, day: dt.date) -> str:
    from certify.cycle import schedule

    clock.set(at(day))
    with app.app_context():
        return schedule.remind_surveillance(clock.now())


def test_the_holder_and_the_admin_are_reminded_at_the_window_and_30_days_before_once(
    app, session, clock, cycle_case
) -> None:
    due = cycle_fixtures.due_dates(cycle_case["certificate"])[0]
    opens = due - dt.timedelta(days=90)
    assert _remind_on(app, clock, opens - dt.timedelta(days=1)) == "0 reminder(s)"
    assert _remind_on(app, clock, opens) == "1 reminder(s)"
    assert _remind_on(app, clock, opens) == "0 reminder(s)"  # once
    assert _remind_on(app, clock, opens + dt.timedelta(days=10)) == "0 reminder(s)"
    told = {user for user, _subject in _reminders(session)}
    assert {cycle_case["issp"].id, cycle_case["admin"].id} <= told
    before = len(_reminders(session))
    assert _remind_on(app, clock, due - dt.timedelta(days=30)) == "1 reminder(s)"
    assert _remind_on(app, clock, due - dt.timedelta(days=29)) == "0 reminder(s)"
    assert len(_reminders(session)) == 2 * before
    assert f"{due:%-d %b %Y}" in _reminders(session)[-1][1]
    assert _remind_on(app, clock, due + dt.timedelta(days=1)) == "0 reminder(s)"  # overdue


def test_a_clock_past_both_stages_sends_one_reminder(app, session, clock, cycle_case) -> None:
    due = cycle_fixtures.due_dates(cycle_case["certificate"])[0]
    assert _remind_on(app, clock, due - dt.timedelta(days=10)) == "1 reminder(s)"
    assert _remind_on(app, clock, due - dt.timedelta(days=5)) == "0 reminder(s)"


def test_an_opened_case_is_the_window_reminder_and_the_later_one_says_it_is_open(
    app, session, clock, cycle_case
) -> None:
    due = cycle_fixtures.due_dates(cycle_case["certificate"])[0]
    assert "1 case(s)" in cycle_fixtures.open_on(app, clock, due - dt.timedelta(days=90))
    assert _remind_on(app, clock, due - dt.timedelta(days=90)) == "0 reminder(s)"
    assert _remind_on(app, clock, due - dt.timedelta(days=30)) == "1 reminder(s)"
    body = session.scalar(
        select(Notification.body_text)
        .where(Notification.kind == "cycle.surveillance_reminder")
        .order_by(Notification.id.desc())
        .limit(1)
    )
    assert "waits for the certification body to assign" in body


# --------------------------------------------------------------------------- assigning


def test_the_assignment_page_shows_each_auditors_cases_in_progress(
    app, session, clock, cycle_case
) -> None:
    import re

    due = cycle_fixtures.due_dates(cycle_case["certificate"])[0]
    cycle_fixtures.open_on(app, clock, due - dt.timedelta(days=90))
    (case,) = cycle_fixtures.cases_of(session, cycle_case["certificate"])
    admin = followup_fixtures.client_for(app, cycle_case["admin"])
    page = admin.get(f"/applications/{case.public_id}/assign").get_data(as_text=True)
    assert "Workload: cases in progress" in page
    row = re.search(rf"<td>{re.escape(cycle_case['auditor'].full_name)}</td><td>(\d+)</td>", page)
    assert row is not None and row.group(1) == "0"  # the certified case is decided
    cycle_fixtures.assign(app, session, case, cycle_case)
    page = admin.get("/admin/cycle").get_data(as_text=True)
    row = re.search(rf"<td>{re.escape(cycle_case['auditor'].full_name)}</td><td>(\d+)</td>", page)
    assert row is not None and row.group(1) == "1"
