"""Credentials signed under either context version (issue 22): ``certify-v2`` credentials
sign the impact figures, bands and ``certifiedSince`` the registry publishes, and agree with
the page, the API and the CSV; ``certify-v1`` credentials, issued before, keep verifying on
the verify page, by upload (PDF and JSON, page and API) and with ``certify-v1`` offline."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from sqlalchemy import select

from certify import verify_cli
from certify.certificates.keys import get_keystore
from certify.certificates.models import Certificate
from certify.core.credentials.context import CONTEXT_V1, CONTEXT_V2
from certify.core.credentials.dates import format_datetime
from tests.web import certificate_fixtures
from tests.web.credential_v1 import issue_as_v1

issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric


def _upload(client, url: str, data: bytes, name: str):
    return client.post(
        url, data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


@pytest.mark.parametrize("version", [1, 2])
def test_a_credential_of_either_context_verifies_everywhere(
    app, client, monkeypatch, tmp_path, capsys, issue, make_application, version
) -> None:
    if version == 1:
        issue_as_v1(monkeypatch)
    certificate = issue(make_application())
    credential = json.loads(certificate.credential)
    context = CONTEXT_V1 if version == 1 else CONTEXT_V2
    assert credential["@context"][1] == context.url(app.config["PUBLIC_URL"])
    assert ("certifiedSince" in credential["credentialSubject"]) is (version == 2)
    assert client.get(context.path).data == context.data  # its context is still served
    # the QR target, the JSON API, and uploads of the credential and of the PDF
    page = client.get(f"/verify/{certificate.serial}").get_data(as_text=True)
    assert "Genuine and valid" in page
    body = client.post(
        "/api/v1/verify", data=certificate.credential, content_type="application/json"
    )
    assert body.json["verdict"] == "valid", body.json
    pdf = client.get(f"/certificates/{certificate.serial}.pdf").get_data()
    answer = _upload(client, "/api/v1/verify", pdf, "certificate.pdf").json
    assert answer["verdict"] == "valid", answer
    assert all(c["ok"] is not False for c in answer["checks"]), answer["checks"]
    uploaded = _upload(client, "/verify", pdf, "certificate.pdf").get_data(as_text=True)
    assert "Genuine and valid" in uploaded
    # certify-verify offline, with the pinned key export
    cred, keys = tmp_path / "certificate.json", tmp_path / "keys.json"
    cred.write_bytes(certificate.credential)
    with app.app_context():
        keys.write_text(json.dumps(get_keystore().export(app.config["PUBLIC_URL"])))
    args = [str(cred), "--keys", str(keys), "--accept-unknown-status"]
    assert verify_cli.main(args) == 0, capsys.readouterr().out
    paper = tmp_path / "certificate.pdf"
    paper.write_bytes(pdf)
    assert verify_cli.main([str(paper), "--keys", str(keys), "--accept-unknown-status"]) == 0


# --------------------------------------------------------------------------- the demo


@pytest.fixture
def demo(app, session):
    from certify.demo import load_demo

    with app.app_context():
        load_demo(echo=lambda _m: None, session=session)

    def certificates(holder: str) -> list[Certificate]:
        return list(
            session.scalars(
                select(Certificate)
                .where(Certificate.holder_name == holder)
                .order_by(Certificate.id)
            )
        )

    return certificates


#: A row of the page's figures table: "<title> (<criterion>)", then the value or "Withheld".
_PAGE_ROW = re.compile(
    r'<th scope="row">[^<]*<span class="muted">\((?P<criterion>[A-Z]+-\d+)\)</span></th>\s*'
    r"<td>(?P<value>\d+\.\d\d)?"
)


def _four_views(client, serial: str) -> dict[str, dict[str, str]]:
    """The published values of *serial*, by criterion, as the page, the credential, the API
    and the CSV give them (a withheld figure has no value, so it is absent)."""
    api = client.get(f"/api/v1/certificates/{serial}/impact").get_json()["impactFigures"]
    credential = json.loads(client.get(f"/certificates/{serial}.json").data)
    text = client.get("/impact.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r["serial"] == serial]
    page = client.get(f"/registry/{serial}").get_data(as_text=True)
    return {
        "page": {m["criterion"]: m["value"] for m in _PAGE_ROW.finditer(page) if m["value"]},
        "credential": {
            f["code"]: f["value"] for f in credential["credentialSubject"].get("impactFigures", [])
        },
        "api": {f["criterion"]: f["value"] for f in api["figures"] if "value" in f},
        "csv": {r["criterion"]: r["value"] for r in rows if r["value"]},
    }


def test_a_demo_certificates_figures_agree_on_the_page_in_the_credential_api_and_csv(
    client, demo
) -> None:
    (nairobi,) = demo("Nairobi DataWorks")
    views = _four_views(client, nairobi.serial)
    assert len(views["api"]) == 8, views  # every public indicator of ISRPS 1.0 is published
    assert views["page"] == views["credential"] == views["api"] == views["csv"]
    # and what each figure is: label, unit, basis, period; the bands
    api = client.get(f"/api/v1/certificates/{nairobi.serial}/impact").get_json()["impactFigures"]
    subject = json.loads(nairobi.credential)["credentialSubject"]
    signed = {f["code"]: f for f in subject["impactFigures"]}
    for figure in api["figures"]:
        claim = signed[figure["criterion"]]
        assert claim["label"] == figure["title"]
        assert claim.get("unit", "") == figure["unit"]
        assert claim.get("basis") == figure.get("basis")
        assert (claim["period"], claim["periodEnd"]) == (api["period"], api["periodEnd"])
        assert claim["indicator"].endswith(f"/standards/isrps/1.0#criterion-{claim['code']}")
    assert subject["workforceBand"] == api["workforceBand"] == "250-999"
    assert subject["impactWorkersBand"] == api["impactWorkersBand"] == "50-249"


def test_a_demo_figure_below_the_minimum_group_size_is_absent_from_all_four(client, demo) -> None:
    (kigali,) = demo("Kigali Micro Studio")
    views = _four_views(client, kigali.serial)
    assert views == {"page": {}, "credential": {}, "api": {}, "csv": {}}
    subject = json.loads(kigali.credential)["credentialSubject"]
    assert "impactFigures" not in subject and "impactWorkersBand" not in subject
    assert subject["workforceBand"] == "1-9"
    page = client.get(f"/registry/{kigali.serial}").get_data(as_text=True)
    assert "Withheld" in page  # the page says so rather than leaving a gap


def test_the_demo_renewals_credential_is_certified_since_its_first_certificate(
    client, demo
) -> None:
    old, new = demo("Kampala Impact Works")
    assert old.superseded_by_id == new.id
    since = json.loads(new.credential)["credentialSubject"]["certifiedSince"]
    assert since == format_datetime(old.valid_from)
    page = client.get(f"/registry/{new.serial}").get_data(as_text=True)
    assert "Certified since" in page and f"{old.valid_from:%-d %b %Y}" in page


def test_each_renewal_is_certified_since_the_start_of_the_unbroken_chain(
    client, clock, create_user, issue, make_application
) -> None:
    holder = create_user("issp")
    first = issue(make_application(holder))
    clock.advance(dt.timedelta(days=400))
    second = issue(make_application(holder))
    clock.advance(dt.timedelta(days=400))
    third = issue(make_application(holder))
    assert first.superseded_by_id == second.id and second.superseded_by_id == third.id

    def since(certificate: Certificate) -> str:
        return json.loads(certificate.credential)["credentialSubject"]["certifiedSince"]

    assert since(first) == format_datetime(first.valid_from)
    assert since(second) == since(third) == format_datetime(first.valid_from)
    assert format_datetime(third.valid_from) > since(third)
    page = client.get(f"/registry/{third.serial}").get_data(as_text=True)
    assert f"{first.valid_from:%-d %b %Y}" in page.split("Certified since", 1)[1][:200]
