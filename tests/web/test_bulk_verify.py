"""Bulk verification: one clear row per line, whatever the file holds; never a 5xx."""

from __future__ import annotations

import csv
import io

import pytest

from tests.web import certificate_fixtures

issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric


def _post(client, data: bytes, output: str = "table", name: str = "serials.csv"):
    return client.post(
        "/verify/bulk",
        data={"file": (io.BytesIO(data), name), "output": output},
        content_type="multipart/form-data",
    )


@pytest.fixture
def two(make_application, issue):
    return issue(make_application(org_name="Nairobi DataWorks")), issue(
        make_application(org_name="Lagos Annotate")
    )


def _lines(two) -> list[str]:
    good, other = two
    return [
        "serial",
        good.serial,
        other.serial.lower().replace("-", " "),
        "ISR-0000-0000-0000-0",  # well formed, check symbol right? maybe not: either way one row
        "ISR-XXXX",  # malformed
        '=HYPERLINK("http://evil.example","click")',
        "+cmd|' /C calc'!A0",
        "",
        "Lagos Annotate",
        "x" * 300,
    ]


def test_a_mixed_file_gives_one_clear_row_each_and_a_formula_safe_csv(client, two) -> None:
    lines = _lines(two)
    # a 50-line file: the mixed lines, padded with garbage
    lines += [f"garbage line {i} \u00e9" for i in range(50 - len(lines))]
    data = "\n".join(lines).encode()
    page = _post(client, data)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count("<tr>") == 1 + 49  # header row + every line but the header
    answer = _post(client, data, output="csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 49
    by_line = {int(r["line"]): r for r in rows}
    good, other = two
    assert by_line[2]["outcome"] == "found" and by_line[2]["status"] == "active"
    assert by_line[2]["holder"] == "Nairobi DataWorks"
    assert by_line[2]["link"].endswith(f"/verify/{good.serial}")
    assert by_line[3]["serial"] == other.serial and "Read as" in by_line[3]["message"]
    assert by_line[4]["outcome"] in ("unknown", "malformed")
    assert by_line[5]["outcome"] == "malformed" and by_line[5]["message"]
    assert by_line[6]["input"].startswith("'=")  # shown, never run as a formula
    assert by_line[7]["input"].startswith("'+")
    assert by_line[8]["outcome"] == "malformed" and "Empty" in by_line[8]["message"]
    assert by_line[9]["outcome"] == "found" and by_line[9]["serial"] == other.serial
    assert by_line[10]["outcome"] == "malformed"
    for row in rows:
        assert all(not cell.startswith(("=", "+", "-", "@")) for cell in row.values())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfeI\x00S\x00R\x00\xd8", "UTF-16"),
        ("ISR-1\nNaïve".encode("latin-1"), "not UTF-8"),
        (b"", "nothing was sent"),
        (b"\n\n\n", "nothing was sent"),
        (b"serial\n\n", "holds no serial"),
        (b"x\n" * 6000, "more than 5000 lines"),
    ],
)
def test_files_that_cannot_be_read_get_a_message_and_a_400(client, data, message) -> None:
    page = _post(client, data)
    assert page.status_code == 400
    assert message in page.get_data(as_text=True).replace("&#39;", "'")


def test_pasted_serials_work_too(client, two) -> None:
    page = client.post("/verify/bulk", data={"text": two[0].serial, "output": "table"})
    assert page.status_code == 200 and two[0].serial in page.get_data(as_text=True)


def test_the_api_answers_one_item_per_line(client, two) -> None:
    body = "\n".join([two[0].serial, "nope", "ISR-1234"]).encode()
    answer = client.post(
        "/api/v1/verify/bulk",
        data={"file": (io.BytesIO(body), "s.csv")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 200
    items = answer.get_json()["items"]
    assert [i["outcome"] for i in items] == ["found", "unknown", "malformed"]
    assert items[0]["certificate"]["serial"] == two[0].serial
    bad = client.post("/api/v1/verify/bulk", data=b"\xff\xfe\xd8", content_type="text/csv")
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_request"
