"""Notifications: written with the change, delivered after the commit, never lost, never twice.

The default transport writes ``.eml`` files to ``instance/mail/``; the SMTP tests run a real
SMTP server (aiosmtpd) in the test process.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from pathlib import Path

import pytest
from sqlalchemy import select

from certify import lifecycle
from certify.accounts.models import User
from certify.core.actor import Actor
from certify.notifications.delivery import deliver_due
from certify.notifications.models import DeliveryStatus, Notification
from certify.notifications.operations import notify
from tests.mail_server import MailServer
from tests.web import certificate_fixtures
from tests.web.conftest import login

issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric
ADMIN = Actor.cli("tester")


def _rows(session, kind: str | None = None) -> list[Notification]:
    session.expire_all()
    query = select(Notification).order_by(Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(session.scalars(query))


def _eml(app) -> list[email.message.Message]:
    folder = Path(app.instance_path) / "mail"
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in sorted(folder.glob("*.eml"))
    ]


@pytest.fixture
def smtp(app):
    server = MailServer().start()
    app.config.update(server.config())
    yield server
    server.stop()


def test_a_status_change_tells_the_holder_by_mail_and_in_the_app(
    app, client, session, make_application, issue, create_user
) -> None:
    member = create_user("issp")
    certificate = issue(make_application(member))
    with app.app_context():
        lifecycle.suspend_certificate(
            session, certificate, ADMIN, "major_nonconformity", "Wages were paid late."
        )
        session.commit()
    row = _rows(session, "certificate.suspended")[0]
    assert row.to_address == member.email and row.status == DeliveryStatus.SENT.value
    message = next(m for m in _eml(app) if m["Message-ID"] == row.message_id)
    assert message["Subject"] == f"Certificate {certificate.serial} is suspended"
    text = message.get_body(("plain",)).get_content()
    assert "Wages were paid late." in text and "withdrawn" in text
    assert message.get_body(("html",)) is not None
    assert "List-Unsubscribe" not in message  # not an optional kind
    login(client, member)
    page = client.get("/notifications").get_data(as_text=True)
    assert f"Certificate {certificate.serial} is suspended" in page


def test_a_rolled_back_change_sends_nothing(app, session, make_application, issue) -> None:
    certificate = issue(make_application())
    before = len(_rows(session))
    with app.app_context():
        lifecycle.withdraw_certificate(session, certificate, ADMIN, "fraud", "Forged")
        session.rollback()
    assert len(_rows(session)) == before


def test_issuance_sends_the_certificate_with_its_pdf_link(
    app, session, make_application, issue, create_user
) -> None:
    member = create_user("issp")
    certificate = issue(make_application(member))
    row = _rows(session, "certificate.issued")[-1]
    assert row.to_address == member.email
    assert f"/certificates/{certificate.serial}.pdf" in row.body_text
    assert row.body_text.count("http://registry.test/") == 2  # absolute links


def test_a_bad_address_or_a_broken_template_never_breaks_the_change(app, session) -> None:
    with app.test_request_context():
        rows = notify(
            session,
            "certificate.expiring",
            ["not an address", "ok@example.org"],
            context={
                "serial": "ISR-X",
                "organisation": "A" * 50_000,
                "days": 30,
                "valid_until": "6 Jan 2027",
            },
        )
        session.commit()
    assert len(rows) == 2
    bad, good = _rows(session)  # read again: the delivery job updated them
    assert bad.status == DeliveryStatus.FAILED.value and "not valid" in bad.last_error
    assert good.status == DeliveryStatus.SENT.value
    assert len(good.body_text) < 5000  # the huge value was cut


def test_smtp_delivery_with_a_refused_recipient(app, session, smtp) -> None:
    with app.test_request_context():
        notify(
            session,
            "certificate.expiring",
            ["a@example.org", "nobody@example.org"],
            context={
                "serial": "ISR-1",
                "organisation": "Kibera",
                "days": 90,
                "valid_until": "6 Mar 2027",
            },
        )
        session.commit()
    sent, refused = _rows(session)
    assert sent.status == DeliveryStatus.SENT.value
    assert [m["To"] for m in smtp.messages] == ["a@example.org"]
    assert smtp.messages[0]["List-Unsubscribe"]  # an optional kind
    assert refused.status == DeliveryStatus.FAILED.value and "refused" in refused.last_error


def test_mail_written_while_the_server_is_down_arrives_when_it_is_back(
    app, session, smtp, clock
) -> None:
    smtp.stop()
    with app.test_request_context():
        notify(
            session,
            "certificate.expiring",
            ["a@example.org"],
            context={
                "serial": "ISR-2",
                "organisation": "Kibera",
                "days": 30,
                "valid_until": "6 Jan 2027",
            },
        )
        session.commit()
    row = _rows(session)[0]
    assert row.status == DeliveryStatus.PENDING.value and row.attempts == 1
    assert "ConnectionRefused" in row.last_error
    smtp.start()
    with app.app_context():
        assert deliver_due() == 0  # not due yet: it waits before trying again
        clock.advance(dt.timedelta(minutes=2))
        assert deliver_due() == 1
        assert deliver_due() == 0  # and never twice
    assert len(smtp.messages) == 1 and _rows(session)[0].status == DeliveryStatus.SENT.value


def test_after_the_last_attempt_the_admin_sees_it_failed_and_can_resend(
    app, client, session, smtp, clock, login_as
) -> None:
    smtp.stop()
    with app.test_request_context():
        notify(
            session,
            "certificate.expiring",
            ["a@example.org"],
            context={
                "serial": "ISR-3",
                "organisation": "Kibera",
                "days": 30,
                "valid_until": "6 Jan 2027",
            },
        )
        session.commit()
    with app.app_context():
        for _ in range(6):
            clock.advance(dt.timedelta(hours=13))
            deliver_due()
    row = _rows(session)[0]
    assert row.status == DeliveryStatus.FAILED.value and row.attempts == 6
    login_as("admin")
    listing = client.get("/admin/mail?status=failed").get_data(as_text=True)
    assert "a@example.org" in listing and "Certificate ISR-3 expires in 30 days" in listing
    smtp.start()
    response = client.post(f"/admin/mail/{row.public_id}/resend")
    assert response.status_code == 302
    assert _rows(session)[0].status == DeliveryStatus.SENT.value
    assert len(smtp.messages) == 1


def test_optional_mail_can_be_switched_off_but_still_shows_in_the_list(
    app, client, session, login_as
) -> None:
    user = login_as("issp")
    response = client.post("/notifications/preferences", data={})  # every box unticked
    assert response.status_code == 302
    with app.test_request_context():
        me = session.get(User, user.id)
        notify(
            session,
            "certificate.expiring",
            [me],
            context={
                "serial": "ISR-4",
                "organisation": "Kibera",
                "days": 30,
                "valid_until": "6 Jan 2027",
            },
        )
        notify(
            session,
            "certificate.withdrawn",
            [me],
            context={
                "serial": "ISR-4",
                "organisation": "Kibera",
                "category": "fraud",
                "reason": "r",
            },
        )
        session.commit()
    expiring, withdrawn = _rows(session)
    assert expiring.status == DeliveryStatus.SKIPPED.value  # optional: not mailed
    assert withdrawn.status == DeliveryStatus.SENT.value  # a decision is always mailed
    page = client.get("/notifications").get_data(as_text=True)
    assert "ISR-4 expires in 30 days" in page and "2 New" not in page
    assert client.post("/notifications/read", data={}).status_code == 302
    assert all(r.read_at for r in _rows(session))


def test_secret_links_are_never_shown_on_the_admins_page(app, client, session, login_as) -> None:
    with app.test_request_context():
        notify(session, "account.password_reset", ["someone@example.org"],
               context={"email": "someone@example.org", "minutes": 30},
               link="/reset/SECRET-TOKEN")  # fmt: skip
        session.commit()
    row = _rows(session)[0]
    assert "SECRET-TOKEN" in row.body_text  # the recipient gets it
    login_as("admin")
    page = client.get(f"/admin/mail/{row.public_id}").get_data(as_text=True)
    assert "SECRET-TOKEN" not in page and "private link" in page


def test_nobody_reads_someone_elses_notifications(app, client, session, create_user) -> None:
    owner, other = create_user("issp"), create_user("issp")
    with app.test_request_context():
        notify(
            session,
            "certificate.expiring",
            [session.get(User, owner.id)],
            context={
                "serial": "ISR-5",
                "organisation": "Mine",
                "days": 90,
                "valid_until": "6 Mar 2027",
            },
        )
        session.commit()
    login(client, other)
    assert "ISR-5" not in client.get("/notifications").get_data(as_text=True)
    row = _rows(session)[0]
    client.post("/notifications/read", data={"notification": row.public_id})
    assert _rows(session)[0].read_at is None
