"""The public registry: search, certificate pages, the CSV export and the Atom feed."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from certify.certificates.models import Certificate
from certify.core.actor import Actor
from certify.registry import search as s
from tests.core.tools import open_in_spreadsheet
from tests.web import certificate_fixtures

issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric

ADMIN = Actor.cli("tests")
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def certified(make_application, issue):
    """``certified(name)``: issue a certificate to a new organisation called *name*."""

    def make(name: str, level: int = 3) -> Certificate:
        return issue(make_application(org_name=name), level=level)

    return make


def suspend(app, session, certificate: Certificate) -> None:
    from certify.lifecycle import suspend_certificate

    with app.app_context():
        suspend_certificate(session, certificate, ADMIN, "major_nonconformity", "Audit found")
        session.commit()


def _serials(client, query: str) -> list[str]:
    response = client.get("/registry/export.csv" + query)
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    return [r["serial"] for r in rows]


# ------------------------------------------------------------------------- pure helpers


def test_words_fold_accents_case_and_punctuation() -> None:
    assert s.words("Café-Ñandú  DATA_works (Pvt.)") == ["cafe", "nandu", "data", "works", "pvt"]


def test_successor_bounds_every_prefix() -> None:
    assert s._successor("abc") == "abd"
    assert s._successor("az") == "b"
    assert s._successor("a9") == "aa"
    assert s._successor("zz") is None
    # every word with the prefix sorts inside [prefix, successor)
    for word in ["az", "azz", "az0", "azzzzz"]:
        assert "az" <= word < s._successor("az")


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Acme = good", "Acme = good"),
        ("", ""),
        (None, ""),
    ],
)
def test_csv_cells_never_start_a_formula(cell, shown) -> None:
    assert s.csv_cell(cell) == shown


@pytest.mark.parametrize(
    "args",
    [
        {"status": "revoked"},
        {"level": "gold"},
        {"country": "Kenya"},
        {"standard": "isrps@"},
        {"standard": "@1.0"},
        {"q": "x" * 201},
    ],
)
def test_bad_filters_are_refused_with_a_message(args) -> None:
    with pytest.raises(s.FilterError):
        s.parse_filters(args)


def test_filters_are_normalised() -> None:
    f = s.parse_filters({"country": "ke", "status": "Active", "standard": "ISRPS@1.0"})
    assert (f.country, f.status, f.standard_id, f.standard_version) == (
        "KE",
        "active",
        "isrps",
        "1.0",
    )


@pytest.mark.parametrize("value", ["0", "-1", "1.5", "abc", "9999999999"])
def test_bad_page_numbers_are_refused(value) -> None:
    with pytest.raises(s.FilterError):
        s.parse_page(value)


# ------------------------------------------------------------------------- search


def test_search_by_word_prefix_and_serial(client, certified) -> None:
    nairobi = certified("Nairobi DataWorks")
    lagos = certified("Lagos Data Collective")
    assert set(_serials(client, "?q=data")) == {nairobi.serial, lagos.serial}
    assert _serials(client, "?q=nair") == [nairobi.serial]
    assert _serials(client, "?q=NAIROBI%20dataw") == [nairobi.serial]
    assert _serials(client, "?q=nairobi%20collective") == []
    assert _serials(client, "?q=airobi") == []  # prefixes of words, not any substring
    # a serial, typed any way, or its beginning
    typed = lagos.serial.lower().replace("-", " ")
    assert _serials(client, "?q=" + typed) == [lagos.serial]
    first_group = lagos.serial.split("-")[1]  # the beginning of the serial, digits or not
    assert lagos.serial in _serials(client, "?q=" + first_group.lower())
    middle_group = lagos.serial.split("-")[2]  # not a beginning: not a serial match
    assert lagos.serial not in _serials(client, "?q=" + middle_group + "x")


def test_search_page_lists_statuses_in_words_with_data_as_of(app, client, session, certified):
    certificate = certified("Nairobi DataWorks")
    page = client.get("/registry?q=nairobi")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert certificate.serial in html and "Data as of" in html
    assert 'badge badge-ok">Active' in html
    suspend(app, session, certificate)
    html = client.get("/registry?q=nairobi").get_data(as_text=True)
    assert 'badge badge-warn">Suspended' in html


def test_filters_country_status_level_standard(app, client, session, certified) -> None:
    a = certified("Alpha Services")
    b = certified("Beta Services", level=4)
    suspend(app, session, b)
    assert _serials(client, "?status=suspended") == [b.serial]
    assert _serials(client, "?status=active") == [a.serial]
    assert _serials(client, "?country=ke") == [a.serial, b.serial]
    assert _serials(client, "?country=BD") == []
    assert _serials(client, f"?standard=isrps@{a.standard_version}") == [a.serial, b.serial]
    assert _serials(client, "?standard=isrps@9.9") == []
    assert _serials(client, "?standard=other") == []
    assert _serials(client, f"?level={a.level}")[0] == a.serial


def test_the_filters_offer_what_certificates_name_and_follow_new_ones(
    client, session, make_application, issue
) -> None:
    """The choice lists are kept between pages (reading them is slow on a large registry);
    a certificate in a new country is offered on the very next page."""
    issue(make_application(org_name="Alpha Services"))  # an organisation in Kenya
    page = client.get("/registry").get_data(as_text=True)
    assert '<option value="KE">' in page
    assert '<option value="NG">' not in page
    application = make_application(org_name="Lagos Lines")
    application.organisation.country = "NG"
    session.commit()
    issue(application)
    page = client.get("/registry").get_data(as_text=True)
    assert '<option value="KE">' in page and '<option value="NG">' in page


def test_expired_is_derived_and_active_excludes_it(client, session, certified) -> None:
    old = certified("Old Timers")
    certified("New Comers")
    # valid_until is a record column guarded by a trigger; move it the way a test can: the
    # trigger refuses UPDATE, so compare against a clock in the future instead.
    later = old.valid_until + dt.timedelta(days=2)
    result = s.search(session, s.Filters(status="expired"), now=later)
    assert {r["serial"] for r in result.rows} >= {old.serial}
    result = s.search(session, s.Filters(status="active"), now=later)
    assert old.serial not in {r["serial"] for r in result.rows}
    assert s.live_status("active", old.valid_until, old.valid_until).value == "active"
    end_of_day = dt.datetime.combine(
        old.valid_until.date() + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC
    )
    assert s.live_status("active", old.valid_until, end_of_day).value == "expired"
    assert old.status_at(end_of_day).value == "expired"


def test_pagination(client, session, certified) -> None:
    for n in range(3):
        certified(f"Paged Org {n}")
    result = s.search(
        session, s.Filters(q="paged"), page=2, per_page=2, now=dt.datetime.now(dt.UTC)
    )
    assert result.total == 3 and result.pages == 2 and len(result.rows) == 1
    html = client.get("/registry?q=paged&page=1").get_data(as_text=True)
    assert "3 certificates found" in html


@pytest.mark.parametrize("query", ["?status=nope", "?page=0", "?page=x", "?country=Kenya"])
def test_bad_search_input_is_a_400_page_not_a_500(client, query) -> None:
    response = client.get("/registry" + query)
    assert response.status_code == 400
    assert "Please correct the search" in response.get_data(as_text=True)
    assert client.get("/registry/export.csv" + query.replace("page=0", "status=x")).status_code in (
        400,
        200,
    )


# ------------------------------------------------------------------------- CSV


def test_csv_escapes_a_planted_formula(client, certified) -> None:
    bad = certified('=HYPERLINK("http://evil.test","Click") Ltd')
    response = client.get("/registry/export.csv?q=hyperlink")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "serial"
    assert rows[1][0] == bad.serial
    assert rows[1][1] == "'" + '=HYPERLINK("http://evil.test","Click") Ltd'
    # no cell of any row starts a formula
    for row in rows:
        for cell in row:
            assert not cell or cell[0] not in "=+-@\t\r"


def test_the_csv_opens_in_a_spreadsheet_without_running_the_planted_formula(
    client, certified, tmp_path
) -> None:
    planted = '=HYPERLINK("http://evil.test","Click") Ltd'
    bad = certified(planted)
    # The control: the same name written to a CSV without escaping runs as a formula.
    raw = tmp_path / "raw" / "unescaped.csv"
    raw.parent.mkdir()
    with raw.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["serial", "holder"], [bad.serial, planted]])
    control = open_in_spreadsheet(raw)
    assert control[1][1][1] is not None and "HYPERLINK" in control[1][1][1]

    export = tmp_path / "export" / "registry.csv"
    export.parent.mkdir()
    export.write_bytes(client.get("/registry/export.csv?q=hyperlink").get_data())
    sheet = open_in_spreadsheet(export)
    assert [cell[0] for cell in sheet[0][:2]] == ["serial", "holder"]
    assert sheet[1][0] == (bad.serial, None)
    assert sheet[1][1] == ("'" + planted, None)  # shown as text, never run
    assert all(formula is None for row in sheet for _shown, formula in row)


def test_csv_follows_the_filters_and_live_status(app, client, session, certified) -> None:
    a = certified("Gamma Works")
    certified("Delta Works")
    suspend(app, session, a)
    response = client.get("/registry/export.csv?status=suspended")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [(r["serial"], r["status"]) for r in rows] == [(a.serial, "suspended")]


# ------------------------------------------------------------------------- certificate page


def test_certificate_page_shows_the_record(client, certified) -> None:
    certificate = certified("Nairobi DataWorks")
    response = client.get(f"/registry/{certificate.serial}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    snapshot = certificate.snapshot_data
    assert "Nairobi DataWorks" in html
    assert snapshot["sites"][0]["name"] in html
    assert snapshot["scope"] in html
    assert f'/standards/isrps/{snapshot["standard"]["version"]}"' in html
    assert f"/certificates/{certificate.serial}.pdf" in html
    assert f"/certificates/{certificate.serial}.json" in html
    assert f"/verify/{certificate.serial}" in html
    assert 'class="bar"' in html and "w-" in html
    assert "style=" not in html  # the CSP forbids inline style
    for section in snapshot["sectionScores"]:
        assert section["title"] in html
    assert "Issued" in html and "Next surveillance due" in html


def test_certificate_page_status_history_shows_category_not_reason(
    app, client, session, certified
) -> None:
    certificate = certified("Nairobi DataWorks")
    from certify.lifecycle import suspend_certificate

    with app.app_context():
        suspend_certificate(
            session, certificate, ADMIN, "fraud", "Jane Doe (worker) complained privately"
        )
        session.commit()
    html = client.get(f"/registry/{certificate.serial}").get_data(as_text=True)
    assert 'badge badge-warn">Suspended' in html
    assert "<td>Fraud</td>" in html
    assert "Jane Doe" not in html


def test_typed_serials_redirect_and_unknown_are_404(client, certified) -> None:
    certificate = certified("Nairobi DataWorks")
    typed = certificate.serial.lower().replace("-", " ")
    response = client.get(f"/registry/{typed}")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/registry/{certificate.serial}")
    assert client.get("/registry/not-a-serial").status_code == 404
    body = certificate.serial.split("-")
    body[1] = "ZZZZ" if body[1] != "ZZZZ" else "YYYY"
    assert client.get("/registry/" + "-".join(body)).status_code == 404


# ------------------------------------------------------------------------- feed


def test_feed_is_atom_newest_first_with_issuance_and_changes(app, client, session, certified):
    first = certified("First Org")
    second = certified("Second Org")
    suspend(app, session, first)
    response = client.get("/registry/feed.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{tag}").text
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 3
    for entry in entries:
        for tag in ("id", "title", "updated", "summary"):
            assert entry.find(f"{ATOM}{tag}").text
        assert entry.find(f"{ATOM}link").get("href").startswith("http://registry.test/registry/")
    titles = [e.find(f"{ATOM}title").text for e in entries]
    assert titles[0] == f"First Org: certificate {first.serial} suspended"
    assert f"{second.serial} issued" in titles[1] and f"{first.serial} issued" in titles[2]
    updated = [e.find(f"{ATOM}updated").text for e in entries]
    assert updated == sorted(updated, reverse=True)
    assert len({e.find(f"{ATOM}id").text for e in entries}) == 3
    assert root.find(f"{ATOM}updated").text == updated[0]


def test_feed_escapes_markup_in_names(client, certified) -> None:
    certified("<script>alert(1)</script> & Sons")
    response = client.get("/registry/feed.atom")
    root = ET.fromstring(response.data)  # still well-formed
    assert "<script>" in root.find(f"{ATOM}entry/{ATOM}title").text
    assert b"<script>" not in response.data


def test_nav_links_to_the_registry(client) -> None:
    assert 'href="/registry"' in client.get("/").get_data(as_text=True)


def test_terms_are_written_at_issuance(session, certified) -> None:
    from certify.registry.models import RegistryTerm

    certificate = certified("Ünïcode Éxample")
    terms = set(
        session.scalars(
            select(RegistryTerm.term).where(RegistryTerm.certificate_id == certificate.id)
        )
    )
    assert {"unicode", "example"} <= terms
    assert certificate.serial.replace("-", "").lower() in terms
    kinds = dict(
        session.execute(
            select(RegistryTerm.term, RegistryTerm.kind).where(
                RegistryTerm.certificate_id == certificate.id
            )
        ).all()
    )
    assert kinds["unicode"] == "w" and kinds[certificate.serial.replace("-", "").lower()] == "s"


def test_status_follows_the_certificate_through_the_trigger(session, certified) -> None:
    # the search reads live columns; a direct status update shows at once
    certificate = certified("Live Status Org")
    session.execute(
        update(Certificate).where(Certificate.id == certificate.id).values(status="withdrawn")
    )
    result = s.search(session, s.Filters(q="live"), now=dt.datetime.now(dt.UTC))
    assert result.rows[0]["status"].value == "withdrawn"


# ------------------------------------------------------------------------- the page people use


def test_columns_sort_both_ways(client, certified, session) -> None:
    from sqlalchemy import update

    from certify.registry.models import RegistryEntry

    a, b = certified("Alpha Annotation"), certified("Beta Bookkeeping")
    session.execute(
        update(RegistryEntry).where(RegistryEntry.serial == a.serial).values(holder_country="UG")
    )
    session.commit()
    assert _serials(client, "?sort=name") == [a.serial, b.serial]
    assert _serials(client, "?sort=-name") == [b.serial, a.serial]
    assert _serials(client, "?sort=country") == [b.serial, a.serial]  # KE before UG
    page = client.get("/registry?sort=-name").get_data(as_text=True)
    assert 'aria-sort="descending"' in page and "sort=name" in page  # the header turns it back
    assert client.get("/registry?sort=holder").status_code == 400
    assert client.get("/api/v1/certificates?sort=-valid_until").status_code == 200


def test_filters_offer_only_what_the_registry_holds(client, certified) -> None:
    certified("Kisumu Keyers")  # the fixture's organisations are in Kenya
    page = client.get("/registry").get_data(as_text=True)
    assert '<option value="KE">Kenya</option>' in page
    assert "Antarctica" not in page and '<option value="FR">' not in page
    assert '<option value="isrps@1.0">ISRPS 1.0</option>' in page


def test_organisation_names_link_to_their_certificates(client, certified) -> None:
    certified("Thika Transcripts")
    page = client.get("/registry").get_data(as_text=True)
    assert 'href="/registry?q=Thika+Transcripts"' in page


def test_a_page_past_the_end_says_so(client, certified) -> None:
    certified("Only One Ltd")
    page = client.get("/registry?page=99").get_data(as_text=True)
    assert "past the last page" in page and "No certificate matches" not in page


def test_section_bars_are_scaled_to_each_sections_weight(client, certified) -> None:
    """A section's bar is its score out of its own weight (a full section is a full bar, as on
    the PDF), with the percentage printed; never out of 100 points for every section."""
    certificate = certified("Nairobi DataWorks")
    html = client.get(f"/registry/{certificate.serial}").get_data(as_text=True)
    rows = re.findall(
        r'<th scope="row">([^<]+)</th><td>[^<]+</td><td>[^<]+ <span class="muted">\((\d+)%\)'
        r'</span></td>\s*<td><span class="bar" aria-hidden="true"><span class="w-(\d+)">',
        html,
    )
    sections = certificate.snapshot_data["sectionScores"]
    assert len(rows) == len(sections)
    for (title, shown_percent, width), section in zip(rows, sections, strict=True):
        exact = Decimal(section["score"]) / Decimal(section["weight"]) * 100
        assert title == section["title"]
        assert int(shown_percent) == round(exact)
        assert int(width) == int(exact // 5) * 5
    # Weights are 10-25 points: bars out of 100 would all be a quarter full at best.
    assert max(int(width) for *_, width in rows) > 25


def test_the_service_filter_finds_providers_by_the_work_their_scope_names(
    app, client, session, make_application, issue
) -> None:
    support = issue(make_application(org_name="Eldoret Support"))  # annotation, customer support
    other = make_application(org_name="Gulu Transcripts")
    other.services = "Transcription of radio archives and data entry"
    session.commit()
    transcripts = issue(other)
    assert _serials(client, "?service=transcription") == [transcripts.serial]
    assert _serials(client, "?service=contact-centre") == [support.serial]
    assert _serials(client, "?service=data-entry") == [transcripts.serial]
    assert _serials(client, "?service=translation") == []
    page = client.get("/registry").get_data(as_text=True)
    offered = page.split('<select id="service"', 1)[1].split("</select>", 1)[0]
    for label in ("Transcription", "Data entry", "Data annotation", "Contact centre"):
        assert f">{label}</option>" in offered
    assert "Translation" not in offered  # only kinds some certificate names
    assert client.get("/registry?service=juggling").status_code == 400
    api = client.get("/api/v1/certificates?service=transcription").get_json()
    assert [item["serial"] for item in api["items"]] == [transcripts.serial]
