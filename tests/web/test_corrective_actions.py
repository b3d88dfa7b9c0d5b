"""The corrective-action loop on a certified case's non-conformities, through the web: the ISSP's
plan and evidence, the auditor's review and verification, each step telling the next party;
the admin's extension; a critical non-conformity suspending at once; reinstatement through
closure; the dashboards."""

from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import func, select

from certify.applications.models import Evidence, NonConformity
from certify.audit.models import AuditEvent
from certify.certificates.models import Certificate, CertificateStatusChange
from certify.followup.models import CorrectiveActionPlan
from certify.notifications.models import Notification
from tests.core.test_filetypes import ELF_EXE, make_pdf
from tests.web import followup_fixtures
from tests.web.followup_fixtures import PLAN, client_for, nc_url, raise_nc, state_of

# fixtures shared by the follow-up tests
certified = followup_fixtures.certified
major_nc = followup_fixtures.major_nc


def _told(session, kind: str, user) -> int:
    return session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.kind == kind, Notification.user_id == user.id)
    )


def _plan(due: dt.date) -> dict[str, str]:
    return {**PLAN, "plan-target_date": (due - dt.timedelta(days=10)).isoformat()}


def test_the_whole_loop_with_a_returned_plan_each_step_telling_the_next_party(
    app, session, certified, major_nc
) -> None:
    issp, auditor = client_for(app, certified["issp"]), client_for(app, certified["auditor"])
    assert _told(session, "nonconformity.raised", certified["issp"]) == 1
    page = issp.get(nc_url(major_nc)).get_data(as_text=True)
    assert "Submit a corrective-action plan" in page
    assert issp.post(nc_url(major_nc, "/plan"), data=_plan(major_nc.due_on)).status_code == 302
    assert state_of(session, major_nc) == ("plan_submitted", None)
    assert _told(session, "nonconformity.plan_submitted", certified["auditor"]) == 1

    returned = auditor.post(
        nc_url(major_nc, "/plan/review"),
        data={"review-decision": "return", "review-note": "Name who checks monthly."},
    )
    assert returned.status_code == 302
    assert state_of(session, major_nc) == ("plan_returned", None)
    assert _told(session, "nonconformity.plan_reviewed", certified["issp"]) == 1
    assert "Name who checks monthly." in issp.get(nc_url(major_nc)).get_data(as_text=True)

    assert issp.post(nc_url(major_nc, "/plan"), data=_plan(major_nc.due_on)).status_code == 302
    accepted = auditor.post(nc_url(major_nc, "/plan/review"), data={"review-decision": "accept"})
    assert accepted.status_code == 302
    assert state_of(session, major_nc) == ("plan_accepted", None)
    assert [p.outcome for p in session.scalars(select(CorrectiveActionPlan))] == [
        "returned",
        "accepted",
    ]

    upload = issp.post(
        nc_url(major_nc, "/evidence"),
        data={
            "evidence-files": [(io.BytesIO(make_pdf("Grievance log")), "log.pdf")],
            "evidence-note": "The log since March, signed by the director.",
        },
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302, upload.get_data(as_text=True)
    assert state_of(session, major_nc) == ("evidence_submitted", None)
    evidence = session.scalars(
        select(Evidence).where(Evidence.nonconformity_id == major_nc.id)
    ).all()
    assert [e.filename for e in evidence] == ["log.pdf"]
    assert _told(session, "nonconformity.evidence_submitted", certified["auditor"]) == 1
    download = auditor.get(
        f"/applications/{major_nc.application.public_id}/evidence/{evidence[0].public_id}"
    )
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    download.close()  # the file is streamed from the store

    verified = auditor.post(
        nc_url(major_nc, "/verification"),
        data={"verify-decision": "verify", "verify-note": "Log seen; two answers checked."},
    )
    assert verified.status_code == 302
    assert state_of(session, major_nc) == ("closed", None)
    assert _told(session, "nonconformity.closure_reviewed", certified["issp"]) == 1
    actions = session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.action.like("nonconformity.%"))
        .order_by(AuditEvent.seq)
    ).all()
    assert actions == [
        "nonconformity.raised",
        "nonconformity.submit_plan",
        "nonconformity.return_plan",
        "nonconformity.submit_plan",
        "nonconformity.accept_plan",
        "nonconformity.submit_evidence",
        "nonconformity.verify_closure",
    ]


