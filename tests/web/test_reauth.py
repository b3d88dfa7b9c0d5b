"""Dangerous actions need a second factor shown within ``REAUTH_MINUTES`` (issue 24).

``GUARDED`` lists every endpoint guarded by ``fresh_second_factor``; the tests check that the
list and the app agree, that every view calling a dangerous operation is guarded (so a new
dangerous endpoint cannot slip in unguarded), and that each guarded endpoint refuses, changing
nothing, once the second factor is stale.
"""

from __future__ import annotations

import ast
import datetime as dt
import inspect
import textwrap
from typing import Any

import pytest
from sqlalchemy import select

from certify.accounts.reauth import DANGEROUS_OPERATIONS
from certify.audit.models import AuditEvent
from certify.certificates.models import Certificate
from tests.web.certificate_fixtures import *  # noqa: F403 (the certificate fixtures)
from tests.web.conftest import login, totp_code_for
from tests.web.test_access import COLLECTION_APP, _rule, dummy_url

#: (endpoint, method, role that may use it): every endpoint that needs a fresh second factor.
GUARDED: list[tuple[str, str, str]] = [
    ("accounts.staff", "POST", "admin"),
    ("applications.review", "POST", "reviewer"),
    ("certificates.admin_reinstate", "POST", "admin"),
    ("certificates.admin_suspend", "POST", "admin"),
    ("certificates.admin_withdraw", "POST", "admin"),
    ("followup.confirm_suspension", "POST", "admin"),
    ("followup.extend", "POST", "admin"),
    ("security.passkey_remove", "POST", "admin"),
    ("security.recovery_codes", "POST", "admin"),
    ("security.totp_remove", "POST", "admin"),
]


def _guarded_endpoints(app: Any) -> set[str]:
    return {
        endpoint
        for endpoint, view in app.view_functions.items()
        if getattr(view, "requires_fresh_second_factor", False)
    }


def _names_called(function: Any, seen: set[str] | None = None) -> set[str]:
    """Every name *function* calls, following calls to functions of its own module."""
    while hasattr(function, "__wrapped__"):
        function = function.__wrapped__
    seen = seen if seen is not None else set()
    if function.__qualname__ in seen:
        return set()
    seen.add(function.__qualname__)
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    names: set[str] = set()
    module = inspect.getmodule(function)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            target = node.func
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
            names.add(name)
            helper = getattr(module, name, None)
            if inspect.isfunction(helper) and helper.__module__ == function.__module__:
                names |= _names_called(helper, seen)
    return names


def test_the_list_is_every_guarded_endpoint() -> None:
    assert _guarded_endpoints(COLLECTION_APP) == {endpoint for endpoint, _m, _r in GUARDED}


def test_every_view_that_calls_a_dangerous_operation_is_guarded() -> None:
    unguarded = sorted(
        endpoint
        for endpoint, view in COLLECTION_APP.view_functions.items()
        if _names_called(view) & DANGEROUS_OPERATIONS
        and endpoint not in _guarded_endpoints(COLLECTION_APP)
    )
    assert unguarded == []


def test_the_dangerous_operation_check_finds_a_call_through_a_helper() -> None:
    from certify.certificates import views

    assert "withdraw_certificate" in _names_called(views.admin_withdraw)


@pytest.mark.parametrize(("endpoint", "method", "role"), GUARDED)
def test_each_guarded_endpoint_refuses_a_stale_second_factor(
    app, client, create_user, clock, endpoint, method, role
) -> None:
    login(client, create_user(role))
    clock.advance(dt.timedelta(minutes=5, seconds=1))
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    response = client.open(dummy_url(_rule(app, endpoint, rule.rule)), method=method)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/account/reauth?next=")


def _status(session, serial: str) -> str:
    session.expire_all()
    return session.scalar(select(Certificate.status).where(Certificate.serial == serial))


WITHDRAW = {
    "withdraw-category": "fraud",
    "withdraw-reason": "Forged payroll",
    "withdraw-confirm": "y",
}


def test_a_withdrawal_waits_for_a_fresh_second_factor(
    app, client, session, create_user, make_application, issue, clock
) -> None:
    certificate = issue(make_application())
    admin = create_user("admin")
    login(client, admin)
    clock.advance(dt.timedelta(minutes=10))
    page = f"/admin/certificates/{certificate.serial}"
    refused = client.post(
        f"{page}/withdraw", data=WITHDRAW, headers={"Referer": f"http://registry.test{page}"}
    )
    assert refused.status_code == 303
    assert _status(session, certificate.serial) == "active"
    assert refused.headers["Location"] == f"/account/reauth?next={page}"

    form = client.get(refused.headers["Location"])
    assert "Confirm it is you" in form.get_data(as_text=True)
    confirmed = client.post(refused.headers["Location"], data={"code": "999999"})
    assert confirmed.status_code == 401
    code = totp_code_for(app, admin.email)
    confirmed = client.post(refused.headers["Location"], data={"code": code})
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == page
    assert client.post(f"{page}/withdraw", data=WITHDRAW).status_code == 302
    assert _status(session, certificate.serial) == "withdrawn"
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_id == admin.public_id)
    ).all()
    assert "user.reauthenticated" in actions

    clock.advance(dt.timedelta(minutes=6))  # fresh for REAUTH_MINUTES only
    assert client.post(f"{page}/reinstate", data={"reinstate-reason": "x"}).status_code == 303


@pytest.mark.parametrize("app_config", [{"REAUTH_MINUTES": 30}])
def test_the_window_comes_from_the_settings(
    client, session, create_user, make_application, issue, clock
) -> None:
    certificate = issue(make_application())
    login(client, create_user("admin"))
    clock.advance(dt.timedelta(minutes=20))
    answer = client.post(f"/admin/certificates/{certificate.serial}/withdraw", data=WITHDRAW)
    assert answer.status_code == 302
    assert _status(session, certificate.serial) == "withdrawn"
