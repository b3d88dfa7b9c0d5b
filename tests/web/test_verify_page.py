"""The verification page for the person who scanned the QR code (issue 21): the verdict, who is
certified for what and where, the dates that apply to the status, a link to the registry entry,
then only the checks that were made, in plain words. A document that fails says nothing
"passed" that could reassure."""

from __future__ import annotations

import html
import io
import re

import pytest

from certify.core.actor import Actor
from certify.lifecycle import withdraw_certificate
from tests.web import certificate_fixtures

issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric
ADMIN = Actor.cli("tests")


@pytest.fixture
def certificate(issue, make_application):
    return issue(make_application())


def _main(page: str) -> str:
    return page.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def _checks(page: str) -> list[tuple[str, str]]:
    listing = page.split('<ul class="check-list">', 1)[1].split("</ul>", 1)[0]
    found = re.findall(r'<span class="badge badge-\w+">(Yes|No)</span>\s*([^<]+)</li>', listing)
    return [(answer, html.unescape(words).strip()) for answer, words in found]


def test_the_qr_visitor_sees_who_what_where_and_until_when(client, certificate) -> None:
    page = _main(client.get(f"/verify/{certificate.serial}").get_data(as_text=True))
    snapshot = certificate.snapshot_data
    assert "Genuine and valid" in page
    assert certificate.holder_name in page
    assert snapshot["scope"] and snapshot["scope"] in page
    for site in snapshot["sites"]:
        assert site["name"] in page
    assert f"{certificate.valid_from:%-d %b %Y} to {certificate.valid_until:%-d %b %Y}" in page
    assert f'href="/registry/{certificate.serial}"' in page
    # only the checks that apply to a serial look-up, each in words; no "not checked" rows
    checks = _checks(page)
    assert checks and all(answer == "Yes" for answer, _ in checks)
    assert "Not checked" not in page and "not a PDF" not in page
    assert not any("signature matches its content" in words for _, words in checks)
    # identifiers stay in the technical details, not in the sentences
    assert not any("did:web" in words for _, words in checks)


def test_a_withdrawn_certificate_is_not_said_to_be_valid_until_anything(
    app, client, session, certificate
) -> None:
    with app.app_context():
        withdraw_certificate(session, certificate, ADMIN, "fraud", "Forged payroll")
        session.commit()
    page = _main(client.get(f"/verify/{certificate.serial}").get_data(as_text=True))
    assert "<dt>Withdrawn</dt>" in page and "no longer valid" in page
    assert "<dt>Valid</dt>" not in page
    assert f"{certificate.valid_until:%-d %b %Y}" not in page.split("<h2>What was checked", 1)[0]
    assert ("No", "Withdrawn on") in [(a, w[:12]) for a, w in _checks(page)]


def test_an_altered_pdf_says_nothing_passed(client, certificate) -> None:
    pdf = client.get(f"/certificates/{certificate.serial}.pdf").get_data()
    altered = pdf + b"\n% a line added after signing\n"
    response = client.post(
        "/verify",
        data={"file": (io.BytesIO(altered), "certificate.pdf")},
        content_type="multipart/form-data",
    )
    page = _main(response.get_data(as_text=True))
    assert "Altered after signing" in page
    checks = _checks(page)
    assert checks and all(answer == "No" for answer, _ in checks)
    assert "Yes" not in [a for a, _ in checks]
    assert ">passed<" not in page and "Passed" not in page
    # the holder's details are not repeated from an untrustworthy document
    assert "<dt>Holder</dt>" not in page
    assert "check the serial number here" in page  # what to do instead


def test_a_valid_uploaded_pdf_lists_the_document_checks_too(client, certificate) -> None:
    pdf = client.get(f"/certificates/{certificate.serial}.pdf").get_data()
    response = client.post(
        "/verify",
        data={"file": (io.BytesIO(pdf), "certificate.pdf")},
        content_type="multipart/form-data",
    )
    page = _main(response.get_data(as_text=True))
    words = [w for a, w in _checks(page) if a == "Yes"]
    assert "The document's signature matches its content." in words
    assert "Nothing was added or changed after signing." in words
