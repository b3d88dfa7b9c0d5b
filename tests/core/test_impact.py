"""Impact figures, the pure part: bands, suppression, the indicators file, aggregates."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from certify.core.impact import aggregate, figures, indicators
from certify.standards.files import DEFAULT_RUBRICS_DIR, load_rubric


@pytest.fixture(scope="module")
def rubric():
    return load_rubric(DEFAULT_RUBRICS_DIR / "isrps" / "1.0.yaml")


@pytest.fixture(scope="module")
def isrps(rubric):
    text = (DEFAULT_RUBRICS_DIR / "isrps" / "1.0.indicators.json").read_text()
    return indicators.parse_indicators(text, rubric)


def test_bands_never_give_head_counts() -> None:
    assert [figures.band(n) for n in (None, 0, 1, 9, 10, 249, 250, 5000, 80000)] == [
        None,
        None,
        "1-9",
        "1-9",
        "10-49",
        "50-249",
        "250-999",
        "5000+",
        "5000+",
    ]
    assert figures.band_floor("250-999") == 250 and figures.band_floor("5000+") == 5000


def test_isrps_publishes_its_quantitative_hiring_wage_training_and_reinvestment_criteria(
    isrps,
) -> None:
    assert isrps.criteria == ("IH-2", "IH-3", "FW-2", "FW-3", "TC-2", "TC-4", "TC-5", "CR-1")
    assert isrps.minimum_group_size == 10


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"version": "9.9"}, "not for isrps@1.0"),
        ({"public_indicators": ["IH-1"]}, "not a number criterion"),
        ({"public_indicators": ["XX-1"]}, "not a criterion"),
        ({"minimum_group_size": 2}, "at least 5"),
    ],
)
def test_a_bad_indicators_file_is_refused(rubric, change, message) -> None:
    data = {
        "standard": "isrps",
        "version": "1.0",
        "period": "p",
        "minimum_group_size": 10,
        "public_indicators": ["IH-2"],
        **change,
    }
    with pytest.raises(indicators.IndicatorError, match=message):
        indicators.parse_indicators(json.dumps(data), rubric)


def _answers():
    return [
        ("IH-2", Decimal("42.5"), None),
        ("FW-3", Decimal("18.125"), None),
        ("CR-1", Decimal("4"), "revenue"),
    ]


def test_figures_are_rounded_with_their_basis_and_withheld_for_small_groups(rubric, isrps) -> None:
    big = figures.impact_figures(
        rubric,
        isrps,
        _answers(),
        headcount=300,
        impact_headcount=120,
        target_groups=["b", "a", "a"],
        period_end="2026-12-01",
    )
    values = {f["criterion"]: f for f in big["figures"]}
    assert values["IH-2"]["value"] == "42.50" and values["FW-3"]["value"] == "18.13"
    assert values["CR-1"]["basis"].startswith("Share of revenue")
    assert values["TC-2"]["suppressed"] and "not recorded" in values["TC-2"]["reason"]
    assert big["workforceBand"] == "250-999" and big["targetGroups"] == ["a", "b"]
    small = figures.impact_figures(
        rubric,
        isrps,
        _answers(),
        headcount=12,
        impact_headcount=9,
        target_groups=[],
        period_end="2026-12-01",
    )
    assert small["impactWorkersBand"] is None
    assert all("value" not in f and f["suppressed"] for f in small["figures"])


def test_aggregates_use_only_published_values(rubric, isrps) -> None:
    rows = []
    for country, value, impact in (
        ("KE", "10", 50),
        ("KE", "20", 60),
        ("IN", "60", 300),
        ("RW", "99", 5),
    ):
        rows.append(
            {
                "country": country,
                "impactFigures": figures.impact_figures(
                    rubric,
                    isrps,
                    [("IH-2", Decimal(value), None)],
                    headcount=impact * 2,
                    impact_headcount=impact,
                    target_groups=["youth"],
                    period_end="2026-01-01",
                ),
            }
        )
    summary = aggregate.aggregate(rows, [("IH-2", "t", "percent")])
    assert (
        summary["indicators"][0]["median"] == "20.00"
    )  # 10, 20, 60: the small ISSP's 99 is withheld
    assert summary["impactWorkersAtLeast"] == 50 + 50 + 250
    assert {c["country"]: c["impactWorkersAtLeast"] for c in summary["byCountry"]} == {
        "IN": 250,
        "KE": 100,
        "RW": 0,
    }
