"""Characters no field may hold are refused before any work, on SQLite and PostgreSQL alike.

A NUL byte used to reach PostgreSQL (which refuses NUL in text) and give a 500; right-to-left
overrides and zero-width characters reached the registry's pages, the API and the CSV. Every
form field, query parameter, file name and JSON body is checked in one place
(``certify.security.refuse_control_characters``), and every form refuses tab and line breaks in
single-line fields (``certify.forms.Form``).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from certify.accounts.models import Organisation, User
from certify.applications.models import ConflictRegisterEntry, NonConformity
from certify.audit.models import AuditEvent
from certify.core.text import bad_character, for_terminal, text_problem
from tests.web.conftest import PASSWORD, login
from tests.web.test_accounts import REGISTRATION as REGISTER_FORM
from tests.web.test_assessment import case  # noqa: F401 - a case in audit, for the NC form

NUL = "\x00"


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("field", ["email", "password"], ids=["email", "password"])
def test_a_nul_byte_at_sign_in_is_a_400(client, create_user, session, field) -> None:
    user = create_user("admin")
    data = {"email": user.email, "password": PASSWORD}
    data[field] += NUL
    events = _count(session, AuditEvent)
    response = client.post("/login", data=data)
    assert response.status_code == 400
    assert "control character" in response.get_data(as_text=True)
    assert _count(session, AuditEvent) == events


@pytest.mark.parametrize("field", ["legal_name", "full_name", "email", "sites-0-address"])
def test_a_nul_byte_in_registration_is_a_400_and_stores_nothing(client, session, field) -> None:
    data = dict(REGISTER_FORM)
    data[field] = data[field] + NUL
    organisations, users = _count(session, Organisation), _count(session, User)
    response = client.post("/register", data=data)
    assert response.status_code == 400
    assert "U+0000" in response.get_data(as_text=True)
    assert (_count(session, Organisation), _count(session, User)) == (organisations, users)


@pytest.mark.parametrize(
    "value",
    [
        "Acme\u202eLtd",  # right-to-left override
        "Acme\u200bLtd",  # zero-width space
        "Acme\u2066Ltd",  # left-to-right isolate
        "Acme\x1b[31mLtd",  # a terminal colour sequence
    ],
)
def test_invisible_and_control_characters_in_a_name_are_refused(client, session, value) -> None:
    data = dict(REGISTER_FORM, legal_name=value)
    organisations = _count(session, Organisation)
    response = client.post("/register", data=data)
    assert response.status_code == 400
    assert _count(session, Organisation) == organisations


def test_a_line_break_in_a_single_line_field_is_a_form_error(client, session) -> None:
    data = dict(REGISTER_FORM, legal_name="Acme\nLtd")
    response = client.post("/register", data=data)
    assert response.status_code == 400
    assert "single line" in response.get_data(as_text=True)
    assert session.scalar(select(Organisation).where(Organisation.legal_name.like("Acme%"))) is None


def test_scripts_that_need_joiners_are_accepted(client, session) -> None:
    # Devanagari with a zero-width joiner, as Nepali names may be written
    name = "हिमाल डिजि\u200dटल"
    response = client.post("/register", data=dict(REGISTER_FORM, legal_name=name))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert session.scalar(select(Organisation).where(Organisation.legal_name == name))


def test_a_nul_byte_in_the_conflict_register_is_a_400(client, login_as, session) -> None:
    login_as("auditor")
    entries = _count(session, ConflictRegisterEntry)
    response = client.post(
        "/conflicts",
        data={
            "organisation": "",
            "organisation_name": "Kathmandu Works" + NUL,
            "relationship": "Consultant",
            "started_on": "2024-01-01",
        },
    )
    assert response.status_code == 400
    assert _count(session, ConflictRegisterEntry) == entries


def test_a_nul_byte_in_the_nonconformity_form_is_a_400(app, case, session) -> None:  # noqa: F811
    client = app.test_client()
    assert login(client, case["auditor"]).status_code == 302
    before = _count(session, NonConformity)
    response = client.post(
        f"/applications/{case['application'].public_id}/nonconformities",
        data={
            "nc-grade": "minor",
            "nc-criterion": "FW-7",
            "nc-description": "No grievance log" + NUL,
            "nc-corrective_action": "Keep one",
        },
    )
    assert response.status_code == 400
    assert _count(session, NonConformity) == before


def test_a_nul_byte_in_a_query_parameter_is_a_400(client) -> None:
    response = client.get("/registry?q=ab%00cd")
    assert response.status_code == 400
    response = client.get("/api/v1/certificates?q=ab%00cd")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"


def test_a_nul_byte_in_a_path_is_not_found(client) -> None:
    assert client.get("/verify/ISR%00").status_code == 404
    assert client.get("/api/v1/certificates/ISR%00").status_code == 404


def test_a_json_body_with_a_nul_string_is_a_400(client) -> None:
    response = client.post(
        "/api/v1/verify",
        data='{"credentialSubject": {"name": "a\\u0000b"}}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "control character" in response.json["error"]["message"]


def test_multi_line_text_keeps_its_line_breaks() -> None:
    assert text_problem("first line\nsecond\tcolumn\r\n") is None
    assert text_problem("first line\nsecond", multiline=False) is not None


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("plain", None),
        ("a\x00b", "\x00"),
        ("a\x7fb", "\x7f"),
        ("a\x85b", "\x85"),
        ("a\u202eb", "\u202e"),
        ("a\ufeffb", "\ufeff"),
        ("a\u200db", None),
        ("a\u200cb", None),
        ("é ü ñ 中文 العربية", None),
    ],
)
def test_the_character_rule(text, bad) -> None:
    assert bad_character(text) == bad


def test_terminal_output_shows_control_characters_as_escapes() -> None:
    assert for_terminal("Acme\x1b[31m\u202e") == "Acme\\u001b[31m\\u202e"
    assert for_terminal("Himal डिजि\u200dटल") == "Himal डिजि\\u200dटल"


def test_no_such_page_is_a_404_even_with_control_characters(client) -> None:
    assert client.get("/api/v1/certificates///status?at=%00").status_code == 404
    assert client.delete("/registry?q=%00").status_code == 405
