"""Scoring ISRPS 1.0: worked examples computed by hand, properties, and bad answers."""

from __future__ import annotations

import copy
import enum
import json
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certify.core.rubric.model import Rubric
from certify.core.scoring.answers import Answer, AnswerError
from certify.core.scoring.engine import preview, score
from certify.core.scoring.results import NOT_CERTIFIED, ScoreResult, rounded
from tests.core.rubric_fixtures import answers_at, isrps, value_for_level

CERTIFIED = "certified"
DISTINCTION = "certified_with_distinction"
N = Answer.number


def codes(result: ScoreResult) -> list[tuple[str, str | None, tuple[str, ...]]]:
    return [(r.code, r.subject, r.blocks) for r in result.reasons]


# ------------------------------------------------------------------ worked examples
#
# ISRPS 1.0 weights: IH: IH-2 8, IH-3 5, IH-4 5, IH-5 4, IH-7 3 (25)
#                    TC: TC-1 5, TC-2 5, TC-4 6, TC-5 5, TC-6 4 (25)
#                    CR: CR-1 8, CR-2 4, CR-3 4, CR-4 2, CR-5 2 (20)
#                    FW: FW-2 6, FW-3 5, FW-6 3, FW-7 3, FW-8 3 (20)
#                    GT: GT-1 4, GT-2 2, GT-4 2, GT-5 2 (10)
# points = weight x level / 4. Certified: overall >= 60, every section >= 40% of its weight;
# distinction: overall >= 80, every section >= 60%, no open non-conformity at all.


def example_certified() -> dict[str, Any]:
    a = answers_at(isrps())  # gates pass; overridden below criterion by criterion
    a.update({
        # IH: IH-2 40% -> L2: 8x2/4 = 4      IH-3 80% -> L4: 5      IH-4 L3: 5x3/4 = 3.75
        #     IH-5 L2: 4x2/4 = 2             IH-7 L1: 3x1/4 = 0.75
        #     IH = 4 + 5 + 3.75 + 2 + 0.75 = 15.5 (62% of 25)
        "IH-2": N("40"), "IH-3": N("80"), "IH-4": 3, "IH-5": 2, "IH-7": 1,
        # TC: TC-1 L3: 3.75   TC-2 25 h -> L2: 2.5   TC-4 12% -> L2: 6x2/4 = 3
        #     TC-5 70% -> L2: 2.5   TC-6 L2: 2   TC = 3.75 + 2.5 + 3 + 2.5 + 2 = 13.75 (55%)
        "TC-1": 3, "TC-2": N("25"), "TC-4": N("12"), "TC-5": N("70"), "TC-6": 2,
        # CR: CR-1 revenue 3% -> L3: 8x3/4 = 6   CR-2 L2: 2   CR-3 0.2 -> L2: 2
        #     CR-4 L1: 0.5   CR-5 L1: 0.5   CR = 6 + 2 + 2 + 0.5 + 0.5 = 11 (55%)
        "CR-1": N("3", basis="revenue"), "CR-2": 2, "CR-3": N("0.2"), "CR-4": 1, "CR-5": 1,
        # FW: FW-2 90% -> L3: 4.5   FW-3 45% -> L2: 2.5   FW-6 L3: 2.25   FW-7 L2: 1.5
        #     FW-8 95% -> L4: 3     FW = 4.5 + 2.5 + 2.25 + 1.5 + 3 = 13.75 (68.75%)
        "FW-2": N("90"), "FW-3": N("45"), "FW-6": 3, "FW-7": 2, "FW-8": N("95"),
        # GT: GT-1 L3: 3   GT-2 L2: 1   GT-4 L2: 1   GT-5 L3: 1.5   GT = 6.5 (65%)
        "GT-1": 3, "GT-2": 2, "GT-4": 2, "GT-5": 3,
    })  # fmt: skip
    # overall = 15.5 + 13.75 + 11 + 13.75 + 6.5 = 60.5
    return a


def test_worked_example_certified():
    result = score(isrps(), example_certified())
    assert result.overall == Fraction("60.5")
    assert [(s.section_id, s.score) for s in result.sections] == [
        ("IH", Fraction("15.5")),
        ("TC", Fraction("13.75")),
        ("CR", Fraction(11)),
        ("FW", Fraction("13.75")),
        ("GT", Fraction("6.5")),
    ]
    assert result.criterion("IH-2").level == 2
    assert result.criterion("IH-2").points == 4
    assert result.criterion("CR-1").basis == "revenue"
    assert result.criterion("CR-1").level == 3
    assert result.outcome == CERTIFIED
    # Distinction is missed because TC (13.75 < 15 = 60% of 25), CR (11 < 12 = 60% of 20)
    # and the overall score (60.5 < 80) fall short; IH 15.5 >= 15, FW, GT pass.
    assert codes(result) == [
        ("requirements_met", None, ()),
        ("section_below_floor", "TC", (DISTINCTION,)),
        ("section_below_floor", "CR", (DISTINCTION,)),
        ("overall_below_threshold", None, (DISTINCTION,)),
    ]
    assert result.reasons[0].outcome == CERTIFIED
    assert result.reasons[1].required == Fraction(15)
    assert "Section TC scores 13.75 of 25 (55.00%)" in result.reasons[1].message


