"""Every route declares who may use it, and the declaration holds for every role.

The parametrisation walks the app's URL map at collection time, so a route a later feature
adds is covered automatically; a route that declares nothing fails
``test_every_route_declares_access``.
"""

from __future__ import annotations

import tempfile

import pytest
from flask import Flask
from werkzeug.routing import Rule

from certify import create_app
from certify.access import access_rule_of
from tests.web.conftest import login, make_test_config

ALL_ROLES = ("admin", "auditor", "reviewer", "issp", "client")
DUMMY = {"default": "zzzz", "string": "zzzz", "path": "zzzz", "int": 1, "any": "zzzz"}


def undeclared_routes(app: Flask) -> list[str]:
    """Endpoints whose view declares no access rule."""
    return sorted(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if access_rule_of(app.view_functions[rule.endpoint]) is None
    )


def dummy_url(rule: Rule) -> str:
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        kind = type(converter).__name__.removesuffix("Converter").lower()
        values[name] = DUMMY.get(kind, "zzzz")
    return rule.build(values, append_unknown=False)[1]


with tempfile.TemporaryDirectory() as _folder:
    COLLECTION_APP = create_app(make_test_config("sqlite://", _folder))


def _routes() -> list[tuple[str, str, str]]:
    found = []
    for rule in COLLECTION_APP.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule.rule))
    return sorted(found)


ROUTES = _routes()


def _rule(app: Flask, endpoint: str, pattern: str) -> Rule:
    return next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint and r.rule == pattern)


def test_every_route_declares_access(app) -> None:
    assert undeclared_routes(app) == []


def test_a_new_route_without_a_declaration_is_caught(app) -> None:
    app.add_url_rule("/_forgotten", "forgotten", lambda: "oops")
    assert undeclared_routes(app) == ["forgotten"]


def _blueprint(endpoint: str) -> str:
    return endpoint.partition(".")[0]


#: Cases run in groups (a blueprint's routes, a role's forbidden routes) that share one app:
#: building an app per request cost more than the requests; each failure is still named.
BLUEPRINTS = sorted({_blueprint(endpoint) for endpoint, _m, _p in ROUTES})


def _anonymous_failure(app: Flask, client, endpoint: str, method: str, pattern: str):
    access = access_rule_of(app.view_functions[endpoint])
    if access is None:
        return "declares no access"
    response = client.open(dummy_url(_rule(app, endpoint, pattern)), method=method)
    status, location = response.status_code, response.headers.get("Location", "")
    if access.kind == "public":
        return None if status < 500 else f"public, but {status}"
    if access.kind == "setting":  # e.g. /metrics: nobody unless a setting admits them
        return None if status == 403 else f"{status}, not 403"
    if pattern.startswith("/api/"):
        return None if status == 401 else f"{status}, not 401"
    if status == 302 and location.startswith("/login?next="):
        return None
    return f"{status} {location!r}, not a redirect to /login"


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_anonymous_access(app, client, blueprint) -> None:
    """Signed out: public routes answer (never a 5xx), the API says 401, every other route
    sends to the sign-in page."""
    routes = [r for r in ROUTES if _blueprint(r[0]) == blueprint]
    failures = {
        f"{method} {pattern}": failure
        for endpoint, method, pattern in routes
        if (failure := _anonymous_failure(app, client, endpoint, method, pattern))
    }
    assert routes and failures == {}


WRONG_ROLE_CASES = []
for _endpoint, _method, _pattern in ROUTES:
    _access = access_rule_of(COLLECTION_APP.view_functions[_endpoint])
    if _access is not None and _access.kind == "roles":
        for _role in ALL_ROLES:
            if _role not in _access.roles:
                WRONG_ROLE_CASES.append((_endpoint, _method, _pattern, _role))


@pytest.mark.parametrize("role", ALL_ROLES)
def test_wrong_role_is_refused(app, client, create_user, role) -> None:
    """Signed in with a role a route does not admit: 403, for every such route."""
    user = create_user(role)
    assert login(client, user).status_code == 302
    cases = [(e, m, p) for e, m, p, r in WRONG_ROLE_CASES if r == role]
    failures = {}
    for endpoint, method, pattern in cases:
        response = client.open(dummy_url(_rule(app, endpoint, pattern)), method=method)
        if response.status_code != 403:
            failures[f"{method} {pattern}"] = response.status_code
    assert cases and failures == {}


def test_the_role_check_is_exercised() -> None:
    # Guard against an empty parametrisation silently testing nothing.
    assert any(case[0] == "accounts.staff" for case in WRONG_ROLE_CASES)
    assert len(ROUTES) >= 10


