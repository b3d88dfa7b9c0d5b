"""Appeals (issue 19): an ISSP appeals a decision about it within the rubric's window; someone
who took no part in that decision decides it; an upheld appeal changes the decision through
the normal lifecycle."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from certify.audit.models import AuditEvent
from certify.certificates.models import Certificate
from certify.complaints.models import Appeal
from certify.core.actor import Actor
from certify.lifecycle import suspend_certificate
from tests.web import complaint_fixtures as cf
from tests.web import followup_fixtures

certified = followup_fixtures.certified


@pytest.fixture
def suspended(app, session, certified) -> dict:
    """The certified case, its certificate suspended by the case's admin."""
    with app.app_context():
        suspend_certificate(
            session, certified["certificate"], Actor.user(certified["admin"].public_id),
            "misuse_of_certificate", "The logo was used on an uncertified site.",
        )  # fmt: skip
        session.commit()
    return certified


def _key(form: str) -> str:
    """The value of the first decision the appeal form offers."""
    match = re.search(r'value="((?:change|decision|nc):[^"]+)"', form)
    assert match, form
    return match.group(1)


def _lodge(app, case) -> tuple:
    issp = cf.client_for(app, case["issp"])
    form = issp.get("/appeals/new").get_data(as_text=True)
    assert "Suspension of certificate" in form
    key = _key(form)
    response = issp.post(
        "/appeals/new",
        data={"decision": key, "grounds": "The site was a partner's; we had its consent."},
        content_type="multipart/form-data",
    )
    return issp, response


def test_an_appeal_against_a_suspension_decided_by_someone_uninvolved_reinstates(
    app, session, suspended
) -> None:
    issp, response = _lodge(app, suspended)
    assert response.status_code == 302
    appeal = cf.only_appeal(session)
    assert appeal.subject == "suspension" and appeal.state == "lodged"
    assert suspended["admin"].public_id in appeal.involved
    admin = cf.client_for(app, suspended["admin"])
    url = f"/appeals/{appeal.public_id}"
    # the admin who suspended took part: refused, in the form and by a direct POST
    refused = admin.post(f"{url}/decider", data={"assign-decider": suspended["admin"].public_id})
    assert refused.status_code == 400
    assert "took part in the decision" in refused.get_data(as_text=True)
    decider = cf.another(app, session, "reviewer")
    assert (
        admin.post(f"{url}/decider", data={"assign-decider": decider.public_id}).status_code == 302
    )
    # nobody but the decider decides
    stranger = cf.client_for(app, cf.another(app, session, "reviewer"))
    assert stranger.post(f"{url}/decision", data={}).status_code == 404
    own = cf.client_for(app, decider)
    decided = own.post(
        f"{url}/decision",
        data={"decide-outcome": "upheld", "decide-reasons": "The partner's consent is on file."},
    )
    assert decided.status_code == 302, decided.get_data(as_text=True)
    session.expire_all()
    certificate = session.get(Certificate, suspended["certificate"].id)
    assert certificate.status == "active"
    appeal = cf.only_appeal(session)
    assert appeal.outcome == "upheld" and "reinstated" in (appeal.remedy or "")
    reinstated = session.scalar(
        select(AuditEvent).where(AuditEvent.action == "certificate.reinstated")
    )
    assert reinstated is not None and appeal.public_id.encode() in reinstated.canonical
    page = issp.get(url).get_data(as_text=True)
    assert "Upheld" in page and "The partner&#39;s consent is on file." in page


def test_a_dismissed_appeal_leaves_the_decision(app, session, suspended) -> None:
    _lodge(app, suspended)
    appeal = cf.only_appeal(session)
    decider = cf.another(app, session, "reviewer")
    admin = cf.client_for(app, suspended["admin"])
    admin.post(f"/appeals/{appeal.public_id}/decider", data={"assign-decider": decider.public_id})
    cf.client_for(app, decider).post(
        f"/appeals/{appeal.public_id}/decision",
        data={"decide-outcome": "dismissed", "decide-reasons": "No consent was shown."},
    )
    session.expire_all()
    assert session.get(Certificate, suspended["certificate"].id).status == "suspended"
    assert cf.only_appeal(session).outcome == "dismissed"


