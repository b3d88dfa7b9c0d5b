"""The compiled scorer gives exactly what the reference gives: same result, same errors."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certify.core.rubric.model import Criterion
from certify.core.scoring.answers import Answer, AnswerError
from certify.core.scoring.compiled import compiled_for
from certify.core.scoring.engine import preview, score, score_reference
from certify.core.scoring.results import ScoreResult
from tests.core.rubric_fixtures import answers_at, isrps


class Grade(enum.Enum):
    MINOR = "minor"
    MAJOR = "major"


@dataclass
class NC:
    grade: Any


BAD_VALUES = [None, 5, -1, True, "twelve", " 3 ", "4", 2.0, float("nan"), Decimal("NaN"), [1]]


def well_formed(c: Criterion) -> st.SearchStrategy[Any]:
    """The answers the benchmark and the forms give: bare, Answer objects and dicts, and a
    justified not applicable where the criterion allows it."""
    if c.na_allowed:
        return st.one_of(
            st.sampled_from(
                [Answer.na(" not here "), {"not_applicable": True, "justification": " x"}]
            ),
            well_formed_value(c),
        )
    return well_formed_value(c)


def well_formed_value(c: Criterion) -> st.SearchStrategy[Any]:
    if c.kind == "gate":
        return st.booleans().flatmap(lambda v: st.sampled_from([v, Answer.gate(v), {"value": v}]))
    if c.kind == "level":
        return st.integers(0, 4).flatmap(
            lambda v: st.sampled_from([v, Answer.level(v), {"value": v}, str(v)])
        )
    low = c.range_min if c.range_min is not None else Decimal(0)
    high = c.range_max if c.range_max is not None else low + 400
    bases = [b.id for b in c.bases] if len(c.bases) > 1 else [None]
    values = st.one_of(
        st.decimals(low, high, places=2, allow_nan=False),
        st.sampled_from([low, high]),  # the band and range edges matter most
        st.sampled_from([band.lower for b in c.bases for band in b.bands]),
    )
    return st.tuples(values, st.sampled_from(bases)).flatmap(
        lambda vb: st.sampled_from([
            Answer.number(vb[0], basis=vb[1]),
            {"value": str(vb[0]), "basis": vb[1]},
            Answer.number(str(vb[0]), basis=vb[1]),
        ])
    )  # fmt: skip


def any_answer(c: Criterion) -> st.SearchStrategy[Any]:
    """Well-formed answers mostly, then not applicable (justified or not) and bad ones."""
    return st.one_of(
        well_formed(c),
        st.sampled_from([
            Answer.na("not applicable here"),
            {"not_applicable": True, "justification": "no hires"},
            Answer.na("   "),
            Answer(value=Decimal(3), not_applicable=True, justification="both"),
            Answer(value=Decimal(3), basis="ebitda"),
            Answer(value=True, basis="profit"),
            {"value": 1, "comment": "an unknown key"},
        ]),
        st.sampled_from(BAD_VALUES),
    )  # fmt: skip


KNOWN_GRADES = st.lists(
    st.sampled_from(["minor", "major", "critical", NC("major"), NC(Grade.MINOR)])
    | st.builds(lambda g: {"grade": g}, st.sampled_from(["minor", Grade.MAJOR])),
    max_size=4,
)
#: with grades no rubric knows, and a bare Enum member (a grade must be named)
GRADES = st.lists(
    st.sampled_from(["minor", "critical", "serious", Grade.MINOR, NC("major"), {"grade": 3}]),
    max_size=4,
)


@st.composite
def answer_sets(draw: st.DrawFn, bad: bool) -> dict[str, Any]:
    r = isrps()
    answers: dict[str, Any] = {}
    for c in r.criteria:
        if bad and draw(st.integers(0, 19)) == 0:
            continue  # unanswered: a preview's progress, score's missing answer
        answers[c.id] = draw(any_answer(c) if bad else well_formed(c))
    if bad and draw(st.integers(0, 9)) == 0:
        answers["XX-1"] = 3
    return answers


def outcome_of(function: Any, *args: Any, **kwargs: Any) -> tuple[str, str]:
    """What a call gives, compared whole: the result's repr (Decimal('1.0') is not
    Decimal('1.00') there) or the error's type and every problem in order."""
    try:
        result = function(*args, **kwargs)
    except AnswerError as error:
        return "error", repr(error.problems)
    return "result", repr(result)


@settings(max_examples=200, deadline=None)
@given(answer_sets(bad=False), KNOWN_GRADES)
def test_compiled_scorer_takes_well_formed_answers_and_matches_the_reference(answers, ncs):
    fast = compiled_for(isrps()).score(answers, ncs, False)
    assert isinstance(fast, ScoreResult)
    assert repr(fast) == repr(score_reference(isrps(), answers, ncs))
    assert fast == score(isrps(), answers, ncs)


@settings(max_examples=300, deadline=None)
@given(answer_sets(bad=True), GRADES, st.booleans())
def test_score_and_preview_match_the_reference_on_any_answers(answers, ncs, partial):
    expected = outcome_of(score_reference, isrps(), answers, ncs, partial=partial)
    assert outcome_of(score, isrps(), answers, ncs, partial=partial) == expected
    if partial:
        assert outcome_of(preview, isrps(), answers, ncs) == expected
    fast = compiled_for(isrps()).score(answers, ncs, partial)
    if fast is not None:  # declining is always allowed; a result must be the reference's
        assert expected == ("result", repr(fast))


def test_results_are_the_same_objects_only_where_nothing_differs():
    """Shared parts come from the cache; a number's own value never does."""
    r = isrps()
    first = score(r, answers_at(r, 3))
    answers = answers_at(r, 3)
    answers["TC-2"] = Answer.number(Decimal("25.50"))
    second = score(r, answers)
    assert first.criterion("IH-4") is second.criterion("IH-4")  # a level: shared
    assert second.criterion("TC-2").value == Decimal("25.50")
    assert str(second.criterion("TC-2").value) == "25.50"


def test_a_generator_of_nonconformities_reaches_the_reference_whole():
    r = isrps()
    answers = answers_at(r, 3)
    answers["IH-4"] = 9  # declined by the compiled scorer: the reference words the error
    with pytest.raises(AnswerError) as info:
        score(r, answers, (g for g in ["minor", "serious"]))
    assert [p.rule for p in info.value.problems] == ["level_range", "unknown_grade"]


def test_answers_in_another_mapping_are_scored_by_the_reference():
    from types import MappingProxyType

    r = isrps()
    answers = answers_at(r, 2)
    assert compiled_for(r).score(MappingProxyType(answers), (), False) is None
    assert score(r, MappingProxyType(answers)) == score(r, answers)