def test_a_plan_needs_every_part_and_a_sensible_target_date(
    app, session, certified, major_nc
) -> None:
    issp = client_for(app, certified["issp"])
    for bad in (
        {**_plan(major_nc.due_on), "plan-root_cause": " "},
        {**_plan(major_nc.due_on), "plan-target_date": "2001-01-01"},
        {**_plan(major_nc.due_on), "plan-target_date": "not a date"},
        {**PLAN, "plan-target_date": (major_nc.due_on + dt.timedelta(days=1)).isoformat()},
    ):
        response = issp.post(nc_url(major_nc, "/plan"), data=bad)
        assert response.status_code == 400, bad
    assert state_of(session, major_nc) == ("open", None)
    assert session.scalar(select(func.count()).select_from(CorrectiveActionPlan)) == 0


def test_evidence_needs_a_file_and_refuses_a_bad_one_leaving_nothing(
    app, session, certified, major_nc
) -> None:
    issp, auditor = client_for(app, certified["issp"]), client_for(app, certified["auditor"])
    issp.post(nc_url(major_nc, "/plan"), data=_plan(major_nc.due_on))
    auditor.post(nc_url(major_nc, "/plan/review"), data={"review-decision": "accept"})
    none = issp.post(
        nc_url(major_nc, "/evidence"),
        data={"evidence-note": "Here it is."},
        content_type="multipart/form-data",
    )
    bad = issp.post(
        nc_url(major_nc, "/evidence"),
        data={
            "evidence-files": [(io.BytesIO(ELF_EXE), "log.pdf")],
            "evidence-note": "Here it is.",
        },
        content_type="multipart/form-data",
    )
    assert (none.status_code, bad.status_code) == (400, 400)
    assert "Choose at least one file" in none.get_data(as_text=True)
    assert state_of(session, major_nc) == ("plan_accepted", None)
    assert session.scalar(select(func.count()).select_from(Evidence)) == 0


def test_returning_evidence_needs_a_note_and_sends_it_back(app, session, certified, major_nc):
    issp, auditor = client_for(app, certified["issp"]), client_for(app, certified["auditor"])
    issp.post(nc_url(major_nc, "/plan"), data=_plan(major_nc.due_on))
    auditor.post(nc_url(major_nc, "/plan/review"), data={"review-decision": "accept"})
    issp.post(
        nc_url(major_nc, "/evidence"),
        data={"evidence-files": [(io.BytesIO(make_pdf()), "a.pdf")], "evidence-note": "Log"},
        content_type="multipart/form-data",
    )
    silent = auditor.post(nc_url(major_nc, "/verification"), data={"verify-decision": "return"})
    assert silent.status_code == 400
    back = auditor.post(
        nc_url(major_nc, "/verification"),
        data={"verify-decision": "return", "verify-note": "The March entries are missing."},
    )
    assert back.status_code == 302
    assert state_of(session, major_nc) == ("plan_accepted", None)


def test_the_admin_extends_a_deadline_once_with_a_reason(app, session, certified, major_nc):
    admin = client_for(app, certified["admin"])
    due = major_nc.due_on
    later = due + dt.timedelta(days=30)
    assert admin.post(nc_url(major_nc, "/extend"), data={"extend-due_on": later}).status_code == 400
    first = admin.post(
        nc_url(major_nc, "/extend"),
        data={"extend-due_on": later.isoformat(), "extend-reason": "Floods closed the site."},
    )
    assert first.status_code == 302
    session.expire_all()
    row = session.get(NonConformity, major_nc.id)
    assert (row.due_on, row.original_due_on) == (later, due)
    again = admin.post(
        nc_url(major_nc, "/extend"),
        data={
            "extend-due_on": (later + dt.timedelta(days=9)).isoformat(),
            "extend-reason": "Again",
        },
    )
    assert again.status_code == 400
    assert "cannot be extended again" in again.get_data(as_text=True)
    assert _told(session, "nonconformity.deadline_extended", certified["issp"]) == 1


def _suspensions(session, certificate) -> list[CertificateStatusChange]:
    return session.scalars(
        select(CertificateStatusChange).where(
            CertificateStatusChange.certificate_id == certificate.id,
            CertificateStatusChange.new_status == "suspended",
        )
    ).all()


