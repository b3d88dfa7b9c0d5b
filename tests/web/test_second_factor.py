"""Second factors for staff (issue 24): forced enrolment, TOTP codes that work once, recovery
codes shown once and kept hashed, throttled attempts, and the settings that extend the rule.

Passkey ceremonies need a real authenticator: ``tests/browser/test_second_factor.py`` runs them
in Chromium with its virtual authenticator.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import select

from certify.accounts.factor_models import RecoveryCode, TotpCredential
from certify.audit.models import AuditEvent
from certify.core.second_factor import step_at, totp_code
from tests.web.conftest import PASSWORD, TEST_TOTP_SECRET, login, totp_code_for


def _password_step(client, user, **query):
    return client.post(
        "/login", data={"email": user.email, "password": PASSWORD}, query_string=query
    )


def _actions(session, user) -> list[str]:
    session.expire_all()
    return list(
        session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject_id == user.public_id)
            .order_by(AuditEvent.seq)
        )
    )


def opened_secret(app, session, user) -> str:
    """*user*'s TOTP secret as the app opens it (the column holds it sealed)."""
    from certify.accounts.totp_secrets import read_secret

    session.expire_all()
    credential = session.scalar(select(TotpCredential).where(TotpCredential.user_id == user.id))
    with app.app_context():
        return read_secret(credential, user)


def _enrol_totp(client, clock) -> tuple[str, list[str]]:
    """Enrol an authenticator app through the pages; returns its secret and recovery codes."""
    page = client.get("/account/security/totp").get_data(as_text=True)
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    assert 'src="data:image/svg+xml' in page  # the QR code, inline (no request elsewhere)
    code = totp_code(secret, step_at(clock.now()))
    answer = client.post("/account/security/totp", data={"code": code})
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    codes = re.findall(r"<li><code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code></li>", html)
    return secret, codes


def test_staff_who_must_hold_a_factor_enrol_before_anything_else(
    app, client, create_user, session, clock
) -> None:
    admin = create_user("admin", second_factor=False)
    answer = _password_step(client, admin)
    assert answer.headers["Location"] == "/account/security"
    # every other page sends them back to enrol
    for path in ("/dashboard", "/admin/certificates", "/"):
        refused = client.get(path)
        assert refused.status_code == 303 and refused.headers["Location"] == "/account/security"
    assert client.get("/account/security").status_code == 200
    assert client.get("/account/sessions").status_code == 200

    secret, codes = _enrol_totp(client, clock)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/dashboard").status_code == 200
    # only hashes are kept, never the codes
    stored = session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not any(c in " ".join(stored) for c in codes)
    assert "user.totp_enrolled" in _actions(session, admin)
    assert "user.recovery_codes_made" in _actions(session, admin)
    # the secret is stored sealed (tests/web/test_totp_secrets.py), and opens to the app's
    assert opened_secret(app, session, admin) == secret


def test_a_wrong_first_code_enrols_nothing(client, create_user, session) -> None:
    login(client, create_user("reviewer", second_factor=False))
    client.get("/account/security/totp")
    answer = client.post("/account/security/totp", data={"code": "000000"})
    assert answer.status_code == 400
    assert "does not match" in answer.get_data(as_text=True)
    assert session.scalar(select(TotpCredential.id)) is None


def test_signing_in_asks_for_the_code_and_each_code_works_once(
    app, client, create_user, clock
) -> None:
    admin = create_user("admin")
    answer = _password_step(client, admin, next="/admin/certificates")
    assert answer.headers["Location"] == "/login/second-factor"
    assert client.get("/dashboard").status_code == 302  # not signed in yet
    wrong = client.post("/login/second-factor", data={"code": "123456"})
    assert wrong.status_code == 401
    code = totp_code_for(app, admin.email)
    right = client.post("/login/second-factor", data={"code": code})
    assert right.status_code == 302 and right.headers["Location"] == "/admin/certificates"
    assert client.get("/dashboard").status_code == 200

    other = app.test_client()
    _password_step(other, admin)
    replayed = other.post("/login/second-factor", data={"code": code})
    assert replayed.status_code == 401  # the same code, a second time: refused
    assert "already used" in replayed.get_data(as_text=True)


def test_the_second_step_expires(client, create_user, clock) -> None:
    admin = create_user("admin")
    _password_step(client, admin)
    clock.advance(dt.timedelta(minutes=6))
    answer = client.get("/login/second-factor")
    assert answer.status_code == 302 and answer.headers["Location"] == "/login"