POST_ROUTES = [
    r for r in ROUTES if r[1] in ("POST", "PUT", "PATCH", "DELETE") and not r[2].startswith("/api/")
]


@pytest.fixture
def csrf_app(migrated_engine, database_url, tmp_path):
    return create_app(make_test_config(database_url, str(tmp_path), WTF_CSRF_ENABLED=True))


@pytest.mark.parametrize("blueprint", sorted({_blueprint(r[0]) for r in POST_ROUTES}))
def test_every_form_post_needs_a_csrf_token(csrf_app, blueprint) -> None:
    """A form post without the CSRF token is refused before any work, on every such route."""
    client = csrf_app.test_client()
    failures = {}
    for endpoint, method, pattern in POST_ROUTES:
        if _blueprint(endpoint) != blueprint:
            continue
        rule = _rule(csrf_app, endpoint, pattern)
        response = client.open(dummy_url(rule), method=method, data={"x": "1"})
        if response.status_code != 400 or b"did not come from this site" not in response.data:
            failures[f"{method} {pattern}"] = response.status_code
    assert failures == {}


# -- object level: every non-conformity transition by the wrong party is refused --------------

from tests.web import followup_fixtures  # noqa: E402

certified = followup_fixtures.certified

#: (step, path after the non-conformity's address, the state it starts from, form data, the
#: parties of the case that may not take it besides strangers and the reviewer)
NC_STEPS = [
    ("submit plan", "/plan", "open", "plan", ("auditor", "admin")),
    ("review plan", "/plan/review", "plan_submitted", "review", ("issp", "admin")),
    ("submit evidence", "/evidence", "plan_accepted", "evidence", ("auditor", "admin")),
    ("verify closure", "/verification", "evidence_submitted", "verify", ("issp", "admin")),
    ("extend the deadline", "/extend", "open", "extend", ("issp", "auditor")),
    ("confirm the suspension", "/suspend", "overdue", "confirm", ("issp", "auditor")),
]
NC_CASES = [
    (step, tail, state, data, who)
    for step, tail, state, data, parties in NC_STEPS
    for who in ("other_issp", "other_auditor", "reviewer", *parties)
]


def _nc_data(kind: str) -> dict:
    import datetime as dt
    import io

    from tests.core.test_filetypes import make_pdf

    soon = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    return {
        "plan": {**followup_fixtures.PLAN, "plan-target_date": soon},
        "review": {"review-decision": "accept"},
        "evidence": {
            "evidence-files": [(io.BytesIO(make_pdf()), "log.pdf")],
            "evidence-note": "Log",
        },
        "verify": {"verify-decision": "verify", "verify-note": "Seen"},
        "extend": {"extend-due_on": "2099-01-01", "extend-reason": "Flood"},
        "confirm": {},
    }[kind]


def _person(app, session, case, who: str):
    from certify.accounts.models import UserRole

    if who == "reviewer":  # the case's reviewer, even holding the auditor role too
        session.add(UserRole(user_id=case["reviewer"].id, role="auditor"))
        session.commit()
        return case["reviewer"]
    if who.startswith("other_"):
        return followup_fixtures.another(app, session, who.removeprefix("other_"))
    return case[who]


@pytest.mark.parametrize(
    ("step", "tail", "state", "data", "who"),
    NC_CASES,
    ids=[f"{step} by {who}" for step, _t, _s, _d, who in NC_CASES],
)
def test_a_nonconformity_step_by_the_wrong_party_is_refused_and_changes_nothing(
    app, session, certified, step, tail, state, data, who
) -> None:
    from sqlalchemy import func, select

    from certify.audit.models import AuditEvent
    from certify.followup.models import CorrectiveActionPlan

    nc = followup_fixtures.raise_nc(app, session, certified)
    if state == "plan_submitted":
        session.add(
            CorrectiveActionPlan(
                nonconformity_id=nc.id, root_cause="r", correction="c", corrective_action="a",
                owner="o", target_date=nc.due_on, submitted_by_id=certified["issp"].id,
            )
        )  # fmt: skip
    nc.status, nc.stage = ("overdue", "open") if state == "overdue" else (state, None)
    nc.suspension_proposed_at = nc.created_at
    session.commit()
    client = followup_fixtures.client_for(app, _person(app, session, certified, who))
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    response = client.post(
        followup_fixtures.nc_url(nc, tail),
        data=_nc_data(data),
        content_type="multipart/form-data",
    )
    assert response.status_code in (403, 404), (step, who, response.status_code)
    assert followup_fixtures.state_of(session, nc) == (
        ("overdue", "open") if state == "overdue" else (state, None)
    )
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == events


