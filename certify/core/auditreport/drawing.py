"""Drawing the audit report: :func:`render_audit_report` lays the report dict out on A4 pages
with ReportLab's platypus (text flows over as many pages as it needs) and returns the PDF
bytes, unsigned. Every page says, above the text, that it is not a certificate.

Text from people (findings, reasons, plans) is escaped before it reaches platypus, whose
paragraphs read a markup of their own.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from certify.core import labels
from certify.core.auditreport.model import NOTICE, OUTCOME_TITLES, check_report
from certify.core.pdf.certificate.fonts import Fonts

INK = colors.HexColor("#1b2a41")
ACCENT = colors.HexColor("#1f6f5c")
WARN = colors.HexColor("#8a1c1c")
PALE = colors.HexColor("#e3e8ee")
MARGIN = 18 * mm


def _styles(fonts: Fonts) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=fonts.regular, fontSize=9, leading=12, textColor=INK)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10),
        "title": ParagraphStyle(
            "title", parent=base, fontName=fonts.bold, fontSize=18, leading=22, spaceAfter=4
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=fonts.bold,
            fontSize=12,
            leading=15,
            spaceBefore=10,
            spaceAfter=4,
            textColor=ACCENT,
        ),
        "notice": ParagraphStyle(
            "notice",
            parent=base,
            fontName=fonts.bold,
            fontSize=10,
            leading=13,
            textColor=WARN,
            borderColor=WARN,
            borderWidth=1,
            borderPadding=4,
            spaceAfter=8,
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
        "head": ParagraphStyle("head", parent=base, fontName=fonts.bold, fontSize=8, leading=10),
    }


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape("" if text is None else str(text)).replace("\n", "<br/>"), style)


def _table(
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float],
    st: dict[str, Any],
    *,
    header: bool = True,
) -> Table:
    """A grid of paragraphs; with *header*, the first row is a shaded heading repeated on each
    page, else the first column is (a list of facts)."""
    cells = [
        [
            _p(value, st["head"] if (i == 0 if header else j == 0) else st["cell"])
            for j, value in enumerate(row)
        ]
        for i, row in enumerate(rows)
    ]
    table = Table(cells, colWidths=list(widths), repeatRows=1 if header else 0)
    shaded = ((0, 0), (-1, 0)) if header else ((0, 0), (0, -1))  # the first row, or column
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", *shaded, PALE),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#b8c2cc")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _facts(report: Mapping[str, Any], st: dict[str, Any]) -> list[Any]:
    standard, decision, score = report["standard"], report["decision"], report["score"]
    certificate = report["certificate"]
    facts = [
        ("Organisation", f"{report['organisation']['name']} ({report['organisation']['country']})"),
        ("Case", report["case"]),
        ("Standard", f"{standard['title']} {standard['version']} (SHA-256 {standard['sha256']})"),
        ("Auditor", report["auditor"] or "—"),
        ("Reviewer", report["reviewer"] or "—"),
        ("Audit submitted", report["audit_submitted_at"] or "—"),
        ("Decision", f"{labels.words(decision['outcome'])} on {decision['decided_at']}"),
        ("Outcome of the audit", OUTCOME_TITLES.get(score["outcome"], score["outcome"])),
        ("Overall score", f"{score['overall']} of 100"),
        (
            "Certificate",
            f"{certificate['serial']} ({certificate['status']})" if certificate else "none issued",
        ),
    ]
    return [_table(facts, (45 * mm, A4[0] - 2 * MARGIN - 45 * mm), st, header=False)]


def _reasons(report: Mapping[str, Any], st: dict[str, Any]) -> list[Any]:
    out: list[Any] = [_p("Reasons", st["h2"])]
    out.append(_p(f"The reviewer's reasons: {report['decision']['reasons']}", st["body"]))
    for reason in report["score"]["reasons"]:
        out.append(_p(f"• {reason}", st["body"]))
    return out


def _sections(report: Mapping[str, Any], st: dict[str, Any]) -> list[Any]:
    width = A4[0] - 2 * MARGIN
    out: list[Any] = [_p("Scores and findings", st["h2"])]
    for section in report["sections"]:
        out.append(
            _p(
                f"{section['id']} {section['title']}: {section['score']} of {section['weight']} "
                f"({section['percent']} %)",
                st["head"],
            )
        )
        rows = [("Criterion", "Audit result", "Points", "Findings")]
        rows += [
            (
                f"{c['id']} {c['title']}",
                c["result"],
                f"{c['points']} / {c['weight']}",
                c["findings"],
            )
            for c in section["criteria"]
        ]
        out += [_table(rows, (width * 0.30, width * 0.20, width * 0.12, width * 0.38), st)]
        out.append(Spacer(1, 6))
    return out


def _nonconformities(report: Mapping[str, Any], st: dict[str, Any]) -> list[Any]:
    width = A4[0] - 2 * MARGIN
    out: list[Any] = [_p("Non-conformities", st["h2"])]
    ncs = report["nonconformities"]
    if not ncs:
        return [*out, _p("None.", st["body"])]
    rows = [("Grade", "Criterion", "Finding", "Required action", "Due", "Status")]
    for nc in ncs:
        due = nc["due_on"]
        if nc.get("original_due_on"):
            due = f"{due} (extended from {nc['original_due_on']})"
        rows.append(
            (nc["grade"], nc["criterion"], nc["finding"], nc["required_action"], due, nc["status"])
        )
    fractions = (0.08, 0.12, 0.28, 0.25, 0.12, 0.15)
    return [*out, _table(rows, [width * f for f in fractions], st)]


def render_audit_report(
    report: Mapping[str, Any], *, fonts: Fonts, registry_name: str, verify_url: str
) -> bytes:
    """The audit report's pages as PDF bytes (unsigned): the facts of the case, the decision's
    reasons, section and criterion scores with the auditor's findings, every non-conformity,
    and on every page the notice that this is not a certificate (:data:`NOTICE`) with the
    address where certificates are checked (*verify_url*).

    Raises:
        ReportDataError: a part of the report is missing.
    """
    check_report(report)
    st = _styles(fonts)
    buffer = io.BytesIO()
    title = f"Audit report: {report['organisation']['name']}"

    def on_page(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(fonts.regular, 7.5)
        canvas.setFillColor(INK)
        canvas.drawString(MARGIN, 10 * mm, f"{registry_name} · audit report, not a certificate")
        canvas.drawRightString(A4[0] - MARGIN, 10 * mm, f"page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
        bottomMargin=MARGIN, title=title, author=registry_name,
        subject="Audit report (not a certificate)", creator="certify", invariant=1,
    )  # fmt: skip
    story: list[Any] = [
        _p(title, st["title"]),
        _p(f"{NOTICE} Verify certificates at {verify_url}.", st["notice"]),
        *_facts(report, st),
        *_reasons(report, st),
        *_nonconformities(report, st),
        *_sections(report, st),
        Spacer(1, 8),
        _p(f"Generated {report['generated_at']} by {registry_name}.", st["small"]),
    ]
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