def test_a_recovery_code_works_once(app, client, create_user, session, clock) -> None:
    reviewer = create_user("reviewer", second_factor=False)
    login(client, reviewer)
    _secret, codes = _enrol_totp(client, clock)
    client.post("/logout")

    _password_step(client, reviewer)
    used = client.post("/login/second-factor", data={"code": codes[0].upper()})
    assert used.status_code == 302
    client.post("/logout")
    _password_step(client, reviewer)
    again = client.post("/login/second-factor", data={"code": codes[0]})
    assert again.status_code == 401
    assert "user.recovery_code_used" in _actions(session, reviewer)
    assert session.scalar(select(RecoveryCode.used_at).where(RecoveryCode.used_at.is_not(None)))


def test_wrong_codes_are_throttled_per_account(app, client, create_user, clock) -> None:
    admin = create_user("admin")
    _password_step(client, admin)
    statuses = [
        client.post("/login/second-factor", data={"code": "000000"}).status_code for _ in range(6)
    ]
    assert statuses[:5] == [401] * 5 and statuses[5] == 429
    # while the wait holds, even the right code is not checked, from any device
    other = app.test_client()
    _password_step(other, admin)
    waiting = other.post("/login/second-factor", data={"code": totp_code_for(app, admin.email)})
    assert waiting.status_code == 429 and int(waiting.headers["Retry-After"]) > 0
    clock.advance(dt.timedelta(minutes=2))
    answer = other.post("/login/second-factor", data={"code": totp_code_for(app, admin.email)})
    assert answer.status_code == 302


def test_auditors_and_issps_need_no_factor_by_default(client, create_user) -> None:
    auditor = create_user("auditor")
    assert _password_step(client, auditor).headers["Location"] == "/dashboard"


@pytest.mark.parametrize("app_config", [{"SECOND_FACTOR_ROLES": ["admin", "reviewer", "auditor"]}])
def test_a_setting_extends_the_rule_to_auditors(client, create_user) -> None:
    auditor = create_user("auditor", second_factor=False)
    assert _password_step(client, auditor).headers["Location"] == "/account/security"
    assert client.get("/dashboard").status_code == 303


def test_the_last_factor_cannot_be_removed(client, create_user, session) -> None:
    admin = create_user("admin")
    login(client, admin)
    answer = client.post("/account/security/totp/remove", follow_redirects=True)
    assert "needs a second factor" in answer.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(TotpCredential.id)) is not None


def test_demo_staff_hold_the_printed_demo_totp(app, session) -> None:
    from certify.accounts.models import User
    from certify.demo import DEMO_TOTP_SECRET, load_demo, print_demo_accounts

    with app.app_context():
        load_demo(echo=lambda _m: None, session=session)
        printed: list[str] = []
        print_demo_accounts(printed.append)
    assert any(DEMO_TOTP_SECRET in line and "DEMO ONLY" in line for line in printed)
    admin = session.scalar(select(User).where(User.email == "admin@demo.certify.test"))
    assert opened_secret(app, session, admin) == DEMO_TOTP_SECRET != TEST_TOTP_SECRET


def test_passkey_options_name_this_registry_as_relying_party(client, create_user) -> None:
    login(client, create_user("admin"))
    answer = client.post("/account/security/passkeys/challenge")
    assert answer.status_code == 200
    options = json.loads(answer.get_data(as_text=True))
    assert options["rp"]["id"] == "registry.test"  # PUBLIC_URL's host
    assert options["authenticatorSelection"]["userVerification"] == "required"
    # a made-up answer is refused and nothing is stored
    refused = client.post(
        "/account/security/passkeys", json={"credential": {"id": "x", "response": {}}}
    )
    assert refused.status_code == 400


def test_an_operator_resets_the_factors_of_someone_who_lost_them(
    app, client, create_user, session
) -> None:
    from certify.accounts.cli import reset_second_factor

    admin = create_user("admin")
    login(client, admin)
    result = app.test_cli_runner().invoke(reset_second_factor, [admin.email.upper()])
    assert result.exit_code == 0, result.output
    assert "removed 1 second factor(s)" in result.output
    assert client.get("/dashboard").status_code == 302  # their sessions ended
    session.expire_all()
    assert session.scalar(select(TotpCredential.id)) is None
    assert "user.second_factors_reset" in _actions(session, admin)
    # their next sign-in asks them to enrol again
    assert _password_step(client, admin).headers["Location"] == "/account/security"
