"""Issuance (all or nothing), the served credential, serial redirects, renewal, immutability."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from certify import clock, lifecycle
from certify.audit.models import AuditEvent
from certify.certificates.issuance import IssuanceError, add_months, validity
from certify.certificates.models import Certificate, CertificateStatus, CertificateStatusChange
from certify.core.scoring.engine import score
from certify.core.serial import ALPHABET
from certify.lifecycle import issue_certificate, issue_for_application
from tests.web import certificate_fixtures, lifecycle_steps
from tests.web.certificate_fixtures import REVIEWER, answers_for, counts
from tests.web.independent_verifier import verify

# fixtures shared by the certificate tests
issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric


def served_did(client) -> dict:
    response = client.get("/.well-known/did.json")
    assert response.status_code == 200
    return json.loads(response.data)


def served_credential(client, serial: str) -> tuple[bytes, dict]:
    response = client.get(f"/certificates/{serial}.json")
    assert response.status_code == 200, response.status_code
    return response.data, json.loads(response.data)


# --------------------------------------------------------------------------- issuance


def test_issuance_makes_the_record_credential_and_event(app, session, make_application, issue):
    application = make_application(org_name="Kibera Keystrokes")
    decided = clock.now()
    certificate = issue(application, decided_at=decided)
    snap = certificate.snapshot_data
    assert snap["serial"] == certificate.serial
    assert snap["holder"] == {
        "name": "Kibera Keystrokes",
        "country": "KE",
        "registrationNumber": "REG-1",
    }
    assert snap["certificationBody"] == {"legalName": app.config["REGISTRY_NAME"]}
    assert snap["sites"] == [{"name": "Site 1", "address": "Street 1, Nairobi", "country": "KE"}]
    assert snap["scope"] == "Data annotation and multilingual customer support"
    assert snap["standard"]["id"] == "isrps" and snap["standard"]["version"] == "1.0"
    assert snap["standard"]["sha256"] == application.standard_sha256
    assert snap["level"] == "certified_with_distinction"
    assert snap["overallScore"] == "88.75"
    assert [s["id"] for s in snap["sectionScores"]] == ["IH", "TC", "CR", "FW", "GT"]
    assert all(len(s["score"].split(".")[1]) == 2 for s in snap["sectionScores"])
    assert snap["publicUrl"] == "http://registry.test"
    issued = dt.datetime.fromisoformat(snap["validFrom"].replace("Z", "+00:00"))
    assert issued >= decided.replace(microsecond=0)
    assert snap["issuedOn"] == issued.date().isoformat()
    # ISRPS 1.0: 36 months, surveillance every 12.
    last_day = add_months(issued.date(), 36) - dt.timedelta(days=1)
    assert snap["validUntil"] == f"{last_day.isoformat()}T23:59:59Z"
    assert snap["surveillanceDue"] == [
        add_months(issued.date(), 12).isoformat(),
        add_months(issued.date(), 24).isoformat(),
    ]
    assert certificate.status == "active"
    assert certificate.current_status is CertificateStatus.ACTIVE
    # hashes are over the stored bytes
    import hashlib

    assert hashlib.sha256(certificate.credential).hexdigest() == certificate.credential_sha256
    assert hashlib.sha256(certificate.snapshot).hexdigest() == certificate.snapshot_sha256
    event = session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "certificate.issued", AuditEvent.subject_id == certificate.serial
        )
    )
    assert event is not None and str(REVIEWER) == event.actor
    changes = session.scalars(
        select(CertificateStatusChange).where(
            CertificateStatusChange.certificate_id == certificate.id
        )
    ).all()
    assert [(c.previous_status, c.new_status) for c in changes] == [(None, "active")]


def test_issue_date_is_never_before_the_decision(make_application, issue) -> None:
    later = clock.now() + dt.timedelta(hours=2, microseconds=500)
    certificate = issue(make_application(), decided_at=later)
    assert certificate.valid_from >= later
    assert certificate.valid_from.microsecond == 0


def test_validity_dates_at_month_ends() -> None:
    until, due = validity(dt.datetime(2025, 3, 1, 9, 30, tzinfo=dt.UTC), 36, 12)
    assert until == dt.datetime(2028, 2, 29, 23, 59, 59, tzinfo=dt.UTC)
    assert due == [dt.date(2026, 3, 1), dt.date(2027, 3, 1)]
    until, due = validity(dt.datetime(2024, 1, 31, tzinfo=dt.UTC), 1, 1)
    assert until == dt.datetime(2024, 2, 28, 23, 59, 59, tzinfo=dt.UTC)
    assert due == []
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2023, 12, 15), 14) == dt.date(2025, 2, 15)


def test_the_served_credential_verifies_independently(client, make_application, issue) -> None:
    certificate = issue(make_application())
    data, document = served_credential(client, certificate.serial)
    assert data == certificate.credential  # served unchanged
    did = served_did(client)
    assert verify(document, did)
    assert document["id"] == f"http://registry.test/certificates/{certificate.serial}"
    assert document["issuer"]["id"] == "did:web:registry.test"
    assert document["credentialSubject"]["serial"] == certificate.serial
    assert document["proof"]["verificationMethod"] == (
        f"did:web:registry.test#{certificate.credential_key_id}"
    )
    assert [s["statusPurpose"] for s in document["credentialStatus"]] == [
        "revocation",
        "suspension",
    ]


@pytest.mark.parametrize(
    "path",
    [
        ("credentialSubject", "name"),
        ("credentialSubject", "overallScore"),
        ("credentialSubject", "level"),
        ("credentialSubject", "scope"),
        ("credentialSubject", "standard", "sha256"),
        ("credentialSubject", "sites", 0, "address"),
        ("credentialSubject", "sectionScores", 2, "score"),
        ("validUntil",),
        ("credentialStatus", 1, "statusListIndex"),
        ("issuer", "name"),
        ("proof", "created"),
        ("proof", "verificationMethod"),
    ],
)
def test_changing_any_field_breaks_the_proof(client, make_application, issue, path) -> None:
    certificate = issue(make_application())
    _data, document = served_credential(client, certificate.serial)
    did = served_did(client)
    changed = copy.deepcopy(document)
    target = changed
    for part in path[:-1]:
        target = target[part]
    original = target[path[-1]]
    target[path[-1]] = original + "0" if path[-1] != "verificationMethod" else original + "x"
    assert verify(document, did)
    assert not verify(changed, did)


def test_extra_field_breaks_the_proof(client, make_application, issue) -> None:
    certificate = issue(make_application())
    _data, document = served_credential(client, certificate.serial)
    document["credentialSubject"]["level"] = "certified"
    assert not verify(document, served_did(client))


def test_credential_response_headers(client, make_application, issue) -> None:
    certificate = issue(make_application())
    response = client.get(f"/certificates/{certificate.serial}.json")
    assert response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "max-age" in response.headers["Cache-Control"]
    assert response.headers["ETag"].strip('"') == certificate.credential_sha256
    again = client.get(
        f"/certificates/{certificate.serial}.json",
        headers={"If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304
    vc = client.get(
        f"/certificates/{certificate.serial}.json", headers={"Accept": "application/vc"}
    )
    assert vc.mimetype == "application/vc" and vc.data == certificate.credential


def _typed_forms(serial: str) -> list[str]:
    compact = serial.replace("-", "")
    forms = [serial.lower(), " ".join(serial.lower().split("-")), compact.lower()]
    if "0" in serial:
        forms.append(serial.replace("0", "O"))
    if "1" in serial[3:]:
        forms.append(serial[:3] + serial[3:].replace("1", "l"))
    return forms


def test_typed_serials_redirect_to_the_canonical_url(client, make_application, issue) -> None:
    certificate = issue(make_application())
    serial = certificate.serial
    for typed in _typed_forms(serial):
        response = client.get(f"/certificates/{typed}.json")
        assert response.status_code == 301, typed
        assert response.headers["Location"].endswith(f"/certificates/{serial}.json")


def test_o_for_zero_finds_the_certificate(client, session, make_application, issue) -> None:
    # Force a serial with a 0 to prove the O-for-0 reading (random serials may lack one).
    from certify.certificates.queries import find_certificate

    certificate = issue(make_application())
    body = certificate.serial.split("-")[1:4]
    assert find_certificate(session, certificate.serial.lower().replace("-", " "), "ISR")
    with_o = "ISR-" + "-".join(body).replace("0", "O") + "-" + certificate.serial[-1]
    assert find_certificate(session, with_o, "ISR").id == certificate.id
    response = client.get(f"/certificates/{with_o}.json")
    assert response.status_code in (200, 301)


def test_unknown_and_malformed_serials_are_404(client, make_application, issue) -> None:
    certificate = issue(make_application())
    # A valid serial of no certificate: change a body symbol and recompute the check symbol.
    from certify.core.serial import check_symbol, parse_serial

    parts = parse_serial(certificate.serial)
    body = ALPHABET[(ALPHABET.index(parts.body[0]) + 1) % 32] + parts.body[1:]
    other = f"ISR-{body[:4]}-{body[4:8]}-{body[8:]}-{check_symbol(body)}"
    assert client.get(f"/certificates/{other}.json").status_code == 404
    assert client.get("/certificates/ISR-XXXX.json").status_code == 404
    assert client.get("/certificates/%00.json").status_code == 404
    typo = certificate.serial[:-1] + ("A" if certificate.serial[-1] != "A" else "B")
    assert client.get(f"/certificates/{typo}.json").status_code == 404


# --------------------------------------------------------------------------- refusals


def test_a_score_that_does_not_certify_is_refused(app, session, make_application, rubric):
    application = make_application()
    result = score(rubric, answers_for(rubric, gates=False))
    before = counts(session)
    with app.app_context(), pytest.raises(IssuanceError, match="does not certify"):
        issue_certificate(
            session,
            application,
            score=result,
            rubric=rubric,
            decided_at=clock.now(),
            actor=REVIEWER,
        )
    assert counts(session) == before


def test_a_score_for_another_rubric_version_is_refused(app, session, make_application, rubric):
    application = make_application()
    application.standard_sha256 = "0" * 64
    session.commit()
    with app.app_context(), pytest.raises(IssuanceError, match="pinned standard"):
        issue_certificate(
            session,
            application,
            score=score(rubric, answers_for(rubric)),
            rubric=rubric,
            decided_at=clock.now(),
            actor=REVIEWER,
        )


def test_an_application_without_sites_is_refused(app, session, make_application, issue):
    application = make_application()
    application.site_ids = "[]"
    session.commit()
    with pytest.raises(IssuanceError, match="no site"):
        issue(application)


def test_issue_for_application_scores_and_issues(app, session, make_application, rubric):
    application = make_application()
    with app.app_context():
        certificate = issue_for_application(
            session, application, answers=answers_for(rubric, 4), actor=REVIEWER
        )
        session.commit()
    assert certificate.snapshot_data["overallScore"] == "100.00"
    with app.app_context(), pytest.raises(IssuanceError):
        issue_for_application(
            session, make_application(), answers=answers_for(rubric, gates=False), actor=REVIEWER
        )


# --------------------------------------------------------------------------- all or nothing


def _files(root: Path) -> set[tuple[str, int]]:
    return {
        (str(p.relative_to(root)), p.stat().st_size)
        for p in root.rglob("*")
        if p.is_file() and not p.name.endswith(("-wal", "-shm", "-journal"))
    }


ISSUANCE_ORDER = [
    "check_decision",
    "choose_serial",
    "take_snapshot",
    "reserve_status_indexes",
    "reserve_issuance_entry",
    "make_credential",
    "append_issuance_entry",
    "find_continuity",
    "sign_pdf",
    "record_certificate",
    "index_new_certificate",
    "store_pdf",
    "supersede_earlier",
    "audit_issuance",
    "notify_issued",
    "announce_issued",
]


def test_the_issuance_order_is_the_one_written_in_the_lifecycle() -> None:
    # The order matters: the credential names the log index reserved before it is signed,
    # the PDF embeds the log proof appended after it, the row exists before it is indexed.
    assert lifecycle_steps.names() == ISSUANCE_ORDER


def test_status_changes_and_key_rotations_are_lists_too() -> None:
    assert lifecycle_steps.names(lifecycle.CHANGE_STATUS) == [
        "check_status_transition",
        "check_reinstatement",
        "update_status_lists",
        "record_status_change",
        "audit_status_change",
        "append_status_entry",
        "notify_status_change",
        "announce_status_change",
    ]
    assert lifecycle_steps.names(lifecycle.ROTATE_KEYS) == [
        "audit_key_rotation",
        "announce_rotated_keys",
    ]
    assert lifecycle_steps.names(lifecycle.ESCALATE_NONCONFORMITY) == [
        "check_escalation",
        "suspend_for_nonconformity",
        "record_escalation",
        "notify_escalation",
    ]


@pytest.mark.parametrize("step_name", ISSUANCE_ORDER)
def test_a_failure_at_any_step_leaves_nothing_behind(
    app, session, make_application, issue, step_name, monkeypatch
) -> None:
    issue(make_application())  # lists exist and hold an entry: a failure must not touch them
    application = make_application()
    before = counts(session)
    instance = Path(app.instance_path)
    files_before = _files(instance)
    written: list[Path] = []

    def write_a_file(ctx):
        path = instance / "partial-output.bin"
        path.write_bytes(b"half a file")
        written.append(path)
        ctx.on_failure.append(lambda: path.unlink())

    with monkeypatch.context() as patch:
        lifecycle_steps.fail_after(patch, step_name, write_a_file)
        with pytest.raises(IssuanceError, match=f"step '{step_name}' failed"):
            issue(application)
    session.rollback()
    assert counts(session) == before
    assert _files(instance) == files_before
    assert written and not written[0].exists()
    # the session and the pipeline still work afterwards
    certificate = issue(application)
    assert certificate.serial


def test_a_failure_in_the_first_issuance_leaves_no_status_list(
    app, session, make_application, issue, monkeypatch
) -> None:
    application = make_application()
    before = counts(session)
    assert before["lists"] == []

    def boom(ctx):
        raise RuntimeError("disk full")

    lifecycle_steps.insert_step(monkeypatch, boom, before="audit_issuance")
    with pytest.raises(IssuanceError, match="disk full"):
        issue(application)
    assert counts(session) == before


def test_the_log_step_puts_its_index_in_the_credential(app, client, make_application, issue):
    # The transparency log's steps (certify.translog) reserve the index before "credential".
    certificate = issue(make_application())
    document = json.loads(certificate.credential)
    log = document["transparencyLog"]
    assert log["origin"] == "registry.test/log" and isinstance(log["index"], int)
    assert verify(document, served_did(client))


# --------------------------------------------------------------------------- renewal


def test_renewal_supersedes_the_active_certificate(
    app, session, client, create_user, make_application, issue
) -> None:
    user = create_user("issp")
    first = issue(make_application(user))
    second = issue(make_application(user))
    session.expire_all()
    first = session.get(Certificate, first.id)
    assert first.status == "superseded" and first.superseded_by_id == second.id
    assert second.status == "active"
    change = first.changes[-1]
    assert (change.previous_status, change.new_status) == ("active", "superseded")
    assert session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "certificate.superseded", AuditEvent.subject_id == first.serial)
    )
    # status lists unaffected: neither bit of the old certificate is set
    from tests.web.independent_verifier import status_bit

    for entry in json.loads(first.credential)["credentialStatus"]:
        path = entry["statusListCredential"].removeprefix("http://registry.test")
        listed = json.loads(client.get(path).data)
        assert status_bit(listed, int(entry["statusListIndex"])) is False
    # another organisation's certificate is untouched
    other = issue(make_application())
    session.expire_all()
    assert session.get(Certificate, second.id).status == "active"
    assert other.status == "active"


def test_each_certificate_gets_its_own_random_indexes(make_application, issue) -> None:
    certificates = [issue(make_application()) for _ in range(3)]
    revocation = {c.revocation_index for c in certificates}
    suspension = {c.suspension_index for c in certificates}
    assert len(revocation) == 3 and len(suspension) == 3
    assert len({c.serial for c in certificates}) == 3


# --------------------------------------------------------------------------- immutability


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE certificate SET credential = :b WHERE id = :id",
        "UPDATE certificate SET snapshot = :b WHERE id = :id",
        "UPDATE certificate SET level = 'certified' WHERE id = :id",
        "UPDATE certificate SET serial = 'ISR-0000-0000-0000-0' WHERE id = :id",
        "DELETE FROM certificate_status_change WHERE certificate_id = :id",
        "DELETE FROM certificate WHERE id = :id",
    ],
)
def test_the_database_refuses_to_change_an_issued_record(
    session, make_application, issue, statement
) -> None:
    certificate = issue(make_application())
    params = {"id": certificate.id}
    if ":b" in statement:
        params["b"] = b"{}"
    nested = session.begin_nested()
    with pytest.raises(DBAPIError):
        session.execute(text(statement), params)
    nested.rollback()
    # the lifecycle columns may change
    session.execute(
        text("UPDATE certificate SET status = 'suspended' WHERE id = :id"), {"id": certificate.id}
    )


def test_private_key_files_are_owner_only(app, make_application, issue) -> None:
    issue(make_application())
    folder = Path(app.config["KEYS_DIR"])
    assert os.stat(folder).st_mode & 0o777 == 0o700
    for path in folder.glob("*.key"):
        assert os.stat(path).st_mode & 0o777 == 0o600, path


def test_certificates_list_never_writes_terminal_escapes(app, make_application, issue):
    # Forms refuse such names now; one stored before that, or by another tool, still cannot
    # move the cursor or recolour the operator's terminal.
    issue(make_application(org_name="Evil\x1b[31m Ltd\u202e"))
    result = app.test_cli_runner().invoke(args=["certificates", "list"])
    assert result.exit_code == 0
    assert "\x1b" not in result.output and "\u202e" not in result.output
    assert "Evil\\u001b[31m Ltd\\u202e" in result.output
