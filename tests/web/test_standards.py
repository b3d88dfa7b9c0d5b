"""Published standards: public pages, YAML downloads, stored versions, the `rubrics` commands,
`python -m certify.standards.validate` and the start-up refusal of a changed published rubric."""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import func, select, text

from certify import PACKAGE_DIR, create_app
from certify.access import access_rule_of
from certify.audit.models import AuditEvent
from certify.audit.operations import verify_audit_chain
from certify.core.actor import Actor
from certify.core.canonical import sha256_hex
from certify.core.rubric.loading import load_rubric_text
from certify.core.rubric.model import Band, RubricError
from certify.db import get_db
from certify.standards import presenting, startup, views
from certify.standards.files import load_rubric, publish, read_lock
from certify.standards.models import RubricVersion
from certify.standards.operations import (
    RubricNotFound,
    ensure_rubrics_stored,
    get_rubric,
    newest_rubric_in_effect,
    publish_rubric_version,
    published_rubrics,
)
from certify.standards.startup import RubricLockError
from tests.core.rubric_fixtures import ISRPS_PATH, SCHEMA, copy_rubrics, isrps, isrps_text
from tests.web.conftest import make_test_config

ACTOR = Actor.cli("tester")
ISRPS_SHA = read_lock(PACKAGE_DIR / "rubrics")["isrps@1.0"].sha256
PAGE = "/standards/isrps/1.0"


def esc(value: str) -> str:
    """As Jinja escapes it."""
    return str(escape(value))


def replace_once(body: str, old: str, new: str) -> str:
    assert body.count(old) == 1, f"fixture edit {old!r} is not unique"
    return body.replace(old, new)


def changed_title(root: Path) -> Path:
    """Change one word of a criterion's title in the published ISRPS 1.0 of *root*."""
    path = root / "isrps" / "1.0.yaml"
    path.write_text(
        replace_once(
            path.read_text(encoding="utf-8"),
            "title: Accessible, inclusive selection",
            "title: Accessible, fair selection",
        ),
        encoding="utf-8",
    )
    return path


def four_problems_text() -> str:
    """ISRPS 1.0 with overlapping bands (TC-2), criterion weights adding up to 99 overall
    (IH-3 5 -> 4), a duplicate id (TC-6 -> TC-5) and a level 5 (IH-2's top band)."""
    body = isrps_text()
    body = replace_once(body, "{level: 2, from: 20, below: 40}", "{level: 2, from: 15, below: 40}")
    ih3 = "hires in the period (%)\n        kind: number\n        weight: 5"
    body = replace_once(body, ih3, ih3.replace("weight: 5", "weight: 4"))
    body = replace_once(body, "id: TC-6", "id: TC-5")
    top = "          - {level: 4, from: 75}\n      - id: IH-3"
    return replace_once(body, top, top.replace("level: 4", "level: 5"))


def new_version_text(version: str = "1.1", effective: str = "2027-03-01") -> str:
    body = replace_once(isrps_text(), 'version: "1.0"', f'version: "{version}"')
    return replace_once(body, 'effective_date: "2026-01-01"', f'effective_date: "{effective}"')


def with_version_11(root: Path, *, published: bool = True) -> Path:
    path = root / "isrps" / "1.1.yaml"
    path.write_text(new_version_text(), encoding="utf-8")
    if published:
        publish(root, "isrps", "1.1")
    return path


@pytest.fixture
def rubrics_copy(tmp_path) -> Path:
    """A private copy of rubrics/ to change freely."""
    return copy_rubrics(tmp_path)


# ------------------------------------------------------------------ band words and statuses


