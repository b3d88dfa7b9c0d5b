"""Clients: registration, watch lists, the e-mail and the signed webhook when a watched
certificate changes, and the SSRF policy on webhook addresses.

Webhooks go to a real HTTP server on 127.0.0.1 started by the test; their signatures are
checked with the Standard Webhooks reference algorithm written in the test
(``tests/web/webhook_receiver.py``), not with certify's code.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from certify.clients.models import DeliveryState, Watch, WebhookDelivery
from certify.notifications.models import DeliveryStatus, Notification
from tests.web import certificate_fixtures
from tests.web.conftest import login
from tests.web.webhook_receiver import spec_verify, webhook_receiver

issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric

LOOPBACK_ALLOWED = {"WEBHOOK_ALLOW_INTERNAL": True, "WEBHOOK_ALLOW_HTTP": True}


def _rows(session, kind: str) -> list[Notification]:
    session.expire_all()
    return list(
        session.scalars(
            select(Notification).where(Notification.kind == kind).order_by(Notification.id)
        )
    )


def _register_and_confirm(client, session, address: str, password: str) -> None:
    page = client.post("/clients/register", data={"full_name": "Priya Buyer", "email": address})
    assert page.status_code == 302
    setup = next(r for r in _rows(session, "account.setup") if r.to_address == address)
    link = re.search(r"/password/reset/[\w-]+", setup.body_text)
    assert link is not None
    confirmed = client.post(
        link.group(0), data={"password": password, "password_confirm": password}
    )
    assert confirmed.status_code == 302, confirmed.get_data(as_text=True)
    assert login(client, address, password).status_code == 302


@pytest.mark.parametrize("app_config", [LOOPBACK_ALLOWED])
def test_a_client_registers_watches_two_certificates_and_hears_of_a_suspension(
    app, client, session, make_application, issue, create_user
) -> None:
    first = issue(make_application(org_name="Nairobi DataWorks"))
    second = issue(make_application(org_name="Lagos Annotate"))
    address, password = "priya@buyer.example", "a long client password"
    _register_and_confirm(client, session, address, password)
    for serial in (first.serial, second.serial.lower().replace("-", " ")):
        assert client.post("/watches", data={"subject": serial}).status_code == 302
    page = client.get("/watches").get_data(as_text=True)
    assert first.serial in page and second.serial in page
    with webhook_receiver() as receiver:
        added = client.post("/webhooks", data={"url": receiver.url})
        assert added.status_code == 200
        secret = re.search(r"whsec_[A-Za-z0-9+/=]+", added.get_data(as_text=True)).group(0)

        admin = create_user("admin")
        admin_client = app.test_client()
        assert login(admin_client, admin).status_code == 302
        suspended = admin_client.post(
            f"/admin/certificates/{first.serial}/suspend",
            data={
                "suspend-category": "major_nonconformity",
                "suspend-reason": "Wages were paid late (private).",
                "suspend-confirm": "y",
            },
        )
        assert suspended.status_code == 302

        # the e-mail: through the outbox, sent, naming the certificate, not the reason text
        mail = [r for r in _rows(session, "watch.update") if r.to_address == address]
        assert len(mail) == 1 and mail[0].status == DeliveryStatus.SENT.value
        eml = Path(app.instance_path) / "mail"
        messages = [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in eml.glob("*.eml")
        ]
        message = next(m for m in messages if m["Message-ID"] == mail[0].message_id)
        assert first.serial in message["Subject"] and "suspended" in message["Subject"]
        text = message.get_body(("plain",)).get_content()
        assert "major non-conformity" in text.lower() or "major nonconformity" in text.lower()
        assert "Wages were paid late" not in text

        # the webhook: one POST, signed per Standard Webhooks, verified independently
        assert len(receiver.received) == 1
        got = receiver.received[0]
        assert spec_verify(secret, got.headers, got.body)
        assert not spec_verify("whsec_" + "A" * 44, got.headers, got.body)
        payload = json.loads(got.body)
        assert payload["type"] == "certificate.suspended"
        assert payload["data"]["serial"] == first.serial
        assert payload["data"]["status"] == "suspended"
        assert payload["data"]["reasonCategory"] == "major_nonconformity"
        assert "Wages" not in got.body.decode()
    session.expire_all()
    row = session.scalars(select(WebhookDelivery)).one()
    assert row.status == DeliveryState.DELIVERED.value and row.last_status_code == 204
    assert client.get("/webhooks").get_data(as_text=True).count(row.msg_id) == 1


@pytest.mark.parametrize("app_config", [LOOPBACK_ALLOWED])
def test_a_failed_webhook_is_retried_with_the_same_id_and_a_rotated_secret_still_signs(
    app, client, session, clock, make_application, issue, create_user
) -> None:
    from datetime import timedelta

    from certify import lifecycle
    from certify.clients.delivery import deliver_due_webhooks
    from certify.core.actor import Actor

    certificate = issue(make_application())
    user = create_user("client")
    login(client, user)
    client.post("/watches", data={"subject": certificate.serial})
    with webhook_receiver() as receiver:
        receiver.answers = [503]
        page = client.post("/webhooks", data={"url": receiver.url}).get_data(as_text=True)
        old_secret = re.search(r"whsec_[A-Za-z0-9+/=]+", page).group(0)
        endpoint_id = re.search(r"/webhooks/([\w-]+)/rotate", page).group(1)
        with app.app_context():
            lifecycle.suspend_certificate(
                session, certificate, Actor.cli("t"), "administrative", "Paperwork."
            )
            session.commit()
        assert len(receiver.received) == 1
        session.expire_all()
        row = session.scalars(select(WebhookDelivery)).one()
        assert row.status == "pending" and row.attempts == 1 and row.last_status_code == 503
        rotated = client.post(f"/webhooks/{endpoint_id}/rotate").get_data(as_text=True)
        new_secret = re.search(r"whsec_[A-Za-z0-9+/=]+", rotated).group(0)
        assert new_secret != old_secret
        clock.advance(timedelta(seconds=6))
        with app.app_context():
            assert deliver_due_webhooks() == 1
        second = receiver.received[1]
        assert second.headers["webhook-id"] == receiver.received[0].headers["webhook-id"]
        assert second.body == receiver.received[0].body
        assert spec_verify(new_secret, second.headers, second.body)
        assert spec_verify(old_secret, second.headers, second.body)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.0.0.1/hook",
        "https://[::1]/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://192.168.1.20:8443/x",
        "https://[::ffff:10.0.0.1]/hook",
        "https://localhost/hook",
        "http://example.com/hook",  # plain http is not allowed by default
        "https://user:pw@example.com/hook",
        "https://example.com:22/hook",
        "ftp://example.com/hook",
    ],
)
def test_webhooks_to_internal_addresses_are_refused(client, session, create_user, url) -> None:
    login(client, create_user("client"))
    page = client.post("/webhooks", data={"url": url})
    assert page.status_code == 400
    assert "refused" in page.get_data(as_text=True)


@pytest.mark.parametrize("app_config", [LOOPBACK_ALLOWED])
def test_an_admin_setting_allows_loopback_webhooks_for_tests(client, create_user) -> None:
    login(client, create_user("client"))
    for url in ("http://127.0.0.1:8080/hook", "http://10.0.0.1/hook"):
        assert client.post("/webhooks", data={"url": url}).status_code == 200


def test_watching_an_unknown_serial_says_so(client, create_user, session) -> None:
    login(client, create_user("client"))
    page = client.post("/watches", data={"subject": "ISR-0000-0000-0000-0"})
    assert page.status_code == 400
    assert "No certificate has the serial" in page.get_data(as_text=True)
    assert client.post("/watches", data={"subject": "%"}).status_code == 400  # no wildcards
    assert session.scalars(select(Watch)).all() == []


def test_watching_an_organisation_tells_of_its_new_certificate(
    app, client, session, make_application, issue, create_user
) -> None:
    member = create_user("issp", org_name="Kigali Voice")
    issue(make_application(member))
    user = create_user("client")
    login(client, user)
    assert client.post("/watches", data={"subject": "kigali voice"}).status_code == 302
    renewal = issue(make_application(member))
    mail = [r for r in _rows(session, "watch.update") if r.to_address == user.email]
    assert [renewal.serial in m.subject for m in mail].count(True) == 1


def test_an_expiry_warning_reaches_the_watchers_too(
    app, client, session, make_application, issue, create_user
) -> None:
    from datetime import timedelta

    from certify.jobs.duties import warn_expiring_certificates

    certificate = issue(make_application())
    user = create_user("client")
    login(client, user)
    client.post("/watches", data={"subject": certificate.serial})
    with app.app_context():
        warn_expiring_certificates(certificate.valid_until - timedelta(days=80))
    mail = [r for r in _rows(session, "watch.update") if r.to_address == user.email]
    assert len(mail) == 1 and "expires in 90 days" in mail[0].subject