def test_a_critical_nonconformity_raised_on_a_certified_case_suspends_at_once(
    app, session, certified
) -> None:
    auditor = client_for(app, certified["auditor"])
    response = auditor.post(
        f"/applications/{certified['application'].public_id}/followup/nonconformities",
        data={
            "nc-grade": "critical",
            "nc-criterion": "FW-5",
            "nc-description": "A worker under 18 was found on the night shift.",
            "nc-corrective_action": "Remove from night work; check every worker's age.",
        },
    )
    assert response.status_code == 302
    session.expire_all()
    certificate = session.get(Certificate, certified["certificate"].id)
    nc = session.scalar(select(NonConformity).where(NonConformity.grade == "critical"))
    assert certificate.status == "suspended"
    (suspension,) = _suspensions(session, certificate)
    assert suspension.reason_category == "critical_nonconformity"
    assert (nc.status, nc.stage, nc.suspension_id) == ("escalated", "open", suspension.id)
    assert _told(session, "certificate.suspended", certified["issp"]) == 1
    result = app.test_cli_runner().invoke(args=["log", "verify"])
    assert result.exit_code == 0, result.output


def test_reinstatement_waits_for_every_suspending_nonconformity_to_close(
    app, session, certified
) -> None:
    critical = raise_nc(app, session, certified, grade="critical", criterion="FW-5")
    admin = client_for(app, certified["admin"])
    serial = certified["certificate"].serial
    refused = admin.post(
        f"/admin/certificates/{serial}/reinstate", data={"reinstate-reason": "All good now"}
    )
    assert refused.status_code == 400
    assert "not yet verified closed" in refused.get_data(as_text=True)
    issp, auditor = client_for(app, certified["issp"]), client_for(app, certified["auditor"])
    issp.post(nc_url(critical, "/plan"), data=_plan(dt.date.today() + dt.timedelta(days=20)))
    auditor.post(nc_url(critical, "/plan/review"), data={"review-decision": "accept"})
    assert state_of(session, critical) == ("plan_accepted", None)  # the overlay is left behind
    issp.post(
        nc_url(critical, "/evidence"),
        data={"evidence-files": [(io.BytesIO(make_pdf()), "ages.pdf")], "evidence-note": "IDs"},
        content_type="multipart/form-data",
    )
    auditor.post(
        nc_url(critical, "/verification"),
        data={"verify-decision": "verify", "verify-note": "Every ID checked on site."},
    )
    assert _told(session, "nonconformity.reinstatement_ready", certified["admin"]) == 1
    listing = admin.get("/admin/nonconformities").get_data(as_text=True)
    assert "Ready to reinstate" in listing and serial in listing
    reinstated = admin.post(
        f"/admin/certificates/{serial}/reinstate",
        data={"reinstate-reason": "Closure verified by the auditor."},
    )
    assert reinstated.status_code == 302
    session.expire_all()
    assert session.get(Certificate, certified["certificate"].id).status == "active"


def test_dashboards_tell_each_party_what_waits(app, session, certified, major_nc) -> None:
    issp = client_for(app, certified["issp"])
    page = issp.get("/dashboard").get_data(as_text=True)
    assert "Major non-conformity on FW-7" in page
    assert "next for you:</strong> submit a corrective-action plan" in page
    assert "Nothing right now" not in page
    issp.post(nc_url(major_nc, "/plan"), data=_plan(major_nc.due_on))
    auditor = client_for(app, certified["auditor"]).get("/dashboard").get_data(as_text=True)
    assert "Waiting for your verification" in auditor
    assert "review the corrective-action plan" not in auditor  # it names the stage instead
    assert "plan submitted, awaiting the auditor" in auditor
    assert "Certified cases you follow up" in auditor
    admin = client_for(app, certified["admin"]).get("/dashboard").get_data(as_text=True)
    assert "1 open, 0 past due" in admin


def test_a_suspended_holder_sees_why_until_when_and_what_follows(app, session, certified) -> None:
    raise_nc(app, session, certified, grade="critical", criterion="FW-5")
    page = client_for(app, certified["issp"]).get("/dashboard").get_data(as_text=True)
    assert f"Certificate <code>{certified['certificate'].serial}</code> is suspended" in page
    assert "critical non-conformity" in page
    assert "it is <strong>withdrawn</strong> on that day" in page
    assert "critical on FW-5" in page