@pytest.mark.parametrize("who", ["other_auditor", "reviewer", "issp", "other_issp"])
def test_only_the_followup_auditor_raises_a_nonconformity_after_the_decision(
    app, session, certified, who
) -> None:
    from sqlalchemy import func, select

    from certify.applications.models import NonConformity

    client = followup_fixtures.client_for(app, _person(app, session, certified, who))
    response = client.post(
        f"/applications/{certified['application'].public_id}/followup/nonconformities",
        data={
            "nc-grade": "critical",
            "nc-criterion": "FW-5",
            "nc-description": "x",
            "nc-corrective_action": "y",
        },
    )
    assert response.status_code in (403, 404)
    assert session.scalar(select(func.count()).select_from(NonConformity)) == 0


# -- object level: complaints and appeals (issue 19) -----------------------------------------

#: (path after the complaint's address, form data): every handling step
COMPLAINT_STEPS = [
    ("/acknowledge", {"ack-message": "Seen"}),
    ("/notes", {"note-text": "Called them"}),
    ("/outcome", {"outcome-outcome": "unfounded", "outcome-reasons": "No evidence"}),
]


def _assigned_complaint(app, session, case):
    from sqlalchemy import select

    from certify.complaints import handling
    from certify.complaints.models import Complaint
    from tests.web import complaint_fixtures

    client = app.test_client()
    organisation = case["certificate"].organisation.public_id
    complaint_fixtures.raise_concern(client, organisation, contact=complaint_fixtures.CONTACT)
    handler = followup_fixtures.another(app, session, "reviewer")
    complaint = session.scalars(select(Complaint)).one()
    with app.app_context():
        handling.assign_handler(session, complaint, case["admin"], handler)
        session.commit()
    return complaint, handler


@pytest.mark.parametrize("who", ["auditor", "reviewer", "issp", "admin", "other_reviewer"])
@pytest.mark.parametrize(("tail", "data"), COMPLAINT_STEPS, ids=[s[0] for s in COMPLAINT_STEPS])
def test_only_the_impartial_handler_handles_a_complaint(
    app, session, certified, who, tail, data
) -> None:
    from sqlalchemy import func, select

    from certify.audit.models import AuditEvent

    complaint, _handler = _assigned_complaint(app, session, certified)
    person = (
        followup_fixtures.another(app, session, "reviewer")
        if who == "other_reviewer"
        else certified[who]
    )
    client = followup_fixtures.client_for(app, person)
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    response = client.post(f"/complaints/{complaint.public_id}{tail}", data=data)
    # strangers and the ISSP's people cannot see it (404); the admin sees it, cannot act (400)
    assert response.status_code in (400, 403, 404), (who, tail, response.status_code)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == events
    assert complaint.state == "assigned"


@pytest.mark.parametrize("who", ["auditor", "reviewer"])
def test_the_isps_auditor_or_reviewer_is_refused_as_handler_by_a_direct_post(
    app, session, certified, who
) -> None:
    from sqlalchemy import select

    from certify.complaints.models import Complaint
    from tests.web import complaint_fixtures

    complaint_fixtures.raise_concern(
        app.test_client(), certified["certificate"].organisation.public_id
    )
    complaint = session.scalars(select(Complaint)).one()
    admin = followup_fixtures.client_for(app, certified["admin"])
    response = admin.post(
        f"/complaints/{complaint.public_id}/handler",
        data={"assign-handler": certified[who].public_id},
    )
    assert response.status_code == 400
    session.expire_all()
    assert session.get(Complaint, complaint.id).handler_id is None


@pytest.mark.parametrize("who", ["auditor", "reviewer", "issp", "admin"])
def test_only_an_admin_names_a_reviewer_and_only_for_a_case_reopened_on_appeal(
    app, session, certified, who
) -> None:
    """``/applications/<id>/new-reviewer`` (an upheld appeal against a refusal): other roles
    are refused by the role; the admin, on a case that is not waiting for a reviewer, gets a
    message and nothing changes."""
    from sqlalchemy import func, select

    from certify.audit.models import AuditEvent

    url = f"/applications/{certified['application'].public_id}/new-reviewer"
    client = followup_fixtures.client_for(app, certified[who])
    fresh = followup_fixtures.another(app, session, "reviewer")
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    response = client.post(url, data={"reviewer": fresh.public_id})
    assert response.status_code == (400 if who == "admin" else 403), response.status_code
    if who == "admin":
        assert "not waiting for a reviewer" in response.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == events
