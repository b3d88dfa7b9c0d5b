"""Retention and erasure of evidence (issue 24, item 5): the daily job erases what is due by
destroying its data key; an ISSP's early request is decided by an admin or reviewer; the
audit trail records that a file was erased, never what it was, and still verifies."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import select

from certify.applications.models import Application, Evidence
from certify.audit.models import AuditEvent
from certify.evidence.models import ErasureRequest
from certify.jobs.duties import erase_expired_evidence
from certify.storage.encrypted import EncryptedBackend, EvidenceErased
from certify.storage.setup import evidence_store
from tests.web.conftest import login
from tests.web.test_applications import _upload, start
from tests.web.test_evidence_encryption import _pdf

ROSTER = b"Roster: Amina W., Kibera, disability card 12345"


def _uploaded(client, session, login_as):
    issp = login_as("issp")
    public_id = start(client)
    pdf = _pdf(ROSTER)
    assert _upload(client, public_id, pdf, "roster-amina.pdf", "IH-1").status_code == 302
    digest = hashlib.sha256(pdf).hexdigest()
    item = session.scalar(select(Evidence).where(Evidence.sha256 == digest))
    assert item is not None
    return issp, public_id, item, pdf


def _key_file(app, digest: str) -> Path:
    return Path(app.config["EVIDENCE_DIR"], "keys", digest[:2], digest[2:4], digest)


def _audit_verify(app) -> None:
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output + result.stderr
    assert "audit trail intact" in result.output


def test_the_daily_job_erases_what_is_due_and_the_trail_still_verifies(
    app, client, session, login_as, clock
) -> None:
    _issp, public_id, item, pdf = _uploaded(client, session, login_as)
    digest = item.sha256
    with app.app_context():
        blob = evidence_store().path(digest)
        stolen = blob.read_bytes()  # a copy of the ciphertext taken before (a backup, a replica)
        assert _key_file(app, digest).exists()
        # not due yet: nothing happens
        assert erase_expired_evidence(clock.now()).startswith("0 evidence file(s) erased")
        later = clock.now() + dt.timedelta(days=6 * 366)
        assert erase_expired_evidence(later) == "1 evidence file(s) erased, 1 data key(s) destroyed"
        assert erase_expired_evidence(later).startswith("0 evidence file(s) erased")  # idempotent
        assert not blob.exists() and not _key_file(app, digest).exists()
        # the copy taken before cannot be opened: its data key is gone
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(stolen)
        backend = evidence_store().backend
        assert isinstance(backend, EncryptedBackend)
        with pytest.raises(EvidenceErased):
            backend.open(digest)
        assert ROSTER not in stolen and pdf[:64] not in stolen
    session.expire_all()
    row = session.get(Evidence, item.id)
    assert row.erased_at is not None and row.erasure_reason == "retention"
    assert row.filename == "(erased)" and row.description is None
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "evidence.erased"))
    assert event.actor == "system:scheduler" and item.public_id in event.after
    assert "roster" not in event.after and "Amina" not in event.after
    _audit_verify(app)
    with app.app_context():
        blob.unlink()  # the planted copy
    verified = app.test_cli_runner().invoke(args=["storage", "verify"])
    assert verified.exit_code == 0, verified.output + verified.stderr  # erased is not missing
    response = client.get(f"/applications/{public_id}/evidence/{item.public_id}")
    assert response.status_code == 410
    page = client.get(f"/applications/{public_id}/evidence").get_data(as_text=True)
    assert "A file erased" in page and "roster-amina" not in page


def test_the_schedule_comes_from_the_settings(app, client, session, login_as, clock) -> None:
    _issp, _public_id, _item, _pdf_bytes = _uploaded(client, session, login_as)
    app.config["EVIDENCE_RETENTION_YEARS"] = {"application": 1}
    with app.app_context():
        assert erase_expired_evidence(clock.now() + dt.timedelta(days=367)).startswith("1 ")


def test_an_early_erasure_is_requested_with_a_reason_and_decided_by_staff(
    app, client, session, login_as, create_user, clock
) -> None:
    _issp, public_id, item, _pdf_bytes = _uploaded(client, session, login_as)
    url = f"/applications/{public_id}/evidence/{item.public_id}/erasure"
    assert client.get(url).status_code == 200
    refused = client.post(url, data={"reason": "  "})
    assert "say why the file should be erased" in refused.get_data(as_text=True)
    reason = "The worker left and asked for her data to be erased (DPA 2019 s.40)."
    assert client.post(url, data={"reason": reason}).status_code == 302
    again = client.post(url, data={"reason": reason}, follow_redirects=True)
    assert "already requested" in again.get_data(as_text=True)
    [request] = session.scalars(select(ErasureRequest))
    assert request.status == "pending" and request.reason == reason
    # an auditor may not decide; a reviewer may
    auditor = app.test_client()
    assert login(auditor, create_user("auditor")).status_code == 302
    assert auditor.get("/erasure-requests").status_code == 403
    reviewer = app.test_client()
    assert login(reviewer, create_user("reviewer")).status_code == 302
    page = reviewer.get("/erasure-requests").get_data(as_text=True)
    assert reason in page
    holder = request.evidence.application.organisation.legal_name
    assert f">{escape(holder)}</a>" in page  # the link to the case names the organisation
    decide = f"/erasure-requests/{request.public_id}"
    reviewer.post(decide, data={"decision": "approve", "note": ""})
    session.expire_all()
    assert session.get(ErasureRequest, request.id).status == "pending"  # a note is required
    response = reviewer.post(decide, data={"decision": "approve", "note": "Agreed: not needed."})
    assert response.status_code == 302
    session.expire_all()
    row = session.get(Evidence, item.id)
    assert row.erased_at is not None and row.erasure_reason == "request"
    assert session.get(ErasureRequest, request.id).status == "approved"
    assert not _key_file(app, item.sha256).exists()
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.seq))
    actions = [e.action for e in events if e.action.startswith("evidence.")]
    assert actions == [
        "evidence.erasure_requested",
        "evidence.erasure_decided",
        "evidence.erased",
    ]
    assert reviewer.post(decide, data={"decision": "refuse", "note": "x"}).status_code == 302
    _audit_verify(app)


def test_a_refused_request_keeps_the_file(app, client, session, login_as, create_user) -> None:
    _issp, public_id, item, _pdf_bytes = _uploaded(client, session, login_as)
    url = f"/applications/{public_id}/evidence/{item.public_id}/erasure"
    assert client.post(url, data={"reason": "please"}).status_code == 302
    [request] = session.scalars(select(ErasureRequest))
    admin = app.test_client()
    assert login(admin, create_user("admin")).status_code == 302
    response = admin.post(
        f"/erasure-requests/{request.public_id}",
        data={"decision": "refuse", "note": "Needed for the surveillance audit in March."},
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(ErasureRequest, request.id).status == "refused"
    assert session.get(Evidence, item.id).erased_at is None
    with app.app_context():
        assert evidence_store().verify(item.sha256)
    assert session.get(Application, item.application_id) is not None