def example_distinction() -> dict[str, Any]:
    r = isrps()
    # Everything at level 4 except: IH-3 not applicable; TC-2 50 h -> L3; FW-3 120% -> L3;
    # CR-1 exactly 30% of profit (a band edge: lands in L4).
    return answers_at(
        r,
        4,
        IH_3=Answer.na("No hires in the period: hiring freeze all year."),
        TC_2=N("50"),
        FW_3=N("120"),
        CR_1=N("30", basis="profit"),
    )
    # IH without IH-3: applicable weights 8 + 5 + 4 + 3 = 20, so each weight is scaled by
    #   25/20 = 1.25: IH-2 10, IH-4 6.25, IH-5 5, IH-7 3.75, all at L4 -> IH = 25
    # TC: TC-2 L3 5x3/4 = 3.75, the rest 5 + 6 + 5 + 4 = 20 -> TC = 23.75
    # CR = 20, FW: FW-3 L3 3.75 + 6 + 3 + 3 + 3 = 18.75, GT = 10
    # overall = 25 + 23.75 + 20 + 18.75 + 10 = 97.5


def test_worked_example_distinction():
    result = score(isrps(), example_distinction())
    assert result.overall == Fraction("97.5")
    assert result.section("IH").score == 25
    assert result.criterion("IH-2").effective_weight == 10
    assert result.criterion("IH-4").effective_weight == Fraction("6.25")
    assert result.criterion("IH-3").status == "not_applicable"
    assert result.criterion("IH-3").effective_weight == 0
    assert result.criterion("CR-1").level == 4
    assert result.outcome == DISTINCTION
    assert codes(result) == [("requirements_met", None, ())]
    assert result.reasons[0].outcome == DISTINCTION


def test_worked_example_failed_gate():
    answers = example_distinction()
    answers["FW-5"] = False
    result = score(isrps(), answers)
    # The points do not change (gates earn none), the outcome does.
    assert result.overall == Fraction("97.5")
    assert result.outcome == NOT_CERTIFIED
    assert codes(result) == [("gate_failed", "FW-5", (CERTIFIED, DISTINCTION))]
    assert result.criterion("FW-5").passed is False


def test_worked_example_ih2_under_its_floor():
    answers = example_distinction()
    answers["IH-2"] = N("24.99")
    result = score(isrps(), answers)
    # IH-2 24.99% -> band 10-<25, L1: effective weight 10 x 1/4 = 2.5 instead of 10,
    # IH = 2.5 + 6.25 + 5 + 3.75 = 17.5 (still >= 15), overall = 97.5 - 7.5 = 90.
    assert result.section("IH").score == Fraction("17.5")
    assert result.overall == 90
    assert result.outcome == NOT_CERTIFIED
    assert codes(result) == [("floor_missed", "IH-2", (CERTIFIED, DISTINCTION))]
    assert result.reasons[0].actual == Decimal("24.99")
    assert result.reasons[0].required == 25
    # exactly on the floor passes
    answers["IH-2"] = N("25")
    assert score(isrps(), answers).outcome == DISTINCTION


def test_worked_example_one_section_under_its_floor():
    answers = example_distinction()
    answers.update({"GT-1": 1, "GT-2": 1, "GT-4": 1, "GT-5": 1})
    result = score(isrps(), answers)
    # GT = 4x1/4 + 2x1/4 x 3 = 1 + 1.5 = 2.5, under 40% of 10 = 4;
    # overall = 97.5 - 10 + 2.5 = 90, high enough, but the floor decides.
    assert result.section("GT").score == Fraction("2.5")
    assert result.overall == 90
    assert result.outcome == NOT_CERTIFIED
    assert codes(result) == [("section_below_floor", "GT", (CERTIFIED,))]
    assert result.reasons[0].required == 4
    gt = result.section("GT").to_dict()
    assert gt["floors"] == {
        CERTIFIED: {"required": "4.00", "met": False},
        DISTINCTION: {"required": "6.00", "met": False},
    }


