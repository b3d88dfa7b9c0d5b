"""``certify-verify --keys`` is honest about status (issue 20): exit 0 only for a valid
certificate whose status is known fresh enough; 3 for a genuine one without status
information (``--accept-unknown-status`` makes it 0); ``--status FILE`` reads saved status
lists, checked against the pinned keys, and says how old they are (``--max-status-age``).
The registry serves each list re-signed at the start of the hour, so a fetched list is fresh."""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse

import pytest

from certify import verify_cli
from certify.certificates.keys import get_keystore
from certify.core.actor import Actor
from certify.core.credentials.dates import parse_datetime
from certify.core.credentials.keydocs import key_resolver
from certify.core.credentials.proofs import verify_credential
from certify.core.verification.model import RegistryKeys
from certify.lifecycle import suspend_certificate, withdraw_certificate
from tests.web import certificate_fixtures

issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric

ACTOR = Actor.cli("tests")


@pytest.fixture
def issued(app, issue, make_application, tmp_path):
    certificate = issue(make_application())
    cred = tmp_path / "certificate.json"
    cred.write_bytes(certificate.credential)
    keys = tmp_path / "keys.json"
    with app.app_context():
        keys.write_text(json.dumps(get_keystore().export(app.config["PUBLIC_URL"])))
    return certificate, cred, keys


def save_lists(client, certificate, tmp_path) -> list[str]:
    """The certificate's status lists as a verifier saves them from the registry."""
    credential = json.loads(certificate.credential)
    paths = []
    for entry in credential["credentialStatus"]:
        path = urllib.parse.urlsplit(entry["statusListCredential"]).path
        response = client.get(path)
        assert response.status_code == 200
        saved = tmp_path / f"{entry['statusPurpose']}.json"
        saved.write_bytes(response.data)
        paths += ["--status", str(saved)]
    return paths


def test_a_withdrawn_certificate_without_status_does_not_exit_0(
    app, session, issued, capsys
) -> None:
    certificate, cred, keys = issued
    with app.app_context():
        withdraw_certificate(session, certificate, ACTOR, "fraud", "Forged payroll records")
        session.commit()
    assert verify_cli.main([str(cred), "--keys", str(keys)]) == 3
    out = capsys.readouterr().out
    assert "verdict: STATUS_UNKNOWN" in out and "may be suspended or withdrawn" in out
    assert "VALID" not in out.replace("STATUS_UNKNOWN", "")
    assert json.loads(_json(cred, keys, capsys))["verdict"] == "status_unknown"


def _json(cred, keys, capsys, *extra: str) -> str:
    verify_cli.main([str(cred), "--keys", str(keys), "--json", *extra])
    return capsys.readouterr().out


@pytest.mark.parametrize(
    ("change", "verdict"),
    [(withdraw_certificate, "WITHDRAWN"), (suspend_certificate, "SUSPENDED")],
)
def test_saved_status_lists_show_a_withdrawal_or_suspension(
    app, session, client, issued, tmp_path, capsys, change, verdict
) -> None:
    certificate, cred, keys = issued
    with app.app_context():
        change(session, certificate, ACTOR, "fraud", "Forged payroll records")
        session.commit()
    lists = save_lists(client, certificate, tmp_path)
    assert verify_cli.main([str(cred), "--keys", str(keys), *lists]) == 1
    out = capsys.readouterr().out
    assert f"verdict: {verdict}" in out and "status list signed" in out
    # a set bit counts however old the list: --max-status-age does not hide a withdrawal
    assert verify_cli.main([str(cred), "--keys", str(keys), *lists, "--max-status-age", "0s"]) == 1


def test_fresh_status_lists_make_an_active_certificate_valid(
    client, issued, tmp_path, capsys
) -> None:
    certificate, cred, keys = issued
    lists = save_lists(client, certificate, tmp_path)
    assert verify_cli.main([str(cred), "--keys", str(keys), *lists]) == 0
    out = capsys.readouterr().out
    assert "verdict: VALID" in out
    assert "status from lists signed" in out and "hours ago" in out
    # too old for the caller: genuine, status unknown
    assert verify_cli.main([str(cred), "--keys", str(keys), *lists, "--max-status-age", "0s"]) == 3
    assert "older than" in capsys.readouterr().out


def test_a_status_list_that_is_not_the_registrys_is_a_file_error(
    client, issued, tmp_path, capsys
) -> None:
    certificate, cred, keys = issued
    lists = save_lists(client, certificate, tmp_path)
    saved = tmp_path / "revocation.json"
    document = json.loads(saved.read_bytes())
    document["credentialSubject"]["encodedList"] = document["credentialSubject"]["encodedList"][
        ::-1
    ]
    saved.write_text(json.dumps(document))
    assert verify_cli.main([str(cred), "--keys", str(keys), *lists]) == 2
    assert "does not verify" in capsys.readouterr().err
    saved.write_text("{}")  # not a list the certificate names: ignored, so status unknown
    assert verify_cli.main([str(cred), "--keys", str(keys), *lists]) == 3
    assert verify_cli.main([str(cred), "--keys", str(keys), "--status", "/nonexistent"]) == 2
    assert verify_cli.main([str(cred), "--keys", str(keys), "--max-status-age", "soon"]) == 2


def test_status_lists_are_served_re_signed_at_the_hour(app, client, clock, issued) -> None:
    certificate, _cred, keys = issued
    entry = json.loads(certificate.credential)["credentialStatus"][0]
    path = urllib.parse.urlsplit(entry["statusListCredential"]).path
    first = client.get(path)
    clock.advance(dt.timedelta(hours=3))
    later = client.get(path)
    assert later.data != first.data and later.headers["ETag"] != first.headers["ETag"]
    document = json.loads(later.data)
    signed = parse_datetime(document["validFrom"])
    assert signed.minute == signed.second == 0
    assert dt.timedelta(0) <= clock.now() - signed < dt.timedelta(hours=1)
    registry = RegistryKeys.from_export(json.loads(keys.read_bytes()))
    resolve = key_resolver(registry.registry, registry.credential_keys)
    assert verify_credential(document, resolve).ok
    assert json.loads(first.data)["credentialSubject"] == document["credentialSubject"]
    assert client.get(path).data == later.data  # the same bytes all hour
