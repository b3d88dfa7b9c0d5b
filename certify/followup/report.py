"""The audit report of a decided case: one dict for the page and the PDF, and the signed PDF.

What the report holds is read here, field by field, from what the case stores: the decision
(with the score it was made on), the auditor's answers and *findings* (``AuditAnswer.notes``),
every non-conformity as it stands now, the certificate. Auditor-only notes
(``AuditAnswer.private_notes``) are never read into it, so neither the page nor the PDF can
show them.

The PDF is signed by the same pipeline as certificates (the current document-signing
certificate, PAdES, checked as a verifier would before it is released) and carries the
report's canonical JSON as ``audit-report.json``. It is made on request, so it shows the
non-conformities as they stand when it is downloaded; it says when.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from certify import clock
from certify.applications.assessment import all_nonconformities, audit_answers
from certify.applications.models import Application, Decision
from certify.certificates.fonts import find_fonts
from certify.certificates.keys import get_keystore
from certify.certificates.pdf import call_outside_event_loop, get_pdf_signer, verify_url
from certify.core.auditreport.drawing import render_audit_report
from certify.core.auditreport.model import NOTICE, OUTCOME_TITLES, REPORT_TYPE, answer_text
from certify.core.canonical import canonical_json
from certify.core.nonconformity import NcState
from certify.core.pdf.validation import validate_pdf
from certify.core.rubric.model import Rubric
from certify.followup.records import certificate_for

REPORT_ATTACHMENT = "audit-report.json"


class ReportUnavailable(Exception):
    """The case has no decision on a submitted audit, so there is no report."""


def _when(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if value else None


def final_decision(session: Session, application: Application) -> Decision | None:
    """The decision that closed the case (certified or refused), if any."""
    return session.scalar(
        select(Decision)
        .where(
            Decision.application_id == application.id,
            Decision.outcome.in_(("certified", "refused")),
        )
        .order_by(Decision.id.desc())
        .limit(1)
    )


def _sections(
    session: Session, application: Application, rubric: Rubric, score: dict[str, Any]
) -> list[dict[str, Any]]:
    answers = audit_answers(session, application)
    points = {c["criterion"]: c for c in score["criteria"]}
    totals = {s["section"]: s for s in score["sections"]}
    sections = []
    for section in rubric.sections:
        criteria = []
        for c in section.criteria:
            row, scored = answers.get(c.id), points.get(c.id, {})
            criteria.append(
                {
                    "id": c.id,
                    "title": c.title,
                    "result": answer_text(c.kind, row.data if row else None, c.unit),
                    "points": scored.get("points", "0.00"),
                    "weight": scored.get("effective_weight", str(c.weight)),
                    # the findings only: auditor-only notes are never read here
                    "findings": (row.notes or "") if row else "",
                }
            )
        total = totals.get(section.id, {})
        sections.append(
            {
                "id": section.id,
                "title": section.title,
                "weight": total.get("weight", str(section.weight)),
                "score": total.get("score", "0.00"),
                "percent": total.get("percent", "0.00"),
                "criteria": criteria,
            }
        )
    return sections


def _nonconformities(session: Session, application: Application) -> list[dict[str, Any]]:
    return [
        {
            "id": nc.public_id,
            "grade": nc.grade,
            "criterion": nc.criterion_id,
            "finding": nc.description,
            "required_action": nc.corrective_action,
            "due_on": nc.due_on.isoformat(),
            "original_due_on": nc.original_due_on.isoformat() if nc.original_due_on else None,
            "status": NcState(nc.status).label,
            "raised_on": nc.created_at.date().isoformat(),
            "closed_on": nc.closed_at.date().isoformat() if nc.closed_at else None,
        }
        for nc in all_nonconformities(session, application)
    ]


def build_report(session: Session, application: Application, rubric: Rubric) -> dict[str, Any]:
    """The audit report of *application* as plain JSON-able data.

    Raises:
        ReportUnavailable: the case has no final decision.
    """
    decision = final_decision(session, application)
    if decision is None:
        raise ReportUnavailable(application.public_id)
    score = json.loads(decision.score)
    certificate = certificate_for(session, application)
    config = current_app.config
    return {
        "type": REPORT_TYPE,
        "notice": NOTICE,
        "registry": {"name": config["REGISTRY_NAME"], "url": config["PUBLIC_URL"]},
        "organisation": {
            "name": application.organisation.legal_name,
            "country": application.organisation.country,
        },
        "case": application.public_id,
        "standard": {
            "id": rubric.id,
            "version": rubric.version,
            "title": rubric.title,
            "sha256": rubric.sha256,
        },
        "auditor": application.auditor.full_name if application.auditor else None,
        "reviewer": decision.reviewer.full_name,
        "audit_submitted_at": _when(application.audit_submitted_at),
        "decision": {
            "outcome": decision.outcome,
            "decided_at": _when(decision.decided_at),
            "reasons": decision.reasons,
        },
        "score": {
            "overall": score["overall"],
            "outcome": score["outcome"],
            "outcome_title": OUTCOME_TITLES.get(score["outcome"], str(score["outcome"])),
            "reasons": [r["message"] for r in score["reasons"]],
        },
        "sections": _sections(session, application, rubric, score),
        "nonconformities": _nonconformities(session, application),
        "certificate": (
            {"serial": certificate.serial, "status": certificate.current_status.value}
            if certificate
            else None
        ),
        "generated_at": _when(clock.now()),
    }


class ReportRefused(RuntimeError):
    """The signed report failed the issuer's own check and is not released."""


def signed_report_pdf(report: dict[str, Any]) -> bytes:
    """The report as a PDF signed like a certificate (PAdES, the current document-signing
    certificate, ``audit-report.json`` embedded and covered), checked before release.

    Raises:
        ReportRefused: the signed file does not validate as a verifier would check it.
        KeyStoreError, IssuanceError: the signing keys are not available.
    """
    config = current_app.config
    keys = get_keystore()
    public_url, name = str(config["PUBLIC_URL"]), str(config["REGISTRY_NAME"])
    unsigned = render_audit_report(
        report,
        fonts=find_fonts(config.get("PDF_FONT_DIR")),
        registry_name=name,
        verify_url=verify_url(public_url, "").rstrip("/"),
    )
    signer = get_pdf_signer(keys)
    files = {REPORT_ATTACHMENT: canonical_json(report)}
    now = clock.now()

    def sign_and_check() -> bytes:
        signed = signer.sign(
            unsigned,
            attachments=files,
            reason=f"Audit report of {report['organisation']['name']}: not a certificate",
            location=public_url,
            name=name,
            signing_time=now,
        )
        result = validate_pdf(
            signed,
            [keys.root_cert],
            signing_certificates=[s.certificate for s in keys.signing_certs],
            now=now,
        )
        if not result.ok or dict(result.embedded_files) != files:
            raise ReportRefused("; ".join(result.errors) or "the embedded report differs")
        return signed

    return call_outside_event_loop(sign_and_check)