@pytest.mark.parametrize(
    ("band", "range_max", "words"),
    [
        (Band(1, 10, True, 25, False), None, "10 to under 25"),
        (Band(0, 0, True, 0, True), None, "exactly 0"),
        (Band(1, 0, False, 5, False), None, "above 0 to under 5"),
        (Band(2, 5, True, 10, True), None, "5 to 10"),
        (Band(2, 5, False, 10, True), None, "above 5 to 10"),
        (Band(4, 75, True), 100, "75 to 100"),
        (Band(4, 30, True), None, "30 or more"),
        (Band(4, 3, False), None, "more than 3"),
        (Band(4, 3, False), 10, "above 3 to 10"),
    ],
)
def test_band_words(band, range_max, words) -> None:
    from decimal import Decimal

    band = Band(
        band.level,
        Decimal(band.lower),
        band.lower_inclusive,
        None if band.upper is None else Decimal(band.upper),
        band.upper_inclusive,
    )
    assert presenting.band_words(band, None if range_max is None else Decimal(range_max)) == words


def test_numbers_are_written_plainly() -> None:
    from decimal import Decimal

    assert [presenting.num(Decimal(x)) for x in ("25", "2.50", "1E+1", "0.10")] == [
        "25",
        "2.5",
        "10",
        "0.1",
    ]


# ------------------------------------------------------------------ pages


