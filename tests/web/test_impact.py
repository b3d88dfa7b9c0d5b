"""Verified impact figures: recorded at issuance from the audited answers, the same on the
certificate's page, in the API, in the CSV and on the registry-wide Impact page; bands, never
head counts; nothing published about fewer impact workers than the minimum group size."""

from __future__ import annotations

import csv
import io
import json
import statistics
from decimal import Decimal

import pytest

from certify import clock
from certify.core.rubric.samples import sample_answers
from certify.core.scoring.engine import score
from certify.lifecycle import issue_certificate
from tests.web import certificate_fixtures

make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric


@pytest.fixture
def certified(app, session, make_application, rubric):
    """``certified(name, headcount, impact, number_level)``: an issued certificate whose
    audited numbers sit in the band *number_level*."""

    def make(name: str, headcount: int, impact: int, number_level: int = 4):
        application = make_application(org_name=name)
        application.headcount, application.impact_headcount = headcount, impact
        application.impact_groups = json.dumps(["Youth not in employment", "Women returners"])
        session.commit()
        result = score(rubric, sample_answers(rubric, 3, number_level=number_level))
        with app.app_context():
            certificate = issue_certificate(
                session,
                application,
                score=result,
                rubric=rubric,
                decided_at=clock.now(),
                actor=certificate_fixtures.REVIEWER,
            )
            session.commit()
        return certificate

    return make


def _value(figures, criterion):
    return next(f for f in figures["figures"] if f["criterion"] == criterion)


