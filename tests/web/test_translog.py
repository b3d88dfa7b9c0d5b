"""The transparency log: appends with the changes they record, the public API checked by an
independent RFC 9162 verifier, certificate proofs, history, concurrency and `log verify`."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import threading

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select, text

from certify import clock, create_app
from certify.certificates.keys import get_keystore
from certify.certificates.rotation import rotate_keys
from certify.core.actor import Actor
from certify.core.tlog.checkpoint import parse_checkpoint
from certify.core.tlog.entry import LogEvent
from certify.core.tlog.errors import NoteError
from certify.core.tlog.logproof import verify_certificate_log_proof
from certify.core.tlog.note import open_note, sign_note, verifier_key
from certify.db import get_db
from certify.lifecycle import suspend_certificate
from certify.translog.audit import verify_log
from certify.translog.models import LogCheckpoint, LogEntry, LogHead, LogNode
from certify.translog.steps import log_key_changes
from certify.translog.store import append_entry, current_signer
from tests.web import certificate_fixtures, lifecycle_steps
from tests.web.conftest import make_test_config

issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric

ADMIN = Actor.cli("tester")


# --------------------------------------------------------------------------- an independent
# RFC 9162 implementation (section 2.1), written from the RFC's recursive definitions.


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return _h(b"")
    if len(leaves) == 1:
        return _h(b"\x00" + leaves[0])
    k = _k(len(leaves))
    return _h(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) <= 1:
        return []
    k = _k(len(leaves))
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def subproof(m: int, leaves: list[bytes], b: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if b else [mth(leaves)]
    k = _k(n)
    if m <= k:
        return [*subproof(m, leaves[:k], b), mth(leaves[k:])]
    return [*subproof(m - k, leaves[k:], False), mth(leaves[:k])]


def b64d(text_: str) -> bytes:
    return base64.b64decode(text_, validate=True)


# --------------------------------------------------------------------------- helpers


def _append_keys(app, session, n: int, prefix: str = "k") -> None:
    with app.app_context():
        signer = current_signer()
        for i in range(n):
            append_entry(
                session,
                LogEvent.CREDENTIAL_KEY_ADDED,
                clock.now(),
                key_id=f"{prefix}{i}",
                signer=signer,
            )
        session.commit()


def _all_entries(client) -> list[bytes]:
    size = parse_checkpoint(
        open_note(client.get("/api/v1/log/checkpoint").text, [_pub(client)])
    ).size
    out: list[bytes] = []
    while len(out) < size:
        page = client.get(f"/api/v1/log/entries?start={len(out)}&end={len(out) + 1000}").json
        out.extend(e["entry"].encode("utf-8") for e in page["entries"])
    return out


def _pub(client) -> str:
    return client.get("/.well-known/certify/log.pub").text.strip()


# --------------------------------------------------------------------------- the API


def test_served_entries_checkpoint_and_proofs_pass_an_independent_verifier(
    app, session, client
) -> None:
    _append_keys(app, session, 13)
    pub = _pub(client)
    response = client.get("/api/v1/log/checkpoint")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    checkpoint = parse_checkpoint(open_note(response.text, [pub]))
    assert checkpoint.origin == "registry.test/log"
    leaves = _all_entries(client)
    assert len(leaves) == checkpoint.size >= 13
    assert mth(leaves) == checkpoint.root_hash
    page = client.get("/api/v1/log/entries?start=0&end=3").json
    assert [e["index"] for e in page["entries"]] == [0, 1, 2]
    for e in page["entries"]:
        assert b64d(e["leaf_hash"]) == _h(b"\x00" + e["entry"].encode())
        assert json.loads(e["entry"])["index"] == e["index"]
    n = len(leaves)
    for size in range(1, n + 1):
        for index in range(size):
            body = client.get(f"/api/v1/log/proof/inclusion?index={index}&size={size}").json
            assert body["index"] == index and body["size"] == size
            assert [b64d(x) for x in body["hashes"]] == path(index, leaves[:size])
            assert b64d(body["root_hash"]) == mth(leaves[:size])
            assert b64d(body["leaf_hash"]) == _h(b"\x00" + leaves[index])
        for old in range(1, size + 1):
            body = client.get(f"/api/v1/log/proof/consistency?old={old}&new={size}").json
            assert (body["old"], body["new"]) == (old, size)
            assert [b64d(x) for x in body["hashes"]] == subproof(old, leaves[:size], True)
            assert b64d(body["old_root_hash"]) == mth(leaves[:old])
            assert b64d(body["new_root_hash"]) == mth(leaves[:size])


def test_every_stored_checkpoint_is_signed_and_matches_its_tree(app, session, client) -> None:
    _append_keys(app, session, 5)
    pub = _pub(client)
    leaves = _all_entries(client)
    for row in session.scalars(select(LogCheckpoint)):
        cp = parse_checkpoint(open_note(row.note, [pub]))
        assert cp.size == row.size and cp.root_hash == mth(leaves[: row.size])


def test_the_published_log_key_is_in_the_key_export(client) -> None:
    pub = _pub(client)
    assert client.get("/.well-known/certify/keys.json").json["log_key"] == pub
    assert pub.startswith("registry.test/log+")


def test_a_checkpoint_signed_by_another_key_is_rejected(app, session, client) -> None:
    _append_keys(app, session, 2)
    note = client.get("/api/v1/log/checkpoint").text
    body = note.split("\n\n")[0] + "\n"
    forged = sign_note(body, "registry.test/log", Ed25519PrivateKey.generate())
    with pytest.raises(NoteError):
        open_note(forged, [_pub(client)])


BAD = [
    "/api/v1/log/entries",
    "/api/v1/log/entries?start=0",
    "/api/v1/log/entries?start=-1&end=2",
    "/api/v1/log/entries?start=a&end=2",
    "/api/v1/log/entries?start=1.5&end=2",
    "/api/v1/log/entries?start=2&end=2",
    "/api/v1/log/entries?start=3&end=1",
    "/api/v1/log/entries?start=0&end=1001",
    "/api/v1/log/entries?start=99999999999999999999&end=1",
    "/api/v1/log/entries?start=500&end=501",
    "/api/v1/log/entries?start=%200&end=1",
    "/api/v1/log/proof/inclusion?index=0",
    "/api/v1/log/proof/inclusion?index=x&size=1",
    "/api/v1/log/proof/inclusion?index=3&size=3",
    "/api/v1/log/proof/inclusion?index=0&size=500",
    "/api/v1/log/proof/inclusion?index=0&size=0",
    "/api/v1/log/proof/inclusion?index=0&size=99999999999999999999",
    "/api/v1/log/proof/consistency?old=0&new=2",
    "/api/v1/log/proof/consistency?old=3&new=2",
    "/api/v1/log/proof/consistency?old=1&new=500",
    "/api/v1/log/proof/consistency?old=&new=2",
    "/api/v1/log/proof/consistency?old=1e2&new=2",
]


@pytest.mark.parametrize("url", BAD)
def test_bad_parameters_are_a_json_400(app, session, client, url) -> None:
    _append_keys(app, session, 3)
    response = client.get(url)
    assert response.status_code == 400, response.text
    error = response.json["error"]
    assert set(error) == {"code", "message"} and error["code"] and error["message"]


def test_entries_past_the_end_are_clamped(app, session, client) -> None:
    _append_keys(app, session, 3)
    size = session.scalar(select(LogHead.size))
    body = client.get(f"/api/v1/log/entries?start={size - 1}&end={size + 50}").json
    assert [e["index"] for e in body["entries"]] == [size - 1]
    assert client.get(f"/api/v1/log/entries?start={size}&end={size + 1}").json == {"entries": []}


def test_the_empty_log_has_a_signed_checkpoint(client) -> None:
    response = client.get("/api/v1/log/checkpoint")
    cp = parse_checkpoint(open_note(response.text, [_pub(client)]))
    assert cp.size >= 0
    assert client.get("/log").status_code == 200


# --------------------------------------------------------------------------- certificates


def test_issuance_logs_the_credential_and_carries_a_verifiable_proof(
    app, session, client, make_application, issue, monkeypatch
) -> None:
    captured: list[str | None] = []

    def capture(ctx):
        captured.append(ctx.log_proof)

    lifecycle_steps.insert_step(monkeypatch, capture, after="append_issuance_entry")
    certificate = issue(make_application())
    document = json.loads(certificate.credential)
    index = document["transparencyLog"]["index"]
    row = session.get(LogEntry, index)
    entry = json.loads(row.entry)
    assert entry["event"] == "issued" and entry["serial"] == certificate.serial
    assert entry["credential_hash"] == certificate.credential_sha256
    assert entry["key_id"] == certificate.credential_key_id
    assert not ({"holder", "name", "actor", "reason"} & set(entry))
    pub = _pub(client)
    proof = captured[0]
    assert proof and proof.startswith("c2sp.org/tlog-proof@v1\n")
    ok, detail = verify_certificate_log_proof(
        proof, certificate.credential, pub, "registry.test/log"
    )
    assert ok, detail
    # The same proof does not vouch for an altered credential...
    altered = json.loads(certificate.credential)
    altered["credentialSubject"]["name"] += " Ltd"
    ok, _ = verify_certificate_log_proof(
        proof, json.dumps(altered).encode(), pub, "registry.test/log"
    )
    assert not ok
    # ...nor verifies under another log key or origin.
    other_key = verifier_key("registry.test/log", Ed25519PrivateKey.generate().public_key())
    assert not verify_certificate_log_proof(proof, certificate.credential, other_key, None)[0]
    assert not verify_certificate_log_proof(proof, certificate.credential, pub, "other/log")[0]


def test_the_credential_key_is_logged_before_it_signs(app, session, make_application, issue):
    certificate = issue(make_application())
    index = json.loads(certificate.credential)["transparencyLog"]["index"]
    announced = [
        json.loads(r.entry)
        for r in session.scalars(
            select(LogEntry).where(LogEntry.event == "credential_key_added", LogEntry.idx < index)
        )
    ]
    assert certificate.credential_key_id in {e["key_id"] for e in announced}


def _count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(LogEntry))


def test_suspending_adds_exactly_one_entry_seen_in_the_page_and_the_history(
    app, session, client, make_application, issue
) -> None:
    certificate = issue(make_application())
    before = _count(session)
    with app.app_context():
        later = max(clock.now(), certificate.issued_at) + dt.timedelta(seconds=1)
        suspend_certificate(
            session, certificate, ADMIN, "major_nonconformity", "Audit found X", now=later
        )
        session.commit()
    assert _count(session) == before + 1
    row = session.scalars(select(LogEntry).order_by(LogEntry.idx.desc())).first()
    entry = json.loads(row.entry)
    assert entry["event"] == "suspended" and entry["serial"] == certificate.serial
    assert entry["reason_category"] == "major_nonconformity"
    assert "Audit found X" not in row.entry.decode()
    page = client.get("/log").text
    assert certificate.serial in page and "Suspended" in page
    today = clock.now().date().isoformat()
    body = client.get(f"/api/v1/certificates/{certificate.serial}/status?at={today}").json
    assert body["status"] == "suspended" and body["serial"] == certificate.serial
    assert [json.loads(e["entry"])["event"] for e in body["entries"]] == ["issued", "suspended"]
    pub = _pub(client)
    cp = parse_checkpoint(open_note(body["log"]["checkpoint"], [pub]))
    assert cp.size == body["log"]["size"] and b64d(body["log"]["root_hash"]) == cp.root_hash
    for e in body["entries"]:
        leaf = _h(b"\x00" + e["entry"].encode())
        assert b64d(e["leaf_hash"]) == leaf
        # Fold the path the RFC 9162 way (section 2.1.3.2) with our own code.
        fn, sn, r = e["index"], cp.size - 1, leaf
        for p in (b64d(x) for x in e["hashes"]):
            if fn & 1 or fn == sn:
                r = _h(b"\x01" + p + r)
                while not fn & 1 and fn:
                    fn, sn = fn >> 1, sn >> 1
            else:
                r = _h(b"\x01" + r + p)
            fn, sn = fn >> 1, sn >> 1
        assert sn == 0 and r == cp.root_hash
    # Before the issue date the log knows no status; a date-time works too.
    yesterday = (clock.now() - dt.timedelta(days=1)).date().isoformat()
    assert (
        client.get(f"/api/v1/certificates/{certificate.serial}/status?at={yesterday}").json[
            "status"
        ]
        == "not_issued"
    )
    issued = certificate.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    body = client.get(f"/api/v1/certificates/{certificate.serial}/status?at={issued}").json
    assert body["status"] == "active"
    # A typed serial in any case is found.
    assert (
        client.get(f"/api/v1/certificates/{certificate.serial.lower()}/status").status_code == 200
    )


@pytest.mark.parametrize("at", ["tomorrow", "2026-13-01", "2026-01-01T10:00:00", "1"])
def test_status_at_bad_dates_are_400(client, make_application, issue, at) -> None:
    certificate = issue(make_application())
    response = client.get(f"/api/v1/certificates/{certificate.serial}/status?at={at}")
    assert response.status_code == 400 and response.json["error"]["code"] == "invalid_parameter"


def test_status_of_an_unknown_serial_is_404(client) -> None:
    response = client.get("/api/v1/certificates/ISR-0000-0000-0000-0/status")
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_renewal_logs_the_supersession(app, session, create_user, make_application, issue):
    user = create_user("issp")
    first = issue(make_application(user))
    second = issue(make_application(user))
    events = [
        (json.loads(r.entry)["event"], r.serial)
        for r in session.scalars(select(LogEntry).order_by(LogEntry.idx))
        if r.serial in (first.serial, second.serial)
    ]
    assert events == [
        ("issued", first.serial),
        ("issued", second.serial),
        ("superseded", first.serial),
    ]


def test_log_verify_passes_after_issuance_and_status_changes(
    app, session, make_application, issue
) -> None:
    certificate = issue(make_application())
    with app.app_context():
        suspend_certificate(session, certificate, ADMIN, "fraud", "Checked")
        session.commit()
    result = app.test_cli_runner().invoke(args=["log", "verify"])
    assert result.exit_code == 0, result.output
    assert "log intact" in result.output


def test_log_verify_notices_a_status_change_that_was_not_logged(
    app, session, make_application, issue
) -> None:
    from certify.certificates.models import CertificateStatusChange

    certificate = issue(make_application())
    session.add(
        CertificateStatusChange(
            certificate_id=certificate.id,
            changed_at=clock.now(),
            actor="cli:mallory",
            previous_status="active",
            new_status="withdrawn",
            reason_category="fraud",
            reason="quietly",
        )
    )
    session.commit()
    result = app.test_cli_runner().invoke(args=["log", "verify"])
    assert result.exit_code == 1
    assert certificate.serial in result.output and "not in the log" in result.output


def test_log_verify_notices_a_history_that_breaks_the_status_table(
    app, session, make_application, issue
) -> None:
    """A withdrawal then a suspension (what two racing requests once produced): every step
    recorded and logged, but the history is impossible; log verify says so."""
    from certify.certificates import operations as status
    from certify.certificates.models import CertificateStatus
    from certify.lifecycle import withdraw_certificate

    certificate = issue(make_application())
    with app.app_context():
        withdraw_certificate(session, certificate, ADMIN, "fraud", "Forged payroll")
        # the second request of the race: prepared while the certificate still looked active
        change = status.StatusChange(
            session, certificate, ADMIN, CertificateStatus.SUSPENDED, "certificate.suspended",
            "major_nonconformity", "Wages late", clock.now(),
        )  # fmt: skip
        change.previous_status = "withdrawn"
        for step in (status.record_status_change, status.audit_status_change):
            step(change)
        from certify.translog.steps import append_status_entry

        append_status_entry(change)
        session.commit()
    result = app.test_cli_runner().invoke(args=["log", "verify"])
    assert result.exit_code == 1
    assert certificate.serial in result.output
    assert "breaks the status table" in result.output and "stays withdrawn" in result.output


def test_a_failed_issuance_leaves_no_log_entry(
    app, session, make_application, issue, monkeypatch
) -> None:
    before = _count(session)

    def boom(ctx):
        raise RuntimeError("disk full")

    lifecycle_steps.insert_step(monkeypatch, boom, after="append_issuance_entry")
    from certify.certificates.issuance import IssuanceError

    with pytest.raises(IssuanceError):
        issue(make_application())
    session.rollback()
    assert _count(session) == before


# --------------------------------------------------------------------------- live databases


@pytest.fixture
def live_app(fresh_database_url, tmp_path):
    app = create_app(make_test_config(fresh_database_url, str(tmp_path / "instance")))
    yield app
    get_db(app).engine.dispose()


def _thread_appends(app, n: int, label: str, errors: list) -> None:
    try:
        db = get_db(app)
        with app.app_context():
            signer = current_signer()
            for i in range(n):
                with db.new_session(writer=True) as s:
                    append_entry(
                        s,
                        LogEvent.CREDENTIAL_KEY_ADDED,
                        clock.now(),
                        key_id=f"{label}-{i}",
                        signer=signer,
                    )
                    s.commit()
    except Exception as exc:  # pragma: no cover - reported by the test
        errors.append(exc)


def test_concurrent_appends_never_share_an_index(live_app) -> None:
    with live_app.app_context():
        get_keystore()  # create the keys once, before the threads
    errors: list = []
    threads = [
        threading.Thread(target=_thread_appends, args=(live_app, 8, f"t{k}", errors))
        for k in range(5)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with live_app.app_context(), get_db(live_app).new_session(writer=False) as s:
        from certify.translog.store import current_verifier_key

        report = verify_log(s, current_verifier_key(), "registry.test/log")
        assert report.ok, report.problem
        assert report.entries == report.checkpoints == 40
        ids = {json.loads(e)["key_id"] for e in s.scalars(select(LogEntry.entry))}
        assert len(ids) == 40


def _build_live_log(app) -> None:
    """Four real key entries: the first key set, then a rotation (credential + signing)."""
    db = get_db(app)
    with app.app_context():
        with db.new_session() as s:
            log_key_changes(s, get_keystore(), clock.now())
            s.commit()
        rotate_keys()
        with db.new_session() as s:
            log_key_changes(s, get_keystore(), clock.now())
            s.commit()


def _drop_triggers(app) -> None:
    """What an attacker with database administrator rights could do."""
    db = get_db(app)
    with db.engine.begin() as conn:
        for table in ("log_entry", "log_node", "log_checkpoint"):
            if db.engine.dialect.name == "postgresql":
                conn.execute(text(f"DROP TRIGGER {table}_append_only ON {table}"))
            else:
                conn.execute(text(f"DROP TRIGGER {table}_no_update"))
                conn.execute(text(f"DROP TRIGGER {table}_no_delete"))


def _log_verify(app):
    return app.test_cli_runner().invoke(args=["log", "verify"])


def test_log_rows_are_append_only_in_the_database(live_app) -> None:
    _build_live_log(live_app)
    with get_db(live_app).new_session() as s:
        for statement in (
            "UPDATE log_entry SET serial = 'X' WHERE idx = 1",
            "DELETE FROM log_entry WHERE idx = 1",
            "UPDATE log_node SET hash = hash WHERE level = 0",
            "DELETE FROM log_checkpoint WHERE size = 1",
        ):
            with pytest.raises(Exception, match="append-only"):
                s.execute(text(statement))
            s.rollback()


def test_log_verify_passes_on_an_intact_log(live_app) -> None:
    _build_live_log(live_app)
    result = _log_verify(live_app)
    assert result.exit_code == 0, result.output
    assert "4 entries and 4 checkpoint(s)" in result.output


TAMPERING = {
    "idx": ("UPDATE log_entry SET idx = 99 WHERE idx = 2", "entry #2"),
    "event": ("UPDATE log_entry SET event = 'suspended' WHERE idx = 2", "entry #2"),
    "serial": ("UPDATE log_entry SET serial = 'ISR-X' WHERE idx = 2", "entry #2"),
    "entry": ("UPDATE log_entry SET entry = leaf_hash WHERE idx = 2", "entry #2"),
    "leaf_hash": ("UPDATE log_entry SET leaf_hash = entry WHERE idx = 2", "entry #2"),
    "delete": ("DELETE FROM log_entry WHERE idx = 2", "entry #2"),
    "delete newest": ("DELETE FROM log_entry WHERE idx = 3", "entry #3"),
    "node": (
        "UPDATE log_node SET hash = (SELECT hash FROM log_node WHERE level = 0 AND idx = 0)"
        " WHERE level = 0 AND idx = 2",
        "entry #2",
    ),
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_tampering_with_an_entry_makes_log_verify_fail_naming_it(live_app, case) -> None:
    assert {c.name for c in LogEntry.__table__.columns} <= set(TAMPERING)  # every column
    _build_live_log(live_app)
    _drop_triggers(live_app)
    statement, expected = TAMPERING[case]
    with get_db(live_app).engine.begin() as conn:
        conn.execute(text(statement))
    result = _log_verify(live_app)
    assert result.exit_code == 1, result.output
    assert expected in result.output


def test_a_checkpoint_resigned_by_another_key_makes_log_verify_fail(live_app) -> None:
    _build_live_log(live_app)
    _drop_triggers(live_app)
    db = get_db(live_app)
    with db.new_session() as s:
        note = s.scalar(select(LogCheckpoint.note).where(LogCheckpoint.size == 2))
        forged = sign_note(
            note.split("\n\n")[0] + "\n", "registry.test/log", Ed25519PrivateKey.generate()
        )
        s.execute(text("UPDATE log_checkpoint SET note = :n WHERE size = 2"), {"n": forged})
        s.commit()
    result = _log_verify(live_app)
    assert result.exit_code == 1 and "checkpoint at size 2" in result.output


def test_a_key_never_logged_makes_log_verify_fail(live_app) -> None:
    _build_live_log(live_app)
    with live_app.app_context():
        rotate_keys(credential_only=True)
    result = _log_verify(live_app)
    assert result.exit_code == 1 and "is not in the log" in result.output
    # flask init's step logs it; then the log is whole again.
    runner = live_app.test_cli_runner()
    with live_app.app_context():
        from certify.translog.cli import log_key_changes_step

        log_key_changes_step()
    assert _log_verify(live_app).exit_code == 0
    assert runner


def test_nodes_and_head_stay_in_step(app, session) -> None:
    _append_keys(app, session, 9)
    size = session.scalar(select(LogHead.size))
    nodes = session.scalar(select(func.count()).select_from(LogNode))
    assert nodes == 2 * size - bin(size).count("1")


def test_log_verify_shows_a_progress_bar_on_stderr_for_large_logs(
    app, session, monkeypatch
) -> None:
    from certify.translog import cli

    _append_keys(app, session, 3)
    monkeypatch.setattr(cli, "PROGRESS_FROM", 2)
    # The key store's own keys were never announced here: the audit says so.
    result = app.test_cli_runner().invoke(args=["log", "verify"])
    assert "checking entries" in result.stderr
    assert "checking entries" not in result.stdout
    assert result.exit_code == 1 and "log BROKEN: key" in result.stderr


def test_the_log_page_shows_the_checkpoint_and_how_to_audit(app, session, client) -> None:
    _append_keys(app, session, 2)
    page = client.get("/log").text
    size = session.scalar(select(LogHead.size))
    assert f"<strong>{size}</strong>" in page
    assert "registry.test/log" in page and "How anyone can audit the log" in page
    assert "/api/v1/log/proof/consistency" in page and _pub(client) in page


def test_without_keys_the_empty_log_says_unavailable(app, client) -> None:
    app.config["KEYS_AUTO_CREATE"] = False
    response = client.get("/api/v1/log/checkpoint")
    assert response.status_code == 503
    assert response.json["error"]["code"] == "service_unavailable"
    assert client.get("/log").status_code == 503


def test_the_pdf_carries_a_log_proof_that_verifies_offline(client, make_application, issue) -> None:
    from certify.core.pdf.reading import extract_attachment

    certificate = issue(make_application())
    response = client.get(f"/certificates/{certificate.serial}.pdf")
    assert response.status_code == 200
    proof = extract_attachment(response.data, "transparency-log.tlog-proof")
    credential = extract_attachment(response.data, "certificate.json")
    assert proof is not None and credential is not None
    ok, detail = verify_certificate_log_proof(proof, credential, _pub(client), "registry.test/log")
    assert ok, detail