class HeadingsAndTables(HTMLParser):
    """Collects heading levels, <th> scopes, and anything inline a strict CSP would block."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.th_without_scope = 0
        self.inline = 0

    def handle_starttag(self, tag, attrs) -> None:
        names = dict(attrs)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "th" and names.get("scope") not in ("col", "row"):
            self.th_without_scope += 1
        if tag == "script" or "style" in names or any(k.startswith("on") for k in names):
            self.inline += 1


def check_accessible(body: str) -> None:
    parser = HeadingsAndTables()
    parser.feed(body)
    assert parser.headings[0] == 1 and parser.headings.count(1) == 1
    for before, after in zip(parser.headings, parser.headings[1:], strict=False):
        assert after <= before + 1, f"heading h{after} follows h{before}"
    assert parser.th_without_scope == 0
    assert parser.inline == 0


def test_index_lists_published_versions_with_status_and_dates(client) -> None:
    response = client.get("/standards")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Impact Sourcing Responsible Practice Standard" in body
    assert 'href="/standards/isrps/1.0"' in body
    assert 'href="/standards/isrps/1.0.yaml"' in body
    assert "in effect" in body and "In effect since 1 Jan 2026" in body
    assert '<time datetime="2026-01-01">1 Jan 2026</time>' in body
    assert ISRPS_SHA in body
    check_accessible(body)


def test_show_page_has_every_section_criterion_level_and_band(client) -> None:
    response = client.get(PAGE)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    rubric = isrps()
    assert len(re.findall(r'<section class="rubric-section"', body)) == 5
    assert len(re.findall(r'<article class="criterion"', body)) == 31
    for section in rubric.sections:
        assert f'<h2 id="section-{section.id}">{section.id} {esc(section.title)}' in body
        assert f"({presenting.num(section.weight)} points)" in body
    text_only = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))
    for c in rubric.criteria:
        assert f'<h3 id="criterion-{c.id}">{c.id} {esc(c.title)}</h3>' in body
        assert re.sub(r"\s+", " ", c.guidance) in text_only
        for descriptor in c.levels:
            assert esc(descriptor) in body, (c.id, descriptor)
        for e in c.evidence:
            assert esc(e) in body
        for basis in c.bases:
            for band in basis.bands:
                words = presenting.band_words(band, c.range_max)
                assert f'<th scope="row">{band.level}</th><td>{words}</td>' in body
        if c.na_allowed:
            assert esc(c.na_when) in body
    assert "10 to under 25" in body and "exactly 0" in body and "above 0 to under 5" in body
    # IH-2's floor, outcomes, non-conformities, validity, hash and effective date
    assert "below 25 the provider cannot be certified" in body
    for o in rubric.outcomes:
        assert esc(o.title) in body
    assert "<td>60</td>" in body and "<td>40%</td>" in body
    for g in rubric.grades:
        assert esc(g.consequence_text) in body
    assert "within 90 days" in body and "at once" in body
    assert "valid for 36" in text_only and "every 12" in text_only
    assert ISRPS_SHA in body
    assert '<time datetime="2026-01-01">1 Jan 2026</time>' in body
    check_accessible(body)


def test_download_serves_the_exact_file_bytes(client) -> None:
    response = client.get("/standards/isrps/1.0.yaml")
    assert response.status_code == 200
    assert response.data == ISRPS_PATH.read_bytes()
    assert response.mimetype == "text/yaml"
    assert response.headers["Content-Disposition"] == 'attachment; filename="isrps-1.0.yaml"'
    assert sha256_hex(load_rubric_text(response.data, schema=SCHEMA).canonical) == ISRPS_SHA


@pytest.mark.parametrize(
    "path",
    [
        "/standards/isrps/9.9",
        "/standards/isrps/9.9.yaml",
        "/standards/nope/1.0",
        "/standards/ISRPS/1.0",
        "/standards/isrps/1.0x",
        "/standards/isrps/1..0",
        "/standards/isrps/%2e%2e",
        "/standards/isrps/1.0.yml",
        "/standards/isrps",
    ],
)
def test_unknown_standards_and_versions_are_404_pages(client, path) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert b"There is nothing at this address" in response.data


def test_every_standards_route_is_declared_public(app) -> None:
    endpoints = {
        r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("standards.")
    }
    assert endpoints == {"standards.index", "standards.show", "standards.download"}
    for endpoint in endpoints:
        rule = access_rule_of(app.view_functions[endpoint])
        assert rule is not None and rule.kind == "public", endpoint


class TestOwnRubrics:
    """Pages over a private rubrics folder (RUBRICS_DIR) with more versions."""

    @pytest.fixture
    def app_config(self, rubrics_copy) -> dict:
        return {"RUBRICS_DIR": str(rubrics_copy)}

    def test_drafts_are_not_public(self, client, rubrics_copy) -> None:
        with_version_11(rubrics_copy, published=False)
        assert client.get("/standards/isrps/1.1").status_code == 404
        assert client.get("/standards/isrps/1.1.yaml").status_code == 404
        assert b"/standards/isrps/1.1" not in client.get("/standards").data

    @pytest.mark.parametrize(
        ("today", "statuses"),
        [
            ("2026-06-01", ["not yet in effect", "in effect"]),
            ("2027-06-01", ["in effect", "in transition"]),
            ("2028-03-01", ["in effect", "superseded"]),
        ],
    )
    def test_statuses_change_with_time(
        self, client, rubrics_copy, monkeypatch, today, statuses
    ) -> None:
        with_version_11(rubrics_copy)
        monkeypatch.setattr(views, "today", lambda: dt.date.fromisoformat(today))
        body = client.get("/standards").get_data(as_text=True)
        found = re.findall(r'<span class="badge [a-z-]+">([a-z ]+)</span>', body)
        assert found == statuses  # newest first
        if today == "2027-06-01":
            assert "audits that start before 1 Mar 2028 may still use it" in body
        if today == "2028-03-01":
            assert "Superseded on 1 Mar 2028" in body
        show = client.get("/standards/isrps/1.0").get_data(as_text=True)
        assert f"{statuses[1]}</span>" in show

    def test_a_file_changed_after_start_is_never_shown(self, client, rubrics_copy) -> None:
        changed_title(rubrics_copy)
        # an operator's fault, logged loudly; never the changed content under the old hash
        for path in (PAGE, "/standards/isrps/1.0.yaml", "/standards"):
            response = client.get(path)
            assert response.status_code == 500
            assert b"fair selection" not in response.data


def test_pages_read_the_stored_version_when_the_file_is_gone(
    app, session, tmp_path, monkeypatch
) -> None:
    publish_rubric_version(session, isrps(), ACTOR)
    session.commit()
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setitem(app.config, "RUBRICS_DIR", str(empty))
    client = app.test_client()
    page = client.get(PAGE)
    assert page.status_code == 200 and ISRPS_SHA in page.get_data(as_text=True)
    assert b'href="/standards/isrps/1.0"' in client.get("/standards").data
    assert client.get("/standards/isrps/1.0.yaml").status_code == 404  # no file to serve


def test_a_stored_version_is_shown_but_a_changed_file_never_served(
    app, session, rubrics_copy, monkeypatch
) -> None:
    publish_rubric_version(session, isrps(), ACTOR)
    session.commit()
    changed_title(rubrics_copy)  # changed after the app started
    monkeypatch.setitem(app.config, "RUBRICS_DIR", str(rubrics_copy))
    client = app.test_client()
    page = client.get(PAGE)
    assert page.status_code == 200
    assert b"inclusive selection" in page.data and b"fair selection" not in page.data
    assert client.get("/standards/isrps/1.0.yaml").status_code == 404


# ------------------------------------------------------------------ operations


def count_events(session, action: str = "rubric.published") -> int:
    return session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    )


def test_publish_stores_canonical_json_and_records_an_event(session) -> None:
    rubric = isrps()
    row = publish_rubric_version(session, rubric, ACTOR)
    assert (row.standard_id, row.version, row.title) == ("isrps", "1.0", rubric.title)
    assert row.sha256 == ISRPS_SHA == sha256_hex(row.canonical)
    assert row.canonical == rubric.canonical
    assert row.effective_date == dt.date(2026, 1, 1)
    assert row.published_at.tzinfo is not None
    assert repr(row) == f"<RubricVersion isrps@1.0 {ISRPS_SHA[:12]}>"
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "rubric.published")).one()
    assert (event.actor, event.subject_type, event.subject_id) == (
        "cli:tester",
        "rubric_version",
        "isrps@1.0",
    )
    assert json.loads(event.after)["sha256"] == ISRPS_SHA
    assert verify_audit_chain(session).ok


def test_publish_is_idempotent(session) -> None:
    first = publish_rubric_version(session, isrps(), ACTOR)
    again = publish_rubric_version(session, isrps(), ACTOR)
    assert again is first
    assert count_events(session) == 1
    assert session.scalar(select(func.count()).select_from(RubricVersion)) == 1


def test_publish_refuses_other_content_for_a_stored_version(session, rubrics_copy) -> None:
    publish_rubric_version(session, isrps(), ACTOR)
    changed = load_rubric(changed_title(rubrics_copy))
    assert changed.key == "isrps@1.0" and changed.sha256 != ISRPS_SHA
    with pytest.raises(RubricError) as info:
        publish_rubric_version(session, changed, ACTOR)
    (problem,) = info.value.problems
    assert problem.rule == "stored_changed"
    assert ISRPS_SHA in problem.message and "new version" in problem.message
    stored = session.scalars(select(RubricVersion)).one()
    assert stored.sha256 == ISRPS_SHA
    assert count_events(session) == 1


def test_stored_versions_cannot_be_changed_or_deleted(session) -> None:
    publish_rubric_version(session, isrps(), ACTOR)
    for statement in (
        "UPDATE rubric_version SET title = 'Other'",
        "DELETE FROM rubric_version",
    ):
        with pytest.raises(Exception, match="never change"), session.begin_nested():
            session.execute(text(statement))
    assert session.scalars(select(RubricVersion)).one().title == isrps().title


def test_ensure_rubrics_stored_stores_every_locked_version_once(session, rubrics_copy) -> None:
    with_version_11(rubrics_copy)
    stored = ensure_rubrics_stored(session, ACTOR, rubrics_copy)
    assert [r.key for r in stored] == ["isrps@1.0", "isrps@1.1"]
    assert ensure_rubrics_stored(session, ACTOR, rubrics_copy) == []
    assert count_events(session) == 2


def test_ensure_rubrics_stored_refuses_a_changed_published_file(session, rubrics_copy) -> None:
    changed_title(rubrics_copy)
    with pytest.raises(RubricError) as info:
        ensure_rubrics_stored(session, ACTOR, rubrics_copy)
    assert [p.rule for p in info.value.problems] == ["published_changed"]
    assert session.scalar(select(func.count()).select_from(RubricVersion)) == 0


def test_get_rubric_from_files_then_from_the_database(session, tmp_path) -> None:
    shipped = PACKAGE_DIR / "rubrics"
    from_file = get_rubric("isrps", "1.0", session=session, rubrics_dir=shipped)
    assert from_file == isrps() and from_file.sha256 == ISRPS_SHA
    publish_rubric_version(session, isrps(), ACTOR)
    empty = tmp_path / "empty"
    empty.mkdir()
    from_db = get_rubric("isrps", "1.0", session=session, rubrics_dir=empty)
    assert from_db == isrps() and from_db.source == "database:isrps@1.0"
    assert get_rubric("isrps", "1.0", session=session, rubrics_dir=empty) is from_db  # cached
    with pytest.raises(RubricNotFound):
        get_rubric("isrps", "9.9", session=session, rubrics_dir=shipped)
    with pytest.raises(RubricNotFound):
        get_rubric("other", "1.0", session=session, rubrics_dir=empty)


def test_get_rubric_refuses_stored_bytes_that_do_not_match_their_hash(session) -> None:
    session.add(
        RubricVersion(
            standard_id="isrps",
            version="7.0",
            title="x",
            sha256="0" * 64,
            canonical=isrps().canonical,
            effective_date=dt.date(2030, 1, 1),
            published_at=dt.datetime.now(dt.UTC),
        )
    )
    session.flush()
    with pytest.raises(RubricError, match="no longer hashes"):
        get_rubric("isrps", "7.0", session=session)


def test_drafts_are_not_returned(session, rubrics_copy) -> None:
    with_version_11(rubrics_copy, published=False)
    with pytest.raises(RubricNotFound):
        get_rubric("isrps", "1.1", session=session, rubrics_dir=rubrics_copy)
    published = published_rubrics(session=session, rubrics_dir=rubrics_copy)
    assert [r.key for r in published] == ["isrps@1.0"]


def test_newest_rubric_in_effect(session, rubrics_copy) -> None:
    with_version_11(rubrics_copy)

    def newest(day: str) -> str | None:
        found = newest_rubric_in_effect(
            dt.date.fromisoformat(day), session=session, rubrics_dir=rubrics_copy
        )
        return found.version if found else None

    assert newest("2025-12-31") is None
    assert newest("2026-01-01") == "1.0"
    assert newest("2027-02-28") == "1.0"
    assert newest("2027-03-01") == "1.1"


# ------------------------------------------------------------------ start-up


def test_app_start_refuses_a_changed_published_rubric(tmp_path, rubrics_copy) -> None:
    changed_title(rubrics_copy)
    config = make_test_config(
        "sqlite://", str(tmp_path / "instance"), RUBRICS_DIR=str(rubrics_copy)
    )
    with pytest.raises(RubricLockError) as info:
        create_app(config)
    message = str(info.value)
    assert "rubrics/isrps/1.0.yaml" in message and ISRPS_SHA in message
    assert "new version" in message
    assert [p.rule for p in info.value.problems] == ["published_changed"]


def test_app_start_accepts_reformatted_published_rubric(tmp_path, rubrics_copy) -> None:
    path = rubrics_copy / "isrps" / "1.0.yaml"
    path.write_text("# a comment is not content\n" + path.read_text(encoding="utf-8"))
    create_app(make_test_config("sqlite://", str(tmp_path / "i"), RUBRICS_DIR=str(rubrics_copy)))


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["--app", "certify", "rubrics", "validate"], "rubrics"),
        (["-A", "rubrics", "run"], "run"),
        (["--app=certify", "--debug", "rubrics", "diff"], "rubrics"),
        (["-e", ".env", "init"], "init"),
        (["--help"], None),
    ],
)
def test_command_line_command(argv, command) -> None:
    assert startup._command_line_command(argv) == command


def test_only_the_rubrics_command_line_skips_the_start_up_check(
    tmp_path, rubrics_copy, monkeypatch
) -> None:
    import click

    changed_title(rubrics_copy)
    config = make_test_config("sqlite://", str(tmp_path / "i"), RUBRICS_DIR=str(rubrics_copy))
    monkeypatch.setattr(sys, "argv", ["flask", "--app", "certify", "rubrics", "validate"])
    with pytest.raises(RubricLockError):  # no command line running: a server, a test
        create_app(config)
    with click.Context(click.Command("flask")):
        create_app(config)  # the rubrics commands report the problem themselves
        monkeypatch.setattr(sys, "argv", ["flask", "--app", "certify", "run"])
        with pytest.raises(RubricLockError):
            create_app(config)


# ------------------------------------------------------------------ `flask rubrics ...`


def cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["rubrics", *args])


def test_validate_passes_the_shipped_files(app) -> None:
    result = cli(app, "validate")
    assert result.exit_code == 0, result.output
    assert f"ok: isrps@1.0 (published, sha256 {ISRPS_SHA})" in result.output


def test_validate_reports_all_four_problems_naming_file_and_criterion(app, tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(four_problems_text(), encoding="utf-8")
    result = cli(app, "validate", str(bad))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[-1] == "4 problem(s) found."
    problems = lines[:-1]
    assert len(problems) == 4
    assert all(line.startswith(f"{bad}: ") for line in problems)
    for where, rule in (
        ("TC-2", "bands_contiguous"),
        ("section IH", "criterion_weights_sum"),
        ("TC-5", "unique_id"),
        ("IH-2", "schema:maximum"),
    ):
        assert any(f": {where}: " in p and p.endswith(f"[{rule}]") for p in problems), (where, rule)


class TestCliOwnRubrics:
    @pytest.fixture
    def app_config(self, rubrics_copy) -> dict:
        return {"RUBRICS_DIR": str(rubrics_copy)}

    def test_validate_refuses_a_changed_published_version(self, app, rubrics_copy) -> None:
        changed_title(rubrics_copy)
        result = cli(app, "validate")
        assert result.exit_code == 1
        assert "rubrics/isrps/1.0.yaml" in result.output and ISRPS_SHA in result.output
        assert "[published_changed]" in result.output

    def test_validate_names_misnamed_files(self, app, rubrics_copy) -> None:
        (rubrics_copy / "isrps" / "1.1-draft.yaml").write_text(new_version_text())
        result = cli(app, "validate")
        assert result.exit_code == 1
        assert "1.1-draft.yaml: file:" in result.output and "[file_location]" in result.output

    def test_validate_reads_the_indicators_beside_each_rubric(self, app, rubrics_copy) -> None:
        """The indicators file says which audited figures are published: one that names a
        criterion the rubric lacks, or sits beside no rubric, is a problem with its file."""
        indicators = rubrics_copy / "isrps" / "1.0.indicators.json"
        data = json.loads(indicators.read_text(encoding="utf-8"))
        data["public_indicators"].append("XX-9")
        indicators.write_text(json.dumps(data), encoding="utf-8")
        (rubrics_copy / "isrps" / "2.0.indicators.json").write_text("{}", encoding="utf-8")
        result = cli(app, "validate")
        assert result.exit_code == 1, result.output
        assert "1.0.indicators.json: file: 'XX-9' is not a criterion of isrps@1.0" in result.output
        assert "2.0.indicators.json: file: not used" in result.output
        indicators.write_text("not json", encoding="utf-8")
        result = cli(app, "validate", str(rubrics_copy / "isrps" / "1.0.yaml"))
        assert result.exit_code == 1 and "1.0.indicators.json: file: not JSON" in result.output

    def test_diff_lists_exactly_one_band_and_one_weight(self, app, tmp_path) -> None:
        body = isrps_text()
        body = replace_once(
            body, "{level: 1, from: 10, below: 20}", "{level: 1, from: 10, below: 22}"
        )
        body = replace_once(
            body, "{level: 2, from: 20, below: 40}", "{level: 2, from: 22, below: 40}"
        )
        ih4 = "NGOs and community organisations\n        kind: level\n        weight: 5"
        body = replace_once(body, ih4, ih4.replace("weight: 5", "weight: 6"))
        copy = tmp_path / "copy.yaml"
        copy.write_text(body, encoding="utf-8")
        result = cli(app, "diff", "isrps@1.0", str(copy))
        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines() == [
            "criterion IH-4: weight changed: 5 -> 6",
            "criterion TC-2: bands changed: 0 to <10: 0, 10 to <20: 1, 20 to <40: 2, "
            "40 to <80: 3, >=80: 4 -> 0 to <10: 0, 10 to <22: 1, 22 to <40: 2, "
            "40 to <80: 3, >=80: 4",
        ]
        # the unbalanced draft is compared, with its problem shown as a warning
        assert "warning: " in result.stderr and "criterion_weights_sum" in result.stderr

    def test_diff_of_the_same_version_and_bad_specs(self, app, tmp_path) -> None:
        assert cli(app, "diff", "isrps@1.0", str(ISRPS_PATH)).output == "no differences\n"
        assert cli(app, "diff", "isrps@1.0", "isrps@9.9").exit_code == 2
        assert cli(app, "diff", "isrps", "isrps@1.0").exit_code == 2
        bad = tmp_path / "bad.yaml"
        bad.write_text(four_problems_text())  # a level 5 is a structure error: no diff
        result = cli(app, "diff", "isrps@1.0", str(bad))
        assert result.exit_code == 1 and "[schema:maximum]" in result.output

    def test_list_and_show(self, app, rubrics_copy) -> None:
        with_version_11(rubrics_copy, published=False)
        listed = cli(app, "list")
        assert listed.exit_code == 0, listed.output
        lines = listed.output.splitlines()
        assert lines[0].startswith(
            f"isrps@1.0  published  in effect  effective 2026-01-01  sha256 {ISRPS_SHA}"
        )
        assert lines[0].endswith("not stored")
        assert lines[1].startswith("isrps@1.1  draft")
        shown = cli(app, "show", "isrps@1.0")
        assert shown.exit_code == 0, shown.output
        out = shown.output
        assert "Impact Sourcing Responsible Practice Standard (isrps@1.0)" in out
        assert "IH Inclusive hiring (weight 25)" in out
        assert "  IH-2 [number, weight 8, percent, floor 25] " in out
        assert "      1: 10 to under 25" in out
        assert "      basis profit: " in out
        assert "  certified: overall >= 60, every section >= 40% of its weight" in out
        assert all(f"  {c.id} [" in out for c in isrps().criteria)

    def test_publish_adds_to_the_lock_and_stores(self, app, session, rubrics_copy) -> None:
        with_version_11(rubrics_copy, published=False)
        result = cli(app, "publish", "isrps@1.1")
        assert result.exit_code == 0, result.output
        assert read_lock(rubrics_copy)["isrps@1.1"].file == "isrps/1.1.yaml"
        row = session.scalars(select(RubricVersion).where(RubricVersion.version == "1.1")).one()
        assert row.sha256 == read_lock(rubrics_copy)["isrps@1.1"].sha256
        again = cli(app, "publish", "isrps@1.1")
        assert again.exit_code == 0 and count_events(session) == 1

    def test_publish_refuses_a_changed_published_version(self, app, session, rubrics_copy) -> None:
        lock_before = (rubrics_copy / "rubrics.lock.json").read_bytes()
        changed_title(rubrics_copy)
        result = cli(app, "publish", "isrps@1.0")
        assert result.exit_code == 1
        assert ISRPS_SHA in result.output and "new version" in result.output
        assert (rubrics_copy / "rubrics.lock.json").read_bytes() == lock_before
        assert session.scalar(select(func.count()).select_from(RubricVersion)) == 0

    def test_publish_refuses_a_version_stored_with_other_content(
        self, app, session, rubrics_copy
    ) -> None:
        publish_rubric_version(session, isrps(), ACTOR)
        session.commit()
        # the lock file lost its entry, the file changed: the database still remembers
        lock = json.loads((rubrics_copy / "rubrics.lock.json").read_text())
        del lock["isrps@1.0"]
        (rubrics_copy / "rubrics.lock.json").write_text(json.dumps(lock))
        changed_title(rubrics_copy)
        result = cli(app, "publish", "isrps@1.0")
        assert result.exit_code == 1 and "[stored_changed]" in result.output
        assert "isrps@1.0" not in read_lock(rubrics_copy)


@pytest.fixture
def live_app(fresh_database_url, tmp_path):
    app = create_app(make_test_config(fresh_database_url, str(tmp_path / "instance")))
    yield app
    get_db(app).engine.dispose()


def test_init_stores_the_published_versions(live_app) -> None:
    runner = live_app.test_cli_runner()
    first = runner.invoke(args=["init", "--no-demo"])
    assert first.exit_code == 0, first.output
    assert "rubrics: stored isrps@1.0" in first.output
    second = runner.invoke(args=["init", "--no-demo"])
    assert "rubrics: every published version is stored" in second.output
    with get_db(live_app).new_session(writer=False) as s:
        assert s.scalars(select(RubricVersion.sha256)).all() == [ISRPS_SHA]
        assert verify_audit_chain(s).ok


# ------------------------------------------------------------------ without the app


def run(*args: str, rubrics_dir: Path | None = None, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CERTIFY_", "FLASK_"))}
    env.update(
        # made here: the app refuses a key written in the repository
        CERTIFY_SECRET_KEY=secrets.token_urlsafe(48),
        CERTIFY_INSTANCE_PATH=str(tmp_path / "instance"),
        CERTIFY_DATABASE_URL=f"sqlite:///{tmp_path}/sub.sqlite3",
    )
    if rubrics_dir is not None:
        env["CERTIFY_RUBRICS_DIR"] = str(rubrics_dir)
    return subprocess.run(
        [sys.executable, *args],
        cwd=PACKAGE_DIR.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_module_validate_without_the_app(tmp_path, rubrics_copy) -> None:
    ok = run("-m", "certify.standards.validate", tmp_path=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(four_problems_text(), encoding="utf-8")
    four = run("-m", "certify.standards.validate", str(bad), tmp_path=tmp_path)
    assert four.returncode == 1
    assert len([line for line in four.stdout.splitlines() if line.startswith(str(bad))]) == 4
    changed_title(rubrics_copy)
    changed = run("-m", "certify.standards.validate", rubrics_dir=rubrics_copy, tmp_path=tmp_path)
    assert changed.returncode == 1
    assert "rubrics/isrps/1.0.yaml" in changed.stdout and ISRPS_SHA in changed.stdout


def test_flask_rubrics_validate_reports_what_start_up_refuses(tmp_path, rubrics_copy) -> None:
    changed_title(rubrics_copy)
    flask = ["-m", "flask", "--app", "certify"]
    validate = run(*flask, "rubrics", "validate", rubrics_dir=rubrics_copy, tmp_path=tmp_path)
    assert validate.returncode == 1, validate.stderr
    assert "[published_changed]" in validate.stdout and ISRPS_SHA in validate.stdout
    other = run(*flask, "routes", rubrics_dir=rubrics_copy, tmp_path=tmp_path)
    assert other.returncode != 0
    # refused in one message, not a traceback (a ConfigurationError is a click error)
    assert "Error: certify will not start: a published rubric version" in other.stderr
    assert ISRPS_SHA in other.stderr and "Traceback" not in other.stderr
    assert "rubrics/isrps/1.0.yaml" in other.stderr
