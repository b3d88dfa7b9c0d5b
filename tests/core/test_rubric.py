"""Rubric files: loading, the meaning rules, pinning by hash, versions in time, diffs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from certify.core.rubric.diff import diff_rubrics
from certify.core.rubric.loading import load_rubric_data, load_rubric_text
from certify.core.rubric.model import Band, Problem, Rubric, RubricError
from certify.core.rubric.parsing import parse_rubric_yaml
from certify.core.rubric.plain import rubric_sha256
from certify.core.rubric.versions import (
    add_months,
    allowed_for_audit,
    newest_in_effect,
    status_on,
    transition_end,
)
from certify.standards.files import (
    DEFAULT_RUBRICS_DIR,
    check_lock,
    discover,
    load_rubric,
    publish,
    read_lock,
    validate_dir,
)
from tests.core.rubric_fixtures import ISRPS_PATH, SCHEMA, copy_rubrics, isrps, isrps_text

# The ISRPS 1.0 table (../shared/ISRPS-1.0.md): id -> (kind, weight).
ISRPS_TABLE = {
    "IH-1": ("gate", 0), "IH-2": ("number", 8), "IH-3": ("number", 5), "IH-4": ("level", 5),
    "IH-5": ("level", 4), "IH-6": ("gate", 0), "IH-7": ("level", 3),
    "TC-1": ("level", 5), "TC-2": ("number", 5), "TC-3": ("gate", 0), "TC-4": ("number", 6),
    "TC-5": ("number", 5), "TC-6": ("level", 4),
    "CR-1": ("number", 8), "CR-2": ("level", 4), "CR-3": ("number", 4), "CR-4": ("level", 2),
    "CR-5": ("level", 2),
    "FW-1": ("gate", 0), "FW-2": ("number", 6), "FW-3": ("number", 5), "FW-4": ("gate", 0),
    "FW-5": ("gate", 0), "FW-6": ("level", 3), "FW-7": ("level", 3), "FW-8": ("number", 3),
    "GT-1": ("level", 4), "GT-2": ("level", 2), "GT-3": ("gate", 0), "GT-4": ("level", 2),
    "GT-5": ("level", 2),
}  # fmt: skip


def write_copy(tmp_path: Path, text: str, version: str = "1.0") -> Path:
    path = tmp_path / "isrps" / f"{version}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"fixture edit {old!r} is not unique"
    return text.replace(old, new)


# ------------------------------------------------------------------ the shipped ISRPS 1.0


def test_shipped_isrps_validates_with_the_whole_standard():
    r = isrps()
    assert (r.id, r.version, r.key) == ("isrps", "1.0", "isrps@1.0")
    assert r.effective_date == dt.date(2026, 1, 1)
    assert (r.certificate_validity_months, r.surveillance_interval_months) == (36, 12)
    assert (r.transition_months, r.max_suspension_months) == (12, 6)
    assert [(s.id, s.weight) for s in r.sections] == [
        ("IH", 25),
        ("TC", 25),
        ("CR", 20),
        ("FW", 20),
        ("GT", 10),
    ]
    assert {c.id: (c.kind, c.weight) for c in r.criteria} == ISRPS_TABLE
    for c in r.criteria:
        assert c.title
        assert c.guidance
        assert c.evidence
        assert c.section_id == c.id.split("-")[0]
        if c.kind == "level":
            assert len(c.levels) == 5
            assert all(c.levels)
        if c.kind == "number":
            assert c.unit
            assert c.range_min is not None
    assert {c.id for c in r.criteria if c.na_allowed} == {"IH-3", "TC-4", "TC-5"}
    assert {c.id: c.floor for c in r.criteria if c.floor is not None} == {"IH-2": 25}
    assert [b.id for b in r.criterion("CR-1").bases] == ["profit", "revenue"]
    assert [
        (o.id, o.min_overall, o.section_floor_percent, o.blocked_by_open) for o in r.outcomes
    ] == [
        ("certified", 60, 40, ("critical", "major")),
        ("certified_with_distinction", 80, 60, ("critical", "major", "minor")),
    ]
    assert [(g.id, g.deadline_days, g.consequence) for g in r.grades] == [
        ("critical", 0, "suspend_immediately"),
        ("major", 90, "suspend_after_deadline"),
        ("minor", None, "review_at_next_surveillance"),
    ]


def test_isrps_bands_match_the_standard():
    r = isrps()
    labels = {
        c.id: [[(band.label(), band.level) for band in b.bands] for b in c.bases]
        for c in r.criteria
        if c.kind == "number"
    }
    assert labels["IH-2"] == [
        [("0 to <10", 0), ("10 to <25", 1), ("25 to <50", 2), ("50 to <75", 3), (">=75", 4)]
    ]
    assert labels["CR-1"] == [
        [("exactly 0", 0), (">0 to <5", 1), ("5 to <15", 2), ("15 to <30", 3), (">=30", 4)],
        [("exactly 0", 0), (">0 to <1", 1), ("1 to <2.5", 2), ("2.5 to <5", 3), (">=5", 4)],
    ]
    assert labels["CR-3"][0][1] == (">0 to <0.1", 1)
    assert labels["FW-2"][0][-2:] == [("75 to <100", 3), (">=100", 4)]
    assert r.criterion("FW-2").range_max == 100


def test_numbers_are_decimals_and_rubric_is_immutable():
    r = isrps()
    band = r.criterion("CR-1").basis("revenue").bands[2]
    assert band.lower == Decimal("1")
    assert band.upper == Decimal("2.5")
    assert isinstance(band.upper, Decimal)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.title = "x"  # type: ignore[misc]
    assert isinstance(r.sections, tuple)
    assert isinstance(r.criteria, tuple)
    with pytest.raises(TypeError):
        r._index["IH-1"] = None  # type: ignore[index]


def test_committed_lock_matches_shipped_file():
    assert check_lock(DEFAULT_RUBRICS_DIR) == []
    entry = read_lock(DEFAULT_RUBRICS_DIR)["isrps@1.0"]
    assert entry.file == "isrps/1.0.yaml"
    assert entry.sha256 == isrps().sha256


def test_hash_is_sha256_of_canonical_json_of_plain_data():
    data = parse_rubric_yaml(isrps_text())
    assert rubric_sha256(data) == isrps().sha256
    assert isrps().canonical.startswith(b'{"certificate_validity_months":36,')


def test_loading_stored_canonical_json_gives_the_same_rubric():
    r = isrps()
    again = load_rubric_text(r.canonical, schema=SCHEMA, source="db")
    assert again == r
    assert again.sha256 == r.sha256
    # json.loads gives floats for 0.1 or 2.5: read through repr they are the same Decimals.
    from_dict = load_rubric_data(json.loads(r.canonical), schema=SCHEMA, source="db")
    assert from_dict.sha256 == r.sha256
    assert from_dict.criterion("CR-3").bases[0].bands[1].upper == Decimal("0.1")
    assert r.data()["version"] == "1.0"


def test_validate_dir_and_discover():
    loaded, problems = validate_dir(DEFAULT_RUBRICS_DIR)
    assert problems == []
    assert [r.key for r in loaded] == ["isrps@1.0"]
    assert [(f.id, f.version, f.path) for f in discover(DEFAULT_RUBRICS_DIR)] == [
        ("isrps", "1.0", ISRPS_PATH)
    ]


# ------------------------------------------------------------------ YAML reading


def test_yaml_keeps_versions_dates_and_words_as_written():
    data = parse_rubric_yaml(
        "version: 1.10\nday: 2026-01-01\nanswer: no\nother: on\nx: 0.1\nn: 012\nb: true\n"
    )
    assert data == {
        "version": "1.10",
        "day": "2026-01-01",
        "answer": "no",
        "other": "on",
        "x": Decimal("0.1"),
        "n": 12,
        "b": True,
    }


def test_unquoted_version_stays_a_string_in_a_rubric(tmp_path):
    text = replace_once(isrps_text(), 'version: "1.0"', "version: 1.0")
    r = load_rubric(write_copy(tmp_path, text))
    assert r.version == "1.0"
    assert r.sha256 == isrps().sha256


def test_duplicate_yaml_keys_are_all_reported_with_lines(tmp_path):
    text = replace_once(
        isrps_text(), "transition_months: 12\n", "transition_months: 12\ntitle: Again\n"
    )
    ih2 = "        weight: 8\n        unit: percent\n        range: {min: 0, max: 100}\n"
    text = replace_once(text, ih2, ih2.replace("weight: 8\n", "weight: 8\n        weight: 9\n"))
    path = write_copy(tmp_path, text)
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    problems = info.value.problems
    assert [p.rule for p in problems] == ["duplicate_key", "duplicate_key"]
    assert all(p.file == str(path) for p in problems)
    assert "'title'" in problems[0].message
    assert "lines 6 and" in problems[0].message
    assert "'weight'" in problems[1].message


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = write_copy(tmp_path, "id: isrps\nsections: [\n")
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    assert info.value.problems[0].rule == "yaml_syntax"
    assert info.value.problems[0].where.startswith("line ")


# ------------------------------------------------------------------ meaning rules


def test_four_broken_things_are_reported_at_once(tmp_path):
    text = isrps_text()
    # 1. overlapping bands in TC-2: 10-<20 then 15-<40
    text = replace_once(text, "{level: 2, from: 20, below: 40}", "{level: 2, from: 15, below: 40}")
    # 2. criterion weights of IH add up to 24 (all weights 99): IH-3 5 -> 4
    ih3 = "hires in the period (%)\n        kind: number\n        weight: 5"
    text = replace_once(text, ih3, ih3.replace("weight: 5", "weight: 4"))
    # 3. a duplicate id: TC-6 renamed TC-5
    text = replace_once(text, "id: TC-6", "id: TC-5")
    # 4. a level 5: IH-2's top band
    top = "          - {level: 4, from: 75}\n      - id: IH-3"
    text = replace_once(text, top, top.replace("level: 4", "level: 5"))
    path = write_copy(tmp_path, text)
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    problems = info.value.problems
    found = {(p.where, p.rule) for p in problems}
    assert found == {
        ("TC-2", "bands_contiguous"),
        ("section IH", "criterion_weights_sum"),
        ("TC-5", "unique_id"),
        ("IH-2", "schema:maximum"),
    }, problems
    assert all(p.file == str(path) for p in problems)
    by_rule = {p.rule: p for p in problems}
    assert "overlap" in by_rule["bands_contiguous"].message
    assert "24" in by_rule["criterion_weights_sum"].message
    assert by_rule["schema:maximum"].path == "sections[0].criteria[1].bands[4].level"
    lines = str(info.value).splitlines()
    assert len(lines) == 4
    assert all(line.startswith(str(path)) for line in lines)


def minimal(**criterion_overrides) -> dict:
    """A small valid rubric as plain data: one section, a number and a level criterion."""
    number = {
        "id": "A-1", "title": "Share", "kind": "number", "weight": 60, "unit": "percent",
        "range": {"min": 0, "max": 100}, "guidance": "g", "evidence": ["e"],
        "bands": [
            {"level": 0, "from": 0, "below": 50},
            {"level": 4, "from": 50},
        ],
    }  # fmt: skip
    number.update(criterion_overrides)
    return {
        "id": "mini", "version": "0.1", "title": "Mini", "effective_date": "2026-01-01",
        "transition_months": 12, "certificate_validity_months": 36,
        "surveillance_interval_months": 12,
        "sections": [{"id": "A", "title": "A", "weight": 100, "criteria": [
            number,
            {"id": "A-2", "title": "Level", "kind": "level", "weight": 40, "guidance": "g",
             "evidence": ["e"], "levels": ["0", "1", "2", "3", "4"]},
        ]}],
        "outcomes": [{"id": "certified", "title": "C", "min_overall": 60,
                      "section_floor_percent": 40, "blocked_by_open": ["major"]}],
        "nonconformities": {"max_suspension_months": 6, "grades": [
            {"id": "major", "title": "M", "meaning": "m", "deadline_days": 90,
             "consequence": "suspend_after_deadline", "consequence_text": "t"}]},
    }  # fmt: skip


def rules(data: dict) -> set[tuple[str, str]]:
    with pytest.raises(RubricError) as info:
        load_rubric_data(data, schema=SCHEMA, source="mini.yaml")
    assert all(p.file == "mini.yaml" for p in info.value.problems)
    return {(p.where, p.rule) for p in info.value.problems}


def test_minimal_rubric_loads():
    r = load_rubric_data(minimal(), schema=SCHEMA)
    assert r.criterion("A-1").basis().level_for(Decimal(50)) == 4


@pytest.mark.parametrize(
    ("bands", "rule"),
    [
        ([{"level": 0, "from": 0, "below": 40}, {"level": 4, "from": 50}], "bands_contiguous"),
        ([{"level": 0, "from": 0, "below": 50}, {"level": 4, "above": 50}], "bands_contiguous"),
        ([{"level": 0, "from": 0, "to": 50}, {"level": 4, "from": 50}], "bands_contiguous"),
        ([{"level": 0, "from": 0}, {"level": 4, "from": 50}], "bands_contiguous"),
        ([{"level": 0, "from": 5, "below": 50}, {"level": 4, "from": 50}], "bands_start_at_min"),
        ([{"level": 0, "above": 0, "below": 50}, {"level": 4, "from": 50}], "bands_start_at_min"),
        ([{"level": 0, "from": 0, "below": 50}, {"level": 4, "from": 50, "below": 90}],
         "bands_cover_range"),
        ([{"level": 4, "from": 0, "below": 50}, {"level": 0, "from": 50}], "band_levels_ascending"),
        ([{"level": 0, "from": 0, "below": 50}, {"level": 4, "from": 50, "above": 50}],
         "band_bounds"),
        ([{"level": 0, "from": 0, "below": 0}, {"level": 4, "from": 0}], "band_bounds"),
        ([{"level": 0, "from": 0, "below": 50}, {"level": 3, "from": 50, "below": 101},
          {"level": 4, "from": 101}], "band_outside_range"),
    ],
)  # fmt: skip
def test_band_rules(bands, rule):
    assert ("A-1", rule) in rules(minimal(bands=bands))


def test_point_band_then_above_is_contiguous():
    bands = [
        {"level": 0, "from": 0, "to": 0},
        {"level": 1, "above": 0, "below": 5},
        {"level": 4, "from": 5},
    ]
    basis = load_rubric_data(minimal(bands=bands), schema=SCHEMA).criterion("A-1").basis()
    assert [basis.level_for(Decimal(v)) for v in ("0", "0.0001", "4.99", "5", "100")] == [
        0,
        1,
        1,
        4,
        4,
    ]


def test_other_meaning_rules():
    data = minimal(floor=120)
    data["sections"][0]["weight"] = 99
    data["sections"][0]["criteria"][1]["levels"] = ["0", "1", "2", "3"]
    data["sections"][0]["criteria"].append(
        {
            "id": "A-3",
            "title": "Gate",
            "kind": "gate",
            "weight": 1,
            "guidance": "g",
            "evidence": ["e"],
        }
    )
    data["effective_date"] = "2026-02-30"
    data["outcomes"][0]["blocked_by_open"] = ["major", "grave"]
    assert rules(data) == {
        ("A-1", "floor_in_range"),
        ("section A", "criterion_weights_sum"),
        ("sections", "section_weights_sum"),
        ("A-2", "levels_described"),
        ("A-3", "gate_weight"),
        ("effective_date", "effective_date"),
        ("outcome certified", "unknown_grade"),
    }


def test_a_section_cannot_be_all_not_applicable():
    data = minimal(not_applicable={"allowed": True, "when": "w"})
    data["sections"][0]["criteria"][1]["not_applicable"] = {"allowed": True}
    assert rules(data) == {("section A", "section_not_all_na"), ("A-2", "na_when")}


def test_outcome_levels_must_get_harder():
    data = minimal()
    data["outcomes"].append(
        {
            "id": "gold",
            "title": "G",
            "min_overall": 50,
            "section_floor_percent": 40,
            "blocked_by_open": [],
        }
    )
    assert rules(data) == {("outcome gold", "outcome_order")}


def test_schema_problems_name_the_place():
    data = minimal(kind="levels")
    data["sections"][0]["criteria"][1]["weight"] = "forty"
    del data["nonconformities"]
    found = rules(data)
    assert ("A-1", "schema:enum") in found
    assert ("A-2", "schema:type") in found
    assert ("document", "schema:required") in found


def test_values_yaml_cannot_mean_are_refused():
    data = minimal()
    data["effective_date"] = dt.date(2026, 1, 1)
    data["sections"][0]["weight"] = float("nan")
    with pytest.raises(RubricError) as info:
        load_rubric_data(data, schema=SCHEMA, source="x")
    assert {p.rule for p in info.value.problems} == {"value_type"}
    assert len(info.value.problems) == 2


def test_numbers_a_json_float_cannot_hold_are_refused():
    with pytest.raises(RubricError) as info:
        load_rubric_data(
            minimal(floor=Decimal("25.00000000000000000001")), schema=SCHEMA, source="x"
        )
    assert [p.rule for p in info.value.problems] == ["number_precision"]


def test_file_must_sit_at_id_and_version(tmp_path):
    path = write_copy(tmp_path, isrps_text(), version="2.0")
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    assert [(p.where, p.rule) for p in info.value.problems] == [("version", "file_location")]


def test_problem_and_error_text():
    p = Problem("f.yaml", "IH-2", "rule_x", "broken")
    assert str(p) == "f.yaml: IH-2: broken [rule_x]"
    err = RubricError([p, Problem("f.yaml", "TC-1", "rule_y", "also")])
    assert str(err).splitlines() == [str(p), "f.yaml: TC-1: also [rule_y]"]


# ------------------------------------------------------------------ lock and publishing


def test_changing_one_word_of_a_published_title_is_refused(tmp_path):
    root = copy_rubrics(tmp_path)
    recorded = read_lock(root)["isrps@1.0"].sha256
    path = root / "isrps" / "1.0.yaml"
    path.write_text(
        replace_once(
            path.read_text(encoding="utf-8"),
            "title: Accessible, inclusive selection",
            "title: Accessible, fair selection",
        ),
        encoding="utf-8",
    )
    problems = check_lock(root)
    assert len(problems) == 1
    (p,) = problems
    assert p.file == "rubrics/isrps/1.0.yaml"
    assert p.where == "isrps@1.0"
    assert p.rule == "published_changed"
    assert recorded in p.message
    assert "new version" in p.message
    # publish refuses to record the changed content over the published one
    with pytest.raises(RubricError) as info:
        publish(root, "isrps", "1.0")
    assert info.value.problems[0].rule == "published_changed"


def test_formatting_and_comments_do_not_change_the_hash(tmp_path):
    root = copy_rubrics(tmp_path)
    path = root / "isrps" / "1.0.yaml"
    text = path.read_text(encoding="utf-8")
    flow = "range: {min: 0, max: 100}\n        floor: 25"
    block = "range:\n          min: 0\n          max: 100.0\n        floor: 25"
    text = "# a new comment\n" + replace_once(text, flow, block)
    path.write_text(text, encoding="utf-8")
    assert check_lock(root) == []


def test_missing_published_file_and_bad_lock(tmp_path):
    root = copy_rubrics(tmp_path)
    (root / "isrps" / "1.0.yaml").unlink()
    assert [p.rule for p in check_lock(root)] == ["published_missing"]
    (root / "rubrics.lock.json").write_text("[1, 2]", encoding="utf-8")
    assert [p.rule for p in check_lock(root)] == ["lock_file"]


def test_publish_a_new_version(tmp_path):
    root = copy_rubrics(tmp_path)
    text = replace_once(isrps_text(), 'version: "1.0"', 'version: "1.1"')
    text = replace_once(text, 'effective_date: "2026-01-01"', 'effective_date: "2027-01-01"')
    (root / "isrps" / "1.1.yaml").write_text(text, encoding="utf-8")
    entry = publish(root, "isrps", "1.1")
    assert entry.key == "isrps@1.1"
    assert entry.file == "isrps/1.1.yaml"
    assert publish(root, "isrps", "1.1") == entry  # idempotent
    lock = json.loads((root / "rubrics.lock.json").read_text(encoding="utf-8"))
    assert list(lock) == ["isrps@1.0", "isrps@1.1"]
    assert check_lock(root) == []
    assert [f.version for f in discover(root)] == ["1.0", "1.1"]


def test_publish_refuses_an_invalid_file(tmp_path):
    root = copy_rubrics(tmp_path)
    text = replace_once(isrps_text(), 'version: "1.0"', 'version: "1.2"')
    (root / "isrps" / "1.2.yaml").write_text(
        text.replace("weight: 25", "weight: 26"), encoding="utf-8"
    )
    with pytest.raises(RubricError):
        publish(root, "isrps", "1.2")
    assert "isrps@1.2" not in read_lock(root)


# ------------------------------------------------------------------ versions in time


def version(v: str, effective: str, transition: int = 12) -> Rubric:
    return dataclasses.replace(
        isrps(), version=v, effective_date=dt.date.fromisoformat(effective),
        transition_months=transition, canonical=v.encode(),
    )  # fmt: skip


def test_add_months_clamps_to_month_end():
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 1, 1), 12) == dt.date(2027, 1, 1)
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)


def test_newest_in_effect_and_status():
    v10 = version("1.0", "2026-01-01")
    v11 = version("1.1", "2027-03-01")
    v20 = version("2.0", "2028-01-01", transition=6)
    all_ = [v20, v10, v11]
    day = dt.date.fromisoformat
    assert newest_in_effect(all_, day("2025-12-31")) is None
    assert newest_in_effect(all_, day("2026-01-01")) is v10
    assert newest_in_effect(all_, day("2027-02-28")) is v10
    assert newest_in_effect(all_, day("2027-03-01")) is v11
    assert newest_in_effect(all_, day("2030-01-01")) is v20

    def statuses(on: str) -> list[str]:
        return [status_on(r, day(on), all_) for r in (v10, v11, v20)]

    assert statuses("2025-06-01") == ["not yet in effect"] * 3
    assert statuses("2026-06-01") == ["in effect", "not yet in effect", "not yet in effect"]
    assert statuses("2027-03-01") == ["in transition", "in effect", "not yet in effect"]
    assert transition_end(v11) == day("2028-03-01")
    # 2.0 takes effect before 1.1's transition ends: 1.0 and 1.1 are both in transition
    assert statuses("2028-01-01") == ["in transition", "in transition", "in effect"]
    assert [r.version for r in allowed_for_audit(all_, day("2028-01-01"))] == ["1.0", "1.1", "2.0"]
    # 1.1's transition ends 2028-03-01: 1.0 is superseded; 2.0's ends 2028-07-01
    assert statuses("2028-03-01") == ["superseded", "in transition", "in effect"]
    assert statuses("2028-07-01") == ["superseded", "superseded", "in effect"]
    assert [r.version for r in allowed_for_audit(all_, day("2028-07-01"))] == ["2.0"]


def test_newest_in_effect_needs_a_standard_when_mixed():
    other = dataclasses.replace(isrps(), id="other", canonical=b"o")
    with pytest.raises(ValueError, match="several standards"):
        newest_in_effect([isrps(), other], dt.date(2026, 6, 1))
    assert newest_in_effect([isrps(), other], dt.date(2026, 6, 1), "isrps") is isrps()


# ------------------------------------------------------------------ diff


def with_criterion(r: Rubric, criterion_id: str, **changes) -> Rubric:
    sections = tuple(
        dataclasses.replace(
            s,
            criteria=tuple(
                dataclasses.replace(c, **changes) if c.id == criterion_id else c for c in s.criteria
            ),
        )
        for s in r.sections
    )
    return dataclasses.replace(r, sections=sections)


def test_diff_of_identical_rubrics_is_empty():
    assert diff_rubrics(isrps(), isrps()) == []


def test_one_band_and_one_weight_give_two_lines():
    r = isrps()
    tc2 = r.criterion("TC-2")
    bands = list(tc2.bases[0].bands)
    bands[1] = dataclasses.replace(bands[1], upper=Decimal(22))
    bands[2] = dataclasses.replace(bands[2], lower=Decimal(22))
    new_basis = dataclasses.replace(tc2.bases[0], bands=tuple(bands))
    changed = with_criterion(r, "TC-2", bases=(new_basis,))
    changed = with_criterion(changed, "IH-4", weight=Decimal(6))
    lines = diff_rubrics(r, changed)
    assert len(lines) == 2, lines
    assert lines[0] == "criterion IH-4: weight changed: 5 -> 6"
    assert lines[1].startswith("criterion TC-2: bands changed: ")
    assert "10 to <20: 1" in lines[1]
    assert "10 to <22: 1" in lines[1]


def test_diff_lists_every_kind_of_change():
    r = isrps()
    b = with_criterion(r, "GT-5", title="Honest claims", na_allowed=True, na_when="w")
    b = with_criterion(b, "IH-2", floor=Decimal(30))
    b = dataclasses.replace(
        b,
        certificate_validity_months=24,
        sections=(
            dataclasses.replace(b.sections[0], weight=Decimal(30)),
            *b.sections[1:4],
            dataclasses.replace(
                b.sections[4],
                criteria=(*b.sections[4].criteria[:-1],
                          dataclasses.replace(b.sections[4].criteria[-1], id="GT-6")),
            ),
        ),
        outcomes=(dataclasses.replace(r.outcomes[0], min_overall=Decimal(65)), r.outcomes[1]),
        grades=(r.grades[0], dataclasses.replace(r.grades[1], deadline_days=60), r.grades[2]),
    )  # fmt: skip
    assert diff_rubrics(r, b) == [
        "standard: certificate validity months changed: 36 -> 24",
        "section IH: weight changed: 25 -> 30",
        "criterion IH-2: floor changed: 25 -> 30",
        "criterion GT-5 removed (Honest claims to clients)",
        "criterion GT-6 added in section GT (Honest claims, level, weight 2)",
        "outcome certified: overall threshold changed: 60 -> 65",
        "non-conformity grade major: deadline days changed: 90 -> 60",
    ]


def test_band_label():
    assert Band(2, Decimal(25), True, Decimal(50), False).label() == "25 to <50"
    assert Band(4, Decimal(100)).label() == ">=100"
    assert Band(1, Decimal(0), False, Decimal("0.1"), False).label() == ">0 to <0.1"
