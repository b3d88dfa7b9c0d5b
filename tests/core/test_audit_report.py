"""The audit report's drawing: every part shown, people's text escaped, never a certificate."""

from __future__ import annotations

import copy

import pytest

from certify.certificates.fonts import find_fonts
from certify.core.auditreport.drawing import render_audit_report
from certify.core.auditreport.model import NOTICE, ReportDataError, answer_text, check_report
from tests.core.tools import require_tool, run

REPORT = {
    "type": "audit_report",
    "notice": NOTICE,
    "registry": {"name": "Test registry", "url": "https://registry.example"},
    "organisation": {"name": "Patan <Works> & Co", "country": "NP"},
    "case": "case-1",
    "standard": {"id": "isrps", "version": "1.0", "title": "ISRPS", "sha256": "ab" * 32},
    "auditor": "Wanjiru",
    "reviewer": "Sofia",
    "audit_submitted_at": "2027-01-02 10:00 UTC",
    "decision": {"outcome": "certified", "decided_at": "2027-01-03 10:00 UTC", "reasons": "Ok"},
    "score": {
        "overall": "75.00",
        "outcome": "certified",
        "outcome_title": "Certified",
        "reasons": ["1 minor non-conformity is open"],
    },
    "sections": [
        {
            "id": "FW",
            "title": "Fair wages",
            "weight": "20.00",
            "score": "15.00",
            "percent": "75.00",
            "criteria": [
                {
                    "id": "FW-7",
                    "title": "Grievance channel",
                    "result": "Level 3",
                    "points": "2.25",
                    "weight": "3.00",
                    "findings": "<b>not bold</b> & <font size=40>no markup</font>\nsecond line",
                }
            ],
        }
    ],
    "nonconformities": [
        {
            "id": "nc-1",
            "grade": "minor",
            "criterion": "FW-7",
            "finding": "Two answers were late <script>",
            "required_action": "Answer within 30 days",
            "due_on": "2028-01-03",
            "original_due_on": None,
            "status": "Open: corrective-action plan needed",
            "raised_on": "2027-01-02",
            "closed_on": None,
        }
    ],
    "certificate": {"serial": "ISR-AAAA-BBBB-CCCC-D", "status": "active"},
    "generated_at": "2027-01-04 10:00 UTC",
}


def test_a_report_renders_with_markup_in_peoples_text_taken_literally(tmp_path) -> None:
    pdf = render_audit_report(
        REPORT, fonts=find_fonts(), registry_name="Test registry", verify_url="https://r/verify"
    )
    (tmp_path / "report.pdf").write_bytes(pdf)
    text = run([require_tool("pdftotext"), str(tmp_path / "report.pdf"), "-"]).stdout
    assert "This is an audit report, not a certificate." in text
    assert "audit report, not a certificate" in text  # the footer of every page
    assert "<b>not bold</b> &" in text and "<script>" in text
    assert "Patan <Works> & Co" in text


def test_a_long_report_flows_over_pages() -> None:
    long = copy.deepcopy(REPORT)
    long["sections"][0]["criteria"] *= 120
    one = render_audit_report(REPORT, fonts=find_fonts(), registry_name="R", verify_url="v")
    many = render_audit_report(long, fonts=find_fonts(), registry_name="R", verify_url="v")
    assert one.count(b"/Type /Page\n") < many.count(b"/Type /Page\n")


def test_a_report_without_a_part_is_refused() -> None:
    broken = {k: v for k, v in REPORT.items() if k != "nonconformities"}
    with pytest.raises(ReportDataError, match="nonconformities"):
        check_report(broken)
    with pytest.raises(ReportDataError, match="not an audit report"):
        check_report({**REPORT, "type": "certificate"})


@pytest.mark.parametrize(
    ("kind", "answer", "unit", "text"),
    [
        ("gate", {"value": True}, None, "Yes"),
        ("gate", {"value": False}, None, "No"),
        ("level", {"value": 3}, None, "Level 3"),
        ("number", {"value": "84", "basis": "payroll"}, "percent", "84 percent (payroll basis)"),
        (
            "number",
            {"not_applicable": True, "justification": "No sites"},
            None,
            "Not applicable: No sites",
        ),
        ("level", None, None, "Not answered"),
    ],
)
def test_how_an_answer_reads(kind, answer, unit, text) -> None:
    assert answer_text(kind, answer, unit) == text