def test_the_appeal_window_comes_from_the_rubric(app, session, suspended, clock) -> None:
    clock.advance(dt.timedelta(days=31))
    issp = cf.client_for(app, suspended["issp"])
    page = issp.get("/appeals/new").get_data(as_text=True)
    assert "No decision about your organisation can be appealed now" in page
    response = issp.post("/appeals/new", data={"decision": "change:1", "grounds": "Late"})
    assert response.status_code == 400
    assert session.scalars(select(Appeal)).all() == []


def test_the_suspension_message_says_how_to_appeal_and_by_when(app, session, suspended) -> None:
    """The holder learns of the suspension by mail: it names the appeal page and the last
    day the appeal form accepts (the rubric's window from the change)."""
    from certify.notifications.models import Notification

    message = session.scalars(
        select(Notification).where(
            Notification.kind == "certificate.suspended",
            Notification.user_id == suspended["issp"].id,
        )
    ).one()
    change = suspended["certificate"].changes[-1]
    with app.app_context():
        from certify.standards.operations import get_rubric

        window = get_rubric("isrps", suspended["certificate"].standard_version).appeal_window_days
    last_day = change.changed_at + dt.timedelta(days=window)
    assert f"appeal it until {last_day:%-d %b %Y}" in message.body_text
    assert f"{app.config['PUBLIC_URL']}/appeals/new" in message.body_text
    # and the form offers that very decision until then
    issp = cf.client_for(app, suspended["issp"])
    assert "Suspension of certificate" in issp.get("/appeals/new").get_data(as_text=True)


def test_only_members_of_the_organisation_see_its_appeal(app, session, suspended) -> None:
    _lodge(app, suspended)
    appeal = cf.only_appeal(session)
    other = cf.client_for(app, cf.another(app, session, "issp"))
    assert other.get(f"/appeals/{appeal.public_id}").status_code == 404
    assert appeal.public_id not in other.get("/appeals").get_data(as_text=True)


def test_an_appeal_is_lodged_once(app, session, suspended) -> None:
    issp = cf.client_for(app, suspended["issp"])
    key = _key(issp.get("/appeals/new").get_data(as_text=True))
    _lodge(app, suspended)
    assert key not in issp.get("/appeals/new").get_data(as_text=True)
    again = issp.post("/appeals/new", data={"decision": key, "grounds": "Again"})
    assert again.status_code == 400
    assert "can still be appealed" in again.get_data(as_text=True)
    assert len(session.scalars(select(Appeal)).all()) == 1


def test_an_upheld_appeal_against_an_nc_grade_regrades_it(app, session, certified) -> None:
    nc = followup_fixtures.raise_nc(app, session, certified, grade="major")
    issp = cf.client_for(app, certified["issp"])
    page = issp.get("/appeals/new").get_data(as_text=True)
    assert f"nc:{nc.public_id}" in page
    issp.post("/appeals/new", data={"decision": f"nc:{nc.public_id}", "grounds": "Minor at most."})
    appeal = cf.only_appeal(session)
    assert certified["auditor"].public_id in appeal.involved
    admin = cf.client_for(app, certified["admin"])
    url = f"/appeals/{appeal.public_id}"
    # the auditor who graded it took part
    refused = admin.post(f"{url}/decider", data={"assign-decider": certified["auditor"].public_id})
    assert refused.status_code == 400
    decider = cf.another(app, session, "auditor")
    admin.post(f"{url}/decider", data={"assign-decider": decider.public_id})
    own = cf.client_for(app, decider)
    no_grade = own.post(
        f"{url}/decision", data={"decide-outcome": "upheld", "decide-reasons": "Minor."}
    )
    assert no_grade.status_code == 400
    done = own.post(
        f"{url}/decision",
        data={"decide-outcome": "upheld", "decide-reasons": "Minor.", "decide-new_grade": "minor"},
    )
    assert done.status_code == 302
    session.expire_all()
    assert session.get(type(nc), nc.id).grade == "minor"
    assert "regraded from major to minor" in (cf.only_appeal(session).remedy or "")