def test_the_registry_shows_the_category_never_the_nonconformity(app, session, certified):
    raise_nc(app, session, certified, grade="critical", criterion="FW-5")
    page = app.test_client().get(f"/registry/{certified['certificate'].serial}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Critical non-conformity" in body
    assert "grievance" not in body.lower() and "FW-5" not in body


def test_the_admin_list_filters_and_shrugs_off_bad_filters(app, session, certified, major_nc):
    admin = client_for(app, certified["admin"])
    organisation = certified["application"].organisation.legal_name
    assert organisation in admin.get("/admin/nonconformities").get_data(as_text=True)
    minor_only = admin.get("/admin/nonconformities?grade=minor").get_data(as_text=True)
    assert "No non-conformity matches" in minor_only
    for query in ("status=nope", "grade=%00", "overdue=yes&organisation=%25_", "status=closed"):
        assert admin.get(f"/admin/nonconformities?{query}").status_code in (200, 400), query


def test_the_admin_confirms_a_proposed_suspension_with_one_click(
    app, session, clock, certified, major_nc
) -> None:
    from certify.followup import deadlines
    from certify.jobs.duties import SCHEDULER

    clock.advance(dt.timedelta(days=91))
    with app.app_context():
        nc = session.get(NonConformity, major_nc.id)
        assert deadlines.mark_overdue(session, nc, SCHEDULER, clock.now(), "propose") == (
            "suspension proposed"
        )
        session.commit()
    admin = client_for(app, certified["admin"])
    listing = admin.get("/admin/nonconformities").get_data(as_text=True)
    assert "Suspensions to confirm" in listing and "Major on FW-7" in listing
    confirmed = admin.post(nc_url(major_nc, "/suspend"), data={"next": "list"})
    assert confirmed.status_code == 302
    assert confirmed.headers["Location"].endswith("/admin/nonconformities")
    session.expire_all()
    certificate = session.get(Certificate, certified["certificate"].id)
    (suspension,) = _suspensions(session, certificate)
    assert certificate.status == "suspended"
    assert suspension.actor == f"user:{certified['admin'].public_id}"
    assert suspension.reason_category == "major_nonconformity"
    assert state_of(session, major_nc) == ("escalated", "open")
    again = admin.post(nc_url(major_nc, "/suspend"))  # a double click changes nothing more
    assert again.status_code == 302
    assert len(_suspensions(session, certificate)) == 1
    assert "No suspension waits" in admin.get("/admin/nonconformities").get_data(as_text=True)


def test_a_suspension_is_not_confirmed_before_the_due_date(app, session, certified, major_nc):
    admin = client_for(app, certified["admin"])
    admin.post(nc_url(major_nc, "/suspend"))
    session.expire_all()
    assert session.get(Certificate, certified["certificate"].id).status == "active"
    assert state_of(session, major_nc) == ("open", None)


def test_the_admin_names_another_auditor_for_the_followup(app, session, certified, major_nc):
    from tests.web.followup_fixtures import another

    admin = client_for(app, certified["admin"])
    url = f"/applications/{certified['application'].public_id}/followup/auditor"
    reviewer = admin.post(url, data={"auditor": certified["reviewer"].public_id})
    assert reviewer.status_code == 400  # not an auditor: not even a choice
    newcomer = another(app, session, "auditor")
    assert admin.post(url, data={"auditor": newcomer.public_id}).status_code == 302
    assert _told(session, "nonconformity.auditor_named", newcomer) == 1
    client_for(app, certified["issp"]).post(nc_url(major_nc, "/plan"), data=_plan(major_nc.due_on))
    assert _told(session, "nonconformity.plan_submitted", newcomer) == 1
    former = client_for(app, certified["auditor"])
    refused = former.post(nc_url(major_nc, "/plan/review"), data={"review-decision": "accept"})
    assert refused.status_code in (403, 404)
    named = client_for(app, newcomer)
    assert "Waiting for your verification" in named.get("/dashboard").get_data(as_text=True)
    accepted = named.post(nc_url(major_nc, "/plan/review"), data={"review-decision": "accept"})
    assert accepted.status_code == 302
    assert state_of(session, major_nc) == ("plan_accepted", None)


def test_recording_a_nonconformity_needs_its_parts(app, session, certified) -> None:
    auditor = client_for(app, certified["auditor"])
    response = auditor.post(
        f"/applications/{certified['application'].public_id}/followup/nonconformities",
        data={"nc-grade": "major", "nc-criterion": "FW-7", "nc-corrective_action": "Fix"},
    )
    assert response.status_code == 400
    assert "Describe the non-conformity." in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(NonConformity)) == 0
