"""The audit report's content as plain data, and how its parts read.

The web side (:mod:`certify.followup.report`) builds one dict, :data:`REPORT_KEYS` at its top
level, from what the case stores; the page and the PDF both show that one dict, so what one
shows the other shows. It never holds an auditor-only note: those are not read into it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: The report's top-level keys, in the order the PDF shows them.
REPORT_KEYS = (
    "type",
    "notice",
    "registry",
    "organisation",
    "case",
    "standard",
    "auditor",
    "reviewer",
    "audit_submitted_at",
    "decision",
    "score",
    "sections",
    "nonconformities",
    "certificate",
    "generated_at",
)
REPORT_TYPE = "audit_report"
#: Printed at the top of every page and in the signature's reason.
NOTICE = (
    "This is an audit report, not a certificate. It certifies nothing: check a certificate's "
    "status only in the registry."
)

OUTCOME_TITLES: Mapping[str | None, str] = {
    "not_certified": "Not certified",
    "certified": "Certified",
    "certified_with_distinction": "Certified with distinction",
    None: "No outcome",
}


class ReportDataError(ValueError):
    """The report dict lacks a part the PDF shows."""


def check_report(report: Mapping[str, Any]) -> None:
    """Every key of :data:`REPORT_KEYS` is present and the type is an audit report.

    Raises:
        ReportDataError: naming what is missing.
    """
    missing = [k for k in REPORT_KEYS if k not in report]
    if missing:
        raise ReportDataError(f"the audit report lacks {', '.join(missing)}")
    if report["type"] != REPORT_TYPE:
        raise ReportDataError("not an audit report")


def answer_text(kind: str, answer: Mapping[str, Any] | None, unit: str | None = None) -> str:
    """How the auditor's answer to a criterion reads: ``Yes``/``No`` for a gate, ``Level 3``,
    ``84 %`` for a number (with its basis), ``Not applicable: <why>``, or ``Not answered``."""
    if not answer:
        return "Not answered"
    if answer.get("not_applicable"):
        why = answer.get("justification") or ""
        return f"Not applicable: {why}" if why else "Not applicable"
    value = answer.get("value")
    if kind == "gate":
        return "Yes" if value else "No"
    if kind == "level":
        return f"Level {value}"
    text = f"{value} {unit}" if unit else f"{value}"
    basis = answer.get("basis")
    return f"{text} ({basis} basis)" if basis else text
