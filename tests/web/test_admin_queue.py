"""The admin's case queue (issue 21): a table with assignees and time in state, a search by
organisation, a state filter and pages; bad query arguments are a 400 with a message."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from certify import clock
from certify.accounts.models import User
from certify.applications.models import Application
from certify.applications.operations import start_application
from certify.applications.queue import PER_PAGE
from certify.core.labels import elapsed
from certify.standards.operations import get_rubric
from tests.web.conftest import login


@pytest.fixture
def cases(app, session, create_user):
    """PER_PAGE + 5 draft applications, "Org 00" waiting longest, each a day apart."""
    with app.app_context():
        rubric = get_rubric("isrps", "1.0", session=session)
        now = clock.now()
        for i in range(PER_PAGE + 5):
            issp = session.get(User, create_user("issp", org_name=f"Org {i:02d}").id)
            application = start_application(session, issp, rubric)
            application.state_changed_at = now - dt.timedelta(days=40 - i)
        session.commit()
    admin = app.test_client()
    login(admin, create_user("admin"))
    return admin


def _rows(page: str) -> list[str]:
    import re

    return re.findall(r'<th scope="row"><a href="/applications/[^"]+">([^<]+)</a>', page)


def test_the_queue_is_a_table_longest_waiting_first_in_pages(cases) -> None:
    first = cases.get("/admin/applications").get_data(as_text=True)
    assert f"{PER_PAGE + 5} cases found" in first
    assert _rows(first)[:2] == ["Org 00", "Org 01"] and len(_rows(first)) == PER_PAGE
    assert "40 days" in first and "Draft" in first
    assert '<th scope="col">Auditor</th>' in first and "Page 1 of 2" in first
    second = cases.get("/admin/applications?page=2").get_data(as_text=True)
    assert _rows(second) == [f"Org {i:02d}" for i in range(PER_PAGE, PER_PAGE + 5)]
    past = cases.get("/admin/applications?page=9").get_data(as_text=True)
    assert "past the last page" in past and "Go to the first page" in past


def test_search_and_state_filter(cases, session) -> None:
    found = cases.get("/admin/applications?q=org+1").get_data(as_text=True)
    assert _rows(found) == [f"Org {i}" for i in range(10, 20)]
    assert _rows(cases.get("/admin/applications?q=%25").get_data(as_text=True)) == []  # literal
    submitted = cases.get("/admin/applications?state=submitted").get_data(as_text=True)
    assert "0 cases found" in submitted and "Show every open case" in submitted
    every = cases.get("/admin/applications?state=all").get_data(as_text=True)
    assert f"{PER_PAGE + 5} cases found" in every
    assert session.scalar(select(Application).limit(1)) is not None


@pytest.mark.parametrize(
    "query", ["state=nonsense", "page=0", "page=-1", "page=abc", "page=99999999999"]
)
def test_bad_query_arguments_are_a_400_with_a_message(cases, query) -> None:
    response = cases.get(f"/admin/applications?{query}")
    assert response.status_code == 400
    assert 'class="flash flash-error"' in response.get_data(as_text=True)


def test_elapsed_words() -> None:
    assert elapsed(dt.timedelta(minutes=59)) == "under an hour"
    assert elapsed(dt.timedelta(hours=1)) == "1 hour"
    assert elapsed(dt.timedelta(hours=23, minutes=59)) == "23 hours"
    assert elapsed(dt.timedelta(days=1)) == "1 day"
    assert elapsed(dt.timedelta(days=3, hours=5)) == "3 days"
    assert elapsed(dt.timedelta(seconds=-5)) == "under an hour"


def test_the_organisations_list_shows_each_issp_with_its_latest_application(cases) -> None:
    page = cases.get("/admin/organisations").get_data(as_text=True)
    assert f"{PER_PAGE + 5} organisations found" in page and "Page 1 of 2" in page
    assert "Org 00" in page and "Draft" in page and "none</span>" in page
    found = cases.get("/admin/organisations?q=org+29").get_data(as_text=True)
    assert "1 organisation found" in found and "Org 29" in found and "Org 28" not in found
    assert cases.get("/admin/organisations?page=x").status_code == 400
    assert '"/admin/organisations"' in cases.get("/dashboard").get_data(as_text=True)