def test_worked_example_distinction_blocked_only_by_an_open_minor():
    result = score(isrps(), example_distinction(), ["minor"])
    assert result.overall == Fraction("97.5")
    assert result.outcome == CERTIFIED
    assert codes(result) == [
        ("requirements_met", None, ()),
        ("open_nonconformity", "minor", (DISTINCTION,)),
    ]
    assert result.reasons[1].message == (
        "1 minor non-conformity is open: certified_with_distinction needs none open."
    )
    # a major blocks both levels
    result = score(isrps(), example_distinction(), ["major", "minor", "major"])
    assert result.outcome == NOT_CERTIFIED
    assert codes(result) == [("open_nonconformity", "major", (CERTIFIED, DISTINCTION))]
    assert result.reasons[0].actual == 2


def test_two_na_criteria_share_weight_exactly():
    answers = example_distinction()
    answers["TC-4"] = Answer.na("The ISSP is 18 months old.")
    answers["TC-5"] = {"not_applicable": True, "justification": "The ISSP is 10 months old."}
    result = score(isrps(), answers)
    # TC applicable: TC-1 5, TC-2 5, TC-6 4 = 14, scaled by 25/14:
    # TC = 25 x (5x4 + 5x3 + 4x4) / (4 x 14) = 25 x 51 / 56 = 1275/56 = 22.767857...
    assert result.section("TC").score == Fraction(1275, 56)
    assert result.section("TC").to_dict()["score"] == "22.77"
    assert sum(c.effective_weight for c in result.criteria if c.section_id == "TC") == 25


# ------------------------------------------------------------------ output


def test_to_dict_is_plain_json_with_two_decimal_strings():
    result = score(isrps(), example_certified(), ["minor"])
    data = result.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["overall"] == "60.50"
    assert data["outcome"] == CERTIFIED
    assert data["rubric"] == "isrps@1.0"
    assert data["rubric_sha256"] == isrps().sha256
    assert data["progress"] == {"answered": 31, "total": 31}
    ih2 = next(c for c in data["criteria"] if c["criterion"] == "IH-2")
    assert ih2 == {
        "criterion": "IH-2", "section": "IH", "kind": "number", "status": "answered",
        "value": "40", "basis": None, "level": 2, "weight": "8.00",
        "effective_weight": "8.00", "points": "4.00", "passed": True, "justification": None,
    }  # fmt: skip
    assert [s["score"] for s in data["sections"]] == ["15.50", "13.75", "11.00", "13.75", "6.50"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(1, 8), "0.13"),
        (Fraction(-1, 8), "-0.13"),
        (Decimal("2.675"), "2.68"),  # a float would say 2.67
        (Fraction(1, 3), "0.33"),
        (Fraction(2, 3), "0.67"),
        (Fraction(1275, 56), "22.77"),
        (100, "100.00"),
        (0, "0.00"),
        (Decimal("0.005"), "0.01"),
        (Decimal("0.00499999"), "0.00"),
    ],
)
def test_rounded_half_up(value, expected):
    assert str(rounded(value)) == expected


def test_score_does_not_modify_its_input():
    answers = example_distinction()
    answers["TC-5"] = {"not_applicable": True, "justification": "young"}
    before = copy.deepcopy(answers)
    ncs = ["minor"]
    score(isrps(), answers, ncs)
    assert answers == before
    assert ncs == ["minor"]


def test_accepted_answer_forms():
    class Grade(enum.Enum):
        MINOR = "minor"

    @dataclass
    class NC:
        grade: Any

    answers = example_distinction()
    answers["IH-2"] = 80.5  # a float is read through str: 80.5 exactly
    answers["TC-2"] = " 50 "  # numeric text
    answers["FW-3"] = {"value": Decimal("120")}
    answers["GT-1"] = "4"  # a level as text
    result = score(isrps(), answers, [NC(Grade.MINOR), {"grade": "minor"}])
    assert result.criterion("IH-2").value == Decimal("80.5")
    assert result.criterion("TC-2").level == 3
    assert result.criterion("GT-1").level == 4
    assert codes(result)[1] == ("open_nonconformity", "minor", (DISTINCTION,))
    assert result.reasons[1].actual == 2


# ------------------------------------------------------------------ bad answers


