"""Dangerous actions ask before they act (issue 21): the public reason category is always
chosen, never defaulted; suspending and withdrawing need a ticked confirmation; removing a file
goes through a confirmation page. Nothing changes until the second step."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from certify.applications.models import Evidence
from certify.certificates.models import Certificate
from tests.web.certificate_fixtures import *  # noqa: F403 (the certificate fixtures)
from tests.web.test_applications import _pdf_bytes, _upload, applicant, start  # noqa: F401

_FULL = {
    "suspend": {
        "suspend-category": "major_nonconformity",
        "suspend-reason": "Wages paid late for two months",
        "suspend-confirm": "y",
    },
    "withdraw": {
        "withdraw-category": "fraud",
        "withdraw-reason": "Forged payroll",
        "withdraw-confirm": "y",
    },
}


def _status(session, serial: str) -> str:
    session.expire_all()
    return session.scalar(select(Certificate.status).where(Certificate.serial == serial))


@pytest.fixture
def admin_and_certificate(client, login_as, make_application, issue):
    certificate = issue(make_application())
    login_as("admin")
    return certificate


def test_the_public_category_starts_empty(client, admin_and_certificate) -> None:
    page = client.get(f"/admin/certificates/{admin_and_certificate.serial}")
    html = page.get_data(as_text=True)
    for action in ("suspend", "withdraw"):
        select_html = re.search(rf'<select[^>]*name="{action}-category".*?</select>', html, re.S)
        assert select_html is not None
        first = re.search(r"<option([^>]*)>([^<]*)</option>", select_html.group(0))
        assert first is not None and 'value=""' in first.group(1), first
        assert "selected" not in select_html.group(0).replace(first.group(0), "")
        assert f'name="{action}-confirm"' in html
    assert html.count('class="btn-danger"') == 2


@pytest.mark.parametrize("action", ["suspend", "withdraw"])
@pytest.mark.parametrize(
    ("missing", "message"),
    [("category", "Choose a reason category."), ("confirm", "Tick the box to confirm")],
)
def test_nothing_happens_without_a_category_or_the_tick(
    client, session, admin_and_certificate, action, missing, message
) -> None:
    serial = admin_and_certificate.serial
    data = {k: v for k, v in _FULL[action].items() if k != f"{action}-{missing}"}
    response = client.post(f"/admin/certificates/{serial}/{action}", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _status(session, serial) == "active"


@pytest.mark.parametrize("action", ["suspend", "withdraw"])
def test_with_both_the_action_is_taken(client, session, admin_and_certificate, action) -> None:
    serial = admin_and_certificate.serial
    response = client.post(f"/admin/certificates/{serial}/{action}", data=_FULL[action])
    assert response.status_code == 302
    assert _status(session, serial) == {"suspend": "suspended", "withdraw": "withdrawn"}[action]
    page = client.get(f"/admin/certificates/{serial}").get_data(as_text=True)
    # The history names people and categories, not identifiers.
    history = page[page.index("<h2>History</h2>") :]
    history = history[: history.index("</section>")]
    label = {"suspend": "Major non-conformity", "withdraw": "Fraud"}[action]
    assert label in history and "user:" not in history and "_" not in history


def test_removing_a_file_asks_first(client, session, applicant) -> None:  # noqa: F811
    public_id = start(client)
    assert _upload(client, public_id, _pdf_bytes(), "policy.pdf", "IH-1").status_code == 302
    item = session.scalars(select(Evidence)).one()
    listing = client.get(f"/applications/{public_id}/evidence").get_data(as_text=True)
    confirm_url = f"/applications/{public_id}/evidence/{item.public_id}/remove"
    assert f'href="{confirm_url}"' in listing  # a link to the confirmation, not a one-click form

    # A post that did not come from the confirmation page only leads to it.
    response = client.post(confirm_url, data={})
    assert response.status_code == 302 and response.headers["Location"].endswith(confirm_url)
    session.expire_all()
    assert session.scalars(select(Evidence)).all() != []

    page = client.get(confirm_url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "policy.pdf" in html and "cannot be undone" in html and "Keep it" in html
    response = client.post(confirm_url, data={"confirmed": "yes"})
    assert response.status_code == 302
    session.expire_all()
    assert session.scalars(select(Evidence)).all() == []
    assert "policy.pdf was removed" in client.get(f"/applications/{public_id}/evidence").get_data(
        as_text=True
    )
