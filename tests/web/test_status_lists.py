"""Status lists and the lifecycle: suspend, reinstate, withdraw, expiry; CLI, admin pages and
the dashboard provider."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from certify import clock, signals
from certify.audit.models import AuditEvent
from certify.certificates.models import Certificate, CertificateStatus
from certify.certificates.operations import CertificateError
from certify.core.actor import Actor
from certify.lifecycle import reinstate_certificate, suspend_certificate, withdraw_certificate
from tests.web import certificate_fixtures
from tests.web.independent_verifier import status_bit, verify

# fixtures shared by the certificate tests
issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric

ADMIN = Actor.user("admin-public-id")


def lists_of(client, certificate: Certificate) -> dict[str, tuple[dict, int]]:
    """purpose -> (the served, independently verified list credential, this index)."""
    did = json.loads(client.get("/.well-known/did.json").data)
    found = {}
    for entry in json.loads(certificate.credential)["credentialStatus"]:
        path = entry["statusListCredential"].removeprefix("http://registry.test")
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        listed = json.loads(response.data)
        assert verify(listed, did), "the status list's own proof must verify"
        assert listed["credentialSubject"]["statusPurpose"] == entry["statusPurpose"]
        found[entry["statusPurpose"]] = (listed, int(entry["statusListIndex"]))
    return found


def bits(client, certificate) -> dict[str, bool]:
    return {p: status_bit(doc, i) for p, (doc, i) in lists_of(client, certificate).items()}


def run(app, session, fn):
    with app.app_context():
        result = fn()
        session.commit()
    return result


def test_suspend_and_reinstate_flip_the_suspension_bit(
    app, client, session, make_application, issue
) -> None:
    certificate = issue(make_application())
    credential = certificate.credential
    assert bits(client, certificate) == {"revocation": False, "suspension": False}
    run(
        app,
        session,
        lambda: suspend_certificate(
            session, certificate, ADMIN, "major_nonconformity", "NC-3 not closed in time"
        ),
    )
    assert bits(client, certificate) == {"revocation": False, "suspension": True}
    assert certificate.status_at(clock.now()) is CertificateStatus.SUSPENDED
    # up to the standard's maximum (ISRPS: 6 months) by default
    assert 180 <= (certificate.suspended_until - clock.now()).days <= 185
    run(
        app,
        session,
        lambda: reinstate_certificate(session, certificate, ADMIN, "NC-3 closed and verified"),
    )
    assert bits(client, certificate) == {"revocation": False, "suspension": False}
    session.expire_all()
    stored = session.get(Certificate, certificate.id)
    assert stored.status == "active" and stored.suspended_until is None
    assert stored.credential == credential  # issued bytes never change
    assert [(c.previous_status, c.new_status, c.reason_category) for c in stored.changes] == [
        (None, "active", None),
        ("active", "suspended", "major_nonconformity"),
        ("suspended", "active", None),
    ]
    assert stored.changes[1].actor == str(ADMIN)
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_id == certificate.serial)
    ).all()
    assert actions == ["certificate.issued", "certificate.suspended", "certificate.reinstated"]


def test_other_certificates_bits_are_untouched(app, client, session, make_application, issue):
    one, two = issue(make_application()), issue(make_application())
    run(app, session, lambda: withdraw_certificate(session, one, ADMIN, "fraud", "Forged payroll"))
    assert bits(client, one) == {"revocation": True, "suspension": False}
    assert bits(client, two) == {"revocation": False, "suspension": False}


def test_withdraw_sets_revocation_and_clears_suspension(
    app, client, session, make_application, issue
) -> None:
    certificate = issue(make_application())
    run(
        app,
        session,
        lambda: suspend_certificate(session, certificate, ADMIN, "administrative", "Fees unpaid"),
    )
    run(
        app,
        session,
        lambda: withdraw_certificate(
            session, certificate, ADMIN, "holder_request", "The holder asked"
        ),
    )
    assert bits(client, certificate) == {"revocation": True, "suspension": False}
    assert certificate.status == "withdrawn"
    with app.app_context(), pytest.raises(CertificateError, match="already withdrawn"):
        withdraw_certificate(session, certificate, ADMIN, "other", "again")
    with app.app_context(), pytest.raises(CertificateError, match="only a suspended"):
        reinstate_certificate(session, certificate, ADMIN, "undo")


@pytest.mark.parametrize(
    ("category", "reason", "until_days", "message"),
    [
        ("bogus", "x", None, "unknown reason category"),
        ("fraud", "   ", None, "write the reason"),
        ("fraud", "x" * 4001, None, "longer than"),
        ("fraud", "ok", -1, "in the future"),
        ("fraud", "ok", 200, "at most 6 months"),
    ],
)
def test_suspension_rules(
    app, session, make_application, issue, category, reason, until_days, message
) -> None:
    certificate = issue(make_application())
    until = clock.now() + dt.timedelta(days=until_days) if until_days is not None else None
    with app.app_context(), pytest.raises(CertificateError, match=message):
        suspend_certificate(session, certificate, ADMIN, category, reason, until)
    session.rollback()
    assert session.get(Certificate, certificate.id).status == "active"


def test_a_shorter_suspension_is_kept(app, session, make_application, issue) -> None:
    certificate = issue(make_application())
    until = clock.now() + dt.timedelta(days=30)
    run(app, session, lambda: suspend_certificate(session, certificate, ADMIN, "other", "x", until))
    assert certificate.suspended_until == until
    with app.app_context(), pytest.raises(CertificateError, match="only an active"):
        suspend_certificate(session, certificate, ADMIN, "other", "twice")


def test_expiry_is_computed_from_the_date(make_application, issue) -> None:
    certificate = issue(make_application())
    last_second = certificate.valid_until
    assert certificate.status_at(last_second) is CertificateStatus.ACTIVE
    assert certificate.status_at(last_second + dt.timedelta(seconds=1)) is (
        CertificateStatus.EXPIRED
    )
    assert certificate.status == "active"  # never stored


def test_an_expired_certificate_cannot_be_suspended(app, session, make_application, issue):
    certificate = issue(make_application())
    later = certificate.valid_until + dt.timedelta(days=2)
    with app.app_context(), pytest.raises(CertificateError, match="expired"):
        suspend_certificate(session, certificate, ADMIN, "other", "late", now=later)


def test_unknown_status_lists_are_404(client) -> None:
    assert client.get("/status/revocation/nope").status_code == 404
    assert client.get("/status/other/nope").status_code == 404


# --------------------------------------------------------------------------- CLI


def test_cli_lifecycle_with_a_typed_serial(app, client, session, make_application, issue):
    certificate = issue(make_application())
    typed = " ".join(certificate.serial.lower().split("-"))
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["certificates", "suspend", typed, "--category", "fraud", "--reason", "Checking"]
    )
    assert result.exit_code == 0, result.output
    assert f"{certificate.serial}: active -> suspended" in result.output
    assert bits(client, certificate)["suspension"] is True
    listed = runner.invoke(args=["certificates", "list", "--status", "suspended"])
    assert certificate.serial in listed.output
    again = runner.invoke(
        args=["certificates", "suspend", certificate.serial, "--category", "fraud", "--reason", "x"]
    )
    assert again.exit_code == 1 and "refused" in again.output
    result = runner.invoke(args=["certificates", "reinstate", typed, "--reason", "Cleared"])
    assert result.exit_code == 0, result.output
    assert bits(client, certificate)["suspension"] is False
    result = runner.invoke(
        args=["certificates", "withdraw", typed, "--category", "other", "--reason", "Closed"]
    )
    assert result.exit_code == 0, result.output
    session.expire_all()
    stored = session.get(Certificate, certificate.id)
    assert stored.status == "withdrawn"
    assert all(c.actor.startswith("cli:") for c in stored.changes[1:])


def test_cli_refuses_bad_serials(app) -> None:
    runner = app.test_cli_runner()
    bad = runner.invoke(
        args=["certificates", "withdraw", "ISR-XXXX", "--category", "other", "--reason", "x"]
    )
    assert bad.exit_code == 2 and "too short" in bad.output
    unknown = runner.invoke(
        args=[
            "certificates",
            "withdraw",
            "ISR-0000-0000-0000-0",
            "--category",
            "other",
            "--reason",
            "x",
        ]
    )
    assert unknown.exit_code == 1 and "no certificate" in unknown.output
    category = runner.invoke(
        args=[
            "certificates",
            "withdraw",
            "ISR-0000-0000-0000-0",
            "--category",
            "x",
            "--reason",
            "y",
        ]
    )
    assert category.exit_code == 2


# --------------------------------------------------------------------------- admin pages


def test_admin_pages_list_show_and_suspend(app, client, session, login_as, make_application, issue):
    certificate = issue(make_application(org_name="Gulu Data Works"))
    login_as("admin")
    index = client.get("/admin/certificates")
    assert index.status_code == 200
    assert certificate.serial.encode() in index.data and b"Gulu Data Works" in index.data
    page = client.get(f"/admin/certificates/{certificate.serial}")
    assert page.status_code == 200 and b"Suspend the certificate" in page.data
    typed = client.get(f"/admin/certificates/{certificate.serial.lower()}")
    assert typed.status_code == 302
    response = client.post(
        f"/admin/certificates/{certificate.serial}/suspend",
        data={
            "suspend-category": "fraud",
            "suspend-reason": "Investigating",
            "suspend-confirm": "y",
        },
    )
    assert response.status_code == 302
    assert bits(client, certificate)["suspension"] is True
    page = client.get(f"/admin/certificates/{certificate.serial}")
    assert b"Reinstate the certificate" in page.data and b"Investigating" in page.data
    empty = client.post(
        f"/admin/certificates/{certificate.serial}/reinstate", data={"reinstate-reason": ""}
    )
    assert empty.status_code == 400
    response = client.post(
        f"/admin/certificates/{certificate.serial}/reinstate",
        data={"reinstate-reason": "Cleared"},
    )
    assert response.status_code == 302
    refused = client.post(
        f"/admin/certificates/{certificate.serial}/reinstate",
        data={"reinstate-reason": "Again"},
    )
    assert refused.status_code == 400 and b"only a suspended" in refused.data
    response = client.post(
        f"/admin/certificates/{certificate.serial}/withdraw",
        data={
            "withdraw-category": "fraud",
            "withdraw-reason": "Confirmed",
            "withdraw-confirm": "y",
        },
    )
    assert response.status_code == 302
    assert bits(client, certificate) == {"revocation": True, "suspension": False}
    assert client.get("/admin/certificates/ISR-0000-0000-0000-0").status_code == 404


def test_dashboard_provider_lists_the_holders_certificates(
    app, session, create_user, make_application, issue
) -> None:
    from certify.certificates.views import dashboard_context

    user = create_user("issp")
    certificate = issue(make_application(user))
    issue(make_application())  # another organisation's
    with app.test_request_context():
        mine = dashboard_context(app, user)["my_certificates"]
        assert [(c.serial, s) for c, s in mine] == [(certificate.serial, CertificateStatus.ACTIVE)]
        assert dashboard_context(app, create_user("auditor")) == {}
        panels = dict(signals.dashboard.send(app, user=user))
    assert panels[dashboard_context]["my_certificates"]


# --------------------------------------------------------------------------- lapsed suspensions


def test_a_suspension_that_ended_without_reinstatement_is_withdrawn(
    app, client, session, make_application, issue
):
    from certify.certificates.operations import lapsed_suspensions
    from certify.lifecycle import withdraw_lapsed_suspension

    lapsed, running, reinstated = (issue(make_application()) for _ in range(3))
    start = clock.now() - dt.timedelta(days=200)
    with app.app_context():
        suspend_certificate(
            session,
            lapsed,
            ADMIN,
            "major_nonconformity",
            "Wages below the floor",
            start + dt.timedelta(days=180),
            now=start,
        )
        suspend_certificate(session, running, ADMIN, "other", "Checking", None)
        suspend_certificate(
            session, reinstated, ADMIN, "other", "Late", start + dt.timedelta(days=10), now=start
        )
        reinstate_certificate(session, reinstated, ADMIN, "Fixed", now=start + dt.timedelta(days=5))
        session.commit()
        assert lapsed_suspensions(session) == [lapsed]
        with pytest.raises(CertificateError, match="not under a suspension that has ended"):
            withdraw_lapsed_suspension(session, running, ADMIN)
        change = withdraw_lapsed_suspension(session, lapsed, ADMIN)
        session.commit()
    assert change.new_status == "withdrawn"
    assert change.reason_category == "major_nonconformity"  # the suspension's own
    assert "ended on" in change.reason and "without reinstatement" in change.reason
    assert bits(client, lapsed) == {"revocation": True, "suspension": False}
    with app.app_context():
        assert lapsed_suspensions(session) == []
    api = json.loads(client.get(f"/api/v1/certificates/{lapsed.serial}").data)
    assert api["status"] == "withdrawn"


def test_cli_withdraw_lapsed_lists_first_and_withdraws_with_apply(
    app, session, make_application, issue
):
    certificate = issue(make_application())
    start = clock.now() - dt.timedelta(days=200)
    with app.app_context():
        suspend_certificate(
            session,
            certificate,
            ADMIN,
            "fraud",
            "Forged payslips",
            start + dt.timedelta(1),
            now=start,
        )
        session.commit()
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["certificates", "withdraw-lapsed"])
    assert listed.exit_code == 0, listed.output
    assert f"{certificate.serial}  suspended until" in listed.output
    assert "1 to withdraw: run again with --apply" in listed.output
    session.expire_all()
    assert session.get(Certificate, certificate.id).status == "suspended"  # nothing changed
    done = runner.invoke(args=["certificates", "withdraw-lapsed", "--apply"])
    assert done.exit_code == 0, done.output
    assert "-> withdrawn" in done.output
    session.expire_all()
    stored = session.get(Certificate, certificate.id)
    assert stored.status == "withdrawn"
    assert stored.changes[-1].actor.startswith("cli:")
    assert stored.changes[-1].reason_category == "fraud"
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "certificate.withdrawn")
    ).one()
    assert event.subject_id == certificate.serial
    again = runner.invoke(args=["certificates", "withdraw-lapsed", "--apply"])
    assert again.exit_code == 0 and "no suspension has ended" in again.output


def test_the_admin_dashboard_lists_ended_suspensions(
    app, client, session, login_as, make_application, issue
):
    certificate = issue(make_application(org_name="Kisumu Text Works"))
    login_as("admin")
    assert b"Nothing is overdue." in client.get("/dashboard").data
    start = clock.now() - dt.timedelta(days=30)
    with app.app_context():
        suspend_certificate(
            session, certificate, ADMIN, "other", "Checking", start + dt.timedelta(1), now=start
        )
        session.commit()
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Nothing is overdue." not in page
    assert f'href="/admin/certificates/{certificate.serial}"' in page
    assert "Kisumu Text Works" in page and "reinstate or withdraw it" in page


# --------------------------------------------------------------------------- index allocation


class Scripted:
    """An rng whose draws are given (``randbits``, as ``secrets`` has; each draw is below the
    list size, so it is taken as it is)."""

    def __init__(self, draws: list[int]) -> None:
        self.draws = list(draws)

    def randbits(self, k: int) -> int:
        return self.draws.pop(0)


def test_reserve_index_probes_then_reads_the_used_set_only_when_the_list_is_dense(
    app, session, make_application, issue
) -> None:
    from certify.certificates import statuslists
    from certify.certificates.keys import get_keystore

    held = issue(make_application())  # the only certificate: one index used
    taken = held.revocation_index
    size = held.revocation_list.size
    free, other = (taken + 1) % size, (taken + 7) % size
    with app.app_context():
        keys = get_keystore()
        now = clock.now()
        # a draw that hits the held index is refused, the next (free) one is taken
        current, index = statuslists.reserve_index(
            session, "revocation", keys, now, Scripted([taken, free])
        )
        assert current.id == held.revocation_list_id and index == free
        assert statuslists.index_used(session, current, taken)
        assert not statuslists.index_used(session, current, free)
        # sixteen hits in a row: the used set is read and a free index drawn from it
        scripted = Scripted([taken] * 16 + [taken, other])
        current, index = statuslists.reserve_index(session, "revocation", keys, now, scripted)
        assert index == other and scripted.draws == []