def test_answer_errors_are_listed_all_at_once():
    answers = example_distinction()
    del answers["GT-5"]
    answers.update({
        "XX-1": 3,                                    # unknown criterion
        "IH-4": 5,                                    # level out of range
        "IH-5": True,                                 # a bool is not a level
        "TC-2": "twelve",                             # text where a number belongs
        "IH-2": N("101"),                             # percent above 100
        "FW-3": N("-150"),                            # below the range minimum (-100)
        "CR-1": N("12"),                              # two bases, none given
        "CR-3": N("0.5", basis="profit"),             # CR-3 has a single basis
        "IH-6": Answer.na("we think so"),             # N/A not allowed on IH-6
        "IH-3": Answer.na("  "),                      # N/A without justification
        "TC-1": float("nan"),                         # not a number at all
        "FW-1": "yes",                                # a gate needs True/False
        "TC-6": {"value": 2, "comment": "x"},          # unknown answer key
    })  # fmt: skip
    with pytest.raises(AnswerError) as info:
        score(isrps(), answers, ["minor", "serious"])
    found = {(p.criterion, p.rule) for p in info.value.problems}
    assert found == {
        ("XX-1", "unknown_criterion"),
        ("GT-5", "missing_answer"),
        ("IH-4", "level_range"),
        ("IH-5", "level_range"),
        ("TC-2", "not_a_number"),
        ("IH-2", "out_of_range"),
        ("FW-3", "out_of_range"),
        ("CR-1", "basis_required"),
        ("CR-3", "unknown_basis"),
        ("IH-6", "na_not_allowed"),
        ("IH-3", "na_justification"),
        ("TC-1", "level_range"),
        ("FW-1", "gate_value"),
        ("TC-6", "answer_shape"),
        ("nonconformities[1]", "unknown_grade"),
    }
    assert len(str(info.value).splitlines()) == len(info.value.problems) == 15


def test_unknown_basis_and_na_with_value():
    answers = example_distinction()
    answers["CR-1"] = N("12", basis="ebitda")
    answers["TC-4"] = Answer(value=Decimal(20), not_applicable=True, justification="young")
    with pytest.raises(AnswerError) as info:
        score(isrps(), answers)
    assert {(p.criterion, p.rule) for p in info.value.problems} == {
        ("CR-1", "unknown_basis"),
        ("TC-4", "na_with_value"),
    }


# ------------------------------------------------------------------ preview


def test_preview_shows_progress_and_score_so_far():
    r = isrps()
    empty = preview(r, {})
    assert empty.progress == (0, 31)
    assert empty.outcome is None
    assert not empty.complete
    assert empty.overall == 0
    assert empty.reasons == ()
    assert empty.to_dict()["unanswered"][:2] == ["IH-1", "IH-2"]

    result = preview(r, {"IH-1": False, "IH-2": N("80"), "IH-3": Answer.na("no hires")})
    # IH-2 at L4 with IH-3 not applicable: 8 x 25/20 = 10 points so far
    assert result.overall == 10
    assert result.progress == (3, 31)
    assert result.outcome is None
    assert codes(result) == [("gate_failed", "IH-1", (CERTIFIED, DISTINCTION))]
    # the strict function refuses the same partial answers
    with pytest.raises(AnswerError) as info:
        score(r, {"IH-1": False})
    assert len(info.value.problems) == 30


def test_preview_of_complete_answers_equals_score():
    assert preview(isrps(), example_certified()) == score(isrps(), example_certified())


# ------------------------------------------------------------------ properties


def answer_for(r: Rubric, cid: str) -> st.SearchStrategy[Any]:
    c = r.criterion(cid)
    options: list[st.SearchStrategy[Any]] = []
    if c.kind == "gate":
        options.append(st.booleans())
    elif c.kind == "level":
        options.append(st.integers(0, 4))
    else:
        high = c.range_max if c.range_max is not None else c.range_min + 400
        values = st.decimals(c.range_min, high, places=2, allow_nan=False)
        bases = [b.id for b in c.bases] if len(c.bases) > 1 else [None]
        options.append(st.builds(Answer.number, values, st.sampled_from(bases)))
    if c.na_allowed:
        options.append(st.just(Answer.na("not applicable in this test")))
    return st.one_of(options)


@st.composite
def answer_sets(draw: st.DrawFn, all_gates_pass: bool = False) -> dict[str, Any]:
    r = isrps()
    answers = {c.id: draw(answer_for(r, c.id)) for c in r.criteria}
    if all_gates_pass:
        answers.update({c.id: True for c in r.criteria if c.kind == "gate"})
    return answers


def raise_one(r: Rubric, answers: dict[str, Any], cid: str, step: Decimal) -> dict[str, Any]:
    """A copy of *answers* with criterion *cid* raised (gate to pass, level +1, number +step)."""
    c = r.criterion(cid)
    old = answers[cid]
    raised = dict(answers)
    if isinstance(old, Answer) and old.not_applicable:
        return raised
    if c.kind == "gate":
        raised[cid] = True
    elif c.kind == "level":
        raised[cid] = min(old + 1, 4)
    else:
        value = old.value + step
        if c.range_max is not None:
            value = min(value, c.range_max)
        raised[cid] = Answer.number(value, basis=old.basis)
    return raised