def test_figures_agree_on_the_page_in_the_api_the_csv_and_the_impact_page(
    client, certified
) -> None:
    big = [
        certified("Nairobi DataWorks", 317, 173, 4),
        certified("Lagos Annotate", 60, 41, 3),
        certified("Dhaka Voice", 1200, 700, 2),
    ]
    small = certified("Tiny Atelier", 8, 6, 4)  # under the minimum group size (10)
    api = {}
    for certificate in [*big, small]:
        answer = client.get(f"/api/v1/certificates/{certificate.serial}/impact")
        assert answer.status_code == 200
        api[certificate.serial] = answer.get_json()["impactFigures"]
    first = api[big[0].serial]
    assert first["workforceBand"] == "250-999" and first["impactWorkersBand"] == "50-249"
    uplift = _value(first, "FW-3")
    assert uplift["value"] == "200.00" and uplift["unit"] == "percent"
    assert _value(first, "CR-1")["basis"].startswith("Share of profit")
    # the page shows what the API says
    page = client.get(f"/registry/{big[0].serial}").get_data(as_text=True)
    assert "Verified impact figures" in page and "200.00%" in page and "<svg" in page
    assert "317" not in page and "173" not in page  # never the head counts
    # the small ISSP: nothing about its impact workers, anywhere
    tiny = api[small.serial]
    assert tiny["impactWorkersBand"] is None and tiny["workforceBand"] == "1-9"
    assert all(f.get("suppressed") and "value" not in f for f in tiny["figures"])
    tiny_page = client.get(f"/registry/{small.serial}").get_data(as_text=True)
    assert "Withheld" in tiny_page and "200.00%" not in tiny_page
    # the CSV holds exactly the API's values
    text = client.get("/impact.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        figure = _value(api[row["serial"]], row["criterion"])
        assert row["value"] == figure.get("value", "")
    assert {r["value"] for r in rows if r["serial"] == small.serial} == {""}
    # the Impact page's medians are the medians of the certificates' published values
    summary = client.get("/api/v1/impact").get_json()
    assert summary["certificates"] == 4
    for indicator in summary["indicators"]:
        values = [
            Decimal(_value(api[c.serial], indicator["criterion"])["value"])
            for c in big
            if "value" in _value(api[c.serial], indicator["criterion"])
        ]
        expected = statistics.median(values).quantize(Decimal("0.01"))
        assert indicator["median"] == str(expected)
    assert summary["impactWorkersAtLeast"] == 50 + 10 + 250
    html = client.get("/impact").get_data(as_text=True)
    assert "Data as of" in html and "Method" in html and "<svg" in html
    downloaded = json.loads(client.get("/impact.json").get_data(as_text=True))
    assert downloaded["dataDictionary"]["value"] and len(downloaded["items"]) == 4


def test_the_impact_page_works_with_no_certificates(client) -> None:
    page = client.get("/impact")
    assert page.status_code == 200 and "No active certificate publishes" in page.get_data(
        as_text=True
    )
    assert client.get("/api/v1/impact").get_json()["certificates"] == 0


def test_an_unknown_serial_has_no_figures(client) -> None:
    assert client.get("/api/v1/certificates/ISR-0000-0000-0000-0/impact").status_code == 404
    assert client.get("/api/v1/certificates/nonsense/impact").status_code == 404


def test_the_issp_sees_before_the_decision_which_figures_will_be_published(
    client, session, create_user, make_application
) -> None:
    from tests.web.conftest import login

    member = create_user("issp")
    application = make_application(member)
    application.state = "in_audit"
    session.commit()
    login(client, member)
    page = client.get(f"/applications/{application.public_id}/published-figures")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Median income uplift over verified pre-hire income" in text
    assert "once the auditor submits the audit" in text
    application.state = "audit_submitted"
    application.headcount, application.impact_headcount = 40, 30
    session.commit()
    text = client.get(f"/applications/{application.public_id}/published-figures").get_data(
        as_text=True
    )
    assert "As the audit stands now" in text and "10-49" in text and "40" not in text
    other = app_client = client.application.test_client()
    login(other, create_user("issp"))
    assert (
        app_client.get(f"/applications/{application.public_id}/published-figures").status_code
        == 404
    )


def test_the_chart_keeps_every_bar_and_value_inside_its_drawing(client, certified) -> None:
    """Labels end before the bars start, and the value after the longest bar (a 200 % uplift
    draws a full bar) still fits: nothing is cut off at the drawing's edge."""
    import re

    certificate = certified("Nairobi DataWorks", 317, 173, 4)
    page = client.get(f"/registry/{certificate.serial}").get_data(as_text=True)
    svg = re.search(r'<svg class="chart" viewBox="0 0 (\d+) \d+".*?</svg>', page, re.S)
    assert svg is not None
    width = int(svg.group(1))
    bars = [
        (float(x), float(w))
        for x, w in re.findall(r'<rect x="([\d.]+)"[^>]*width="([\d.]+)"', svg.group(0))
    ]
    texts = re.findall(r'<text x="([\d.]+)"[^>]*>([^<]*)</text>', svg.group(0))
    assert bars and len(texts) == 2 * len(bars)
    char = 11 * 0.6  # a generous average glyph width of ordinary text at the chart's font size
    labels, values = texts[0::2], texts[1::2]
    for (bar_x, bar_w), (label_x, label), (value_x, value) in zip(
        bars, labels, values, strict=True
    ):
        assert float(label_x) + len(label) * char <= bar_x, label
        assert float(value_x) >= bar_x + bar_w
        assert float(value_x) + len(value) * char <= width, value
    assert "200.00%" in [value for _x, value in values]


class TestIndicatorsOfTheConfiguredRubrics:
    """A registry with its own rubrics folder (``RUBRICS_DIR``) publishes the indicators
    file beside its rubric there, not the one shipped in the package."""

    @pytest.fixture
    def app_config(self, tmp_path) -> dict:
        from tests.core.rubric_fixtures import copy_rubrics

        folder = copy_rubrics(tmp_path)
        indicators = folder / "isrps" / "1.0.indicators.json"
        data = json.loads(indicators.read_text(encoding="utf-8"))
        data["period"] = "the registry's own period: the last payroll year"
        data["public_indicators"] = data["public_indicators"][:1]
        indicators.write_text(json.dumps(data), encoding="utf-8")
        return {"RUBRICS_DIR": str(folder)}

    def test_the_configured_file_is_read(self, app, rubric) -> None:
        from certify.impact.records import indicators_for

        with app.app_context():
            indicators = indicators_for(rubric)
        assert indicators is not None
        assert indicators.period == "the registry's own period: the last payroll year"
        assert len(indicators.criteria) == 1
