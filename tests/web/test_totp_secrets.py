"""TOTP secrets sealed at rest (issue 24): the column never holds the base32 secret, a sealed
secret opens only on its own row, rows stored before sealing keep working and are sealed at
their next use or by ``users seal-totp-secrets``, and a KEK in a PKCS#11 token seals them too.
The raw column is read with SQL, as someone holding a copy of the database would."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text

from certify.accounts.cli import remind_unsealed_totp_secrets, seal_totp_secrets
from certify.audit.models import AuditEvent
from certify.core.column_seal import is_sealed, sealed_kek_id
from certify.evidence.kek import kek_path, read_kek
from certify.state import app_state
from certify.storage.setup import instance_kek
from tests.web.conftest import PASSWORD, TEST_TOTP_SECRET, login, totp_code_for
from tests.web.test_second_factor import _enrol_totp


def _raw_secret(session, user) -> str:
    session.expire_all()
    return session.execute(
        text("SELECT secret FROM totp_credential WHERE user_id = :user"), {"user": user.id}
    ).scalar_one()


def _store_raw(session, user, value: str) -> None:
    session.execute(
        text("UPDATE totp_credential SET secret = :value WHERE user_id = :user"),
        {"value": value, "user": user.id},
    )
    session.commit()


def _sealed_events(session, user) -> list[str | None]:
    session.expire_all()
    return list(
        session.scalars(
            select(AuditEvent.after)
            .where(
                AuditEvent.subject_id == user.public_id,
                AuditEvent.action == "user.totp_secret_sealed",
            )
            .order_by(AuditEvent.seq)
        )
    )


def _second_step(client, user, code: str | None):
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    return client.post("/login/second-factor", data={"code": code})


def test_an_enrolled_secret_is_stored_sealed_never_in_base32(
    app, client, create_user, session, clock
) -> None:
    admin = create_user("admin")  # given its app by the command-line path (add_totp)
    raw = _raw_secret(session, admin)
    assert is_sealed(raw) and TEST_TOTP_SECRET not in raw

    reviewer = create_user("reviewer", second_factor=False)
    login(client, reviewer)
    secret, _codes = _enrol_totp(client, clock)  # through the pages
    raw = _raw_secret(session, reviewer)
    assert is_sealed(raw) and secret not in raw
    with app.app_context():
        assert sealed_kek_id(raw) == instance_kek().key_id
    client.post("/logout")
    assert login(client, reviewer).status_code == 302


def test_the_demo_secret_is_stored_sealed_and_the_printed_one_still_signs_in(
    app, client, session, clock
) -> None:
    from certify.accounts.models import User
    from certify.demo import DEMO_TOTP_SECRET, load_demo

    with app.app_context():
        load_demo(echo=lambda _m: None, session=session)
    raws = session.execute(text("SELECT secret FROM totp_credential")).scalars().all()
    assert raws and all(is_sealed(raw) and DEMO_TOTP_SECRET not in raw for raw in raws)
    admin = session.scalar(select(User).where(User.email == "admin@demo.certify.test"))
    assert login(client, admin, "demo-admin-2026").status_code == 302
    assert client.get("/dashboard").status_code == 200


def test_a_sealed_secret_copied_onto_another_users_row_does_not_open(
    app, client, create_user, session, clock
) -> None:
    owner, other = create_user("admin"), create_user("admin")
    # both apps hold TEST_TOTP_SECRET: only the binding to the row tells them apart
    _store_raw(session, other, _raw_secret(session, owner))
    refused = _second_step(client, other, totp_code_for(app, owner.email))
    assert refused.status_code == 401
    assert "cannot be checked on this server" in refused.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302  # not signed in
    # a damaged value is refused the same clean way, and on the re-authentication page too
    _store_raw(session, other, "sealed1:not-base64-at-all!")
    assert _second_step(app.test_client(), other, "123456").status_code == 401
    signed_in = app.test_client()
    assert login(signed_in, owner).status_code == 302  # the owner's own row still opens
    _store_raw(session, owner, _raw_secret(session, other))
    reauth = signed_in.post("/account/reauth", data={"code": "123456"})
    assert reauth.status_code == 401
    assert "cannot be checked" in reauth.get_data(as_text=True)


def test_a_plaintext_secret_from_before_sealing_signs_in_and_is_sealed_after_use(
    app, client, create_user, session, clock
) -> None:
    admin = create_user("admin")
    _store_raw(session, admin, TEST_TOTP_SECRET)  # as every row was before this version
    assert _second_step(client, admin, "000000").status_code == 401
    assert _raw_secret(session, admin) == TEST_TOTP_SECRET  # a wrong code seals nothing

    assert login(client, admin).status_code == 302
    raw = _raw_secret(session, admin)
    assert is_sealed(raw) and TEST_TOTP_SECRET not in raw
    assert _sealed_events(session, admin) == ['{"by":"use"}']
    client.post("/logout")
    assert login(client, admin).status_code == 302  # and the sealed one signs in
    assert len(_sealed_events(session, admin)) == 1


def test_the_command_seals_the_rest_and_is_idempotent(
    app, client, create_user, session, clock
) -> None:
    admins = [create_user("admin") for _ in range(3)]
    for admin in admins[:2]:
        _store_raw(session, admin, TEST_TOTP_SECRET)
    reminded: list[str] = []
    with app.app_context():
        remind_unsealed_totp_secrets(reminded.append)
    assert reminded and "2 stored in plaintext" in reminded[0]
    assert "users seal-totp-secrets" in reminded[0]

    runner = app.test_cli_runner()
    first = runner.invoke(seal_totp_secrets)
    assert first.exit_code == 0, first.output
    assert "sealed 2 TOTP secret(s)" in first.output
    assert all(is_sealed(_raw_secret(session, admin)) for admin in admins)
    assert [_sealed_events(session, admin) for admin in admins] == [
        ['{"by":"command"}'],
        ['{"by":"command"}'],
        [],
    ]
    again = runner.invoke(seal_totp_secrets)
    assert again.exit_code == 0 and "sealed 0 TOTP secret(s)" in again.output
    reminded.clear()
    with app.app_context():
        remind_unsealed_totp_secrets(reminded.append)
    assert reminded == []
    for admin in admins:
        assert login(app.test_client(), admin).status_code == 302


def test_a_kek_that_cannot_be_read_stops_the_command_and_seals_nothing(
    app, create_user, session
) -> None:
    admin = create_user("admin")
    _store_raw(session, admin, TEST_TOTP_SECRET)
    kek_path(app.config).write_text("not a key\n")
    app_state(app).evidence_store = None  # as a new process would read it
    result = app.test_cli_runner().invoke(seal_totp_secrets)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "key-encryption key is not usable" in result.output
    assert "evidence-kek.key" in result.output
    assert _raw_secret(session, admin) == TEST_TOTP_SECRET


@pytest.mark.parametrize("app_config", [{"EVIDENCE_ENCRYPTION": False}])
def test_secrets_are_sealed_when_evidence_is_not_encrypted(
    app, client, create_user, session
) -> None:
    admin = create_user("admin")
    raw = _raw_secret(session, admin)
    assert is_sealed(raw) and TEST_TOTP_SECRET not in raw
    assert sealed_kek_id(raw) == read_kek(kek_path(app.config)).key_id
    assert login(client, admin).status_code == 302


def test_enrolling_while_the_kek_cannot_be_read_is_refused_with_a_message(
    app, client, create_user, session, clock
) -> None:
    from certify.core.second_factor import step_at, totp_code

    reviewer = create_user("reviewer", second_factor=False)
    login(client, reviewer)
    page = client.get("/account/security/totp").get_data(as_text=True)
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    kek_path(app.config).parent.mkdir(parents=True, exist_ok=True)
    kek_path(app.config).write_text("not a key\n")
    app_state(app).evidence_store = None
    answer = client.post(
        "/account/security/totp", data={"code": totp_code(secret, step_at(clock.now()))}
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "cannot be stored now" in html
    assert "evidence-kek.key" not in html  # the operator's detail is logged, not shown
    assert session.scalar(text("SELECT count(*) FROM totp_credential")) == 0