@settings(max_examples=150, deadline=None)
@given(answer_sets(), st.lists(st.sampled_from(["critical", "major", "minor"]), max_size=3))
def test_scores_stay_within_bounds(answers, ncs):
    result = score(isrps(), answers, ncs)
    assert 0 <= result.overall <= 100
    for s in result.sections:
        assert 0 <= s.score <= s.weight
    assert result.overall == sum(s.score for s in result.sections)
    assert result.outcome in (NOT_CERTIFIED, CERTIFIED, DISTINCTION)
    assert result.reasons  # every outcome explains itself


@settings(max_examples=150, deadline=None)
@given(
    answer_sets(),
    st.sampled_from([c.id for c in isrps().criteria]),
    st.decimals(Decimal("0.01"), Decimal(150), places=2),
)
def test_raising_one_answer_never_lowers_the_score(answers, cid, step):
    r = isrps()
    before = score(r, answers)
    after = score(r, raise_one(r, answers, cid, step))
    assert after.overall >= before.overall
    order = [NOT_CERTIFIED, CERTIFIED, DISTINCTION]
    assert order.index(after.outcome) >= order.index(before.outcome)


@settings(max_examples=100, deadline=None)
@given(
    answer_sets(all_gates_pass=True),
    st.sampled_from([c.id for c in isrps().criteria if c.kind == "gate"]),
)
def test_a_failed_gate_always_gives_not_certified(answers, gate):
    answers[gate] = False
    result = score(isrps(), answers)
    assert result.outcome == NOT_CERTIFIED
    assert ("gate_failed", gate, (CERTIFIED, DISTINCTION)) in codes(result)


@settings(max_examples=100, deadline=None)
@given(answer_sets(), st.sets(st.sampled_from(["IH-3", "TC-4", "TC-5"])))
def test_not_applicable_keeps_section_weights(answers, na_ids):
    r = isrps()
    for cid in na_ids:
        answers[cid] = Answer.na("not applicable in this test")
    result = score(r, answers)
    for s in r.sections:
        shares = [c.effective_weight for c in result.criteria if c.section_id == s.id]
        assert sum(shares) == s.weight
    # and with every scored criterion at the top, every section is full whatever is N/A
    top = answers_at(r, 4)
    top.update({cid: Answer.na("n/a") for cid in na_ids})
    full = score(r, top)
    assert [s.score for s in full.sections] == [s.weight for s in r.sections]
    assert full.overall == 100


def test_values_on_band_edges_land_in_the_upper_band():
    r = isrps()
    checked = 0
    for c in r.criteria:
        for b in c.bases:
            basis = b.id or None
            for below, band in zip(b.bands, b.bands[1:], strict=False):
                answers = answers_at(r, 4)
                if band.lower_inclusive:
                    # e.g. IH-2 exactly 25 -> 25-49 (L2), not 10-24
                    answers[c.id] = N(band.lower, basis=basis)
                    assert score(r, answers).criterion(c.id).level == band.level, (c.id, band)
                    answers[c.id] = N(band.lower - Decimal("0.001"), basis=basis)
                    assert score(r, answers).criterion(c.id).level == below.level
                else:
                    # "0" then ">0": exactly 0 is the point band, a hair above is the next one
                    answers[c.id] = N(band.lower, basis=basis)
                    assert score(r, answers).criterion(c.id).level == below.level
                    answers[c.id] = N(band.lower + Decimal("0.0001"), basis=basis)
                    assert score(r, answers).criterion(c.id).level == band.level
                checked += 1
    assert checked == 11 * 4  # 10 number criteria, CR-1 with two bases, 4 edges each


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_number_level_matches_its_band(data):
    r = isrps()
    c = data.draw(st.sampled_from([c for c in r.criteria if c.kind == "number"]))
    basis = data.draw(st.sampled_from(c.bases))
    high = c.range_max if c.range_max is not None else c.range_min + 1000
    value = data.draw(st.decimals(c.range_min, high, places=3))
    answers = answers_at(r, 4)
    answers[c.id] = N(value, basis=basis.id or None)
    level = score(r, answers).criterion(c.id).level
    (band,) = [b for b in basis.bands if b.contains(value)]
    assert level == band.level


def test_value_for_level_helper_agrees_with_bands():
    c = isrps().criterion("CR-1")
    assert value_for_level(c, 1, "revenue") == Decimal("0.01")
    assert value_for_level(c, 4, "profit") == 30
