"""Helpers for the complaint and appeal tests: raising a concern through the public form,
reading rows back, and the people around a certified case."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from certify.complaints.models import Appeal, Complaint
from tests.web import followup_fixtures

#: The complainant's private details: tests search every other page and export for them.
CONTACT = "whistle.blower.7731@example.org"
NAME = "Grace Wambui Confidential"

CODE_RE = re.compile(r"<code>([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})</code>")


def concern(organisation_id: str, **extra: Any) -> dict[str, Any]:
    data = {
        "organisation": organisation_id,
        "category": "recruitment_fees",
        "description": "Trainees were charged 5,000 KES to be placed in the Kibera centre.",
        "name": "",
        "contact": "",
    }
    data.update(extra)
    return data


def raise_concern(client: FlaskClient, organisation_id: str, **extra: Any) -> tuple[Any, str]:
    """POST the public form; returns the response and the tracking code it showed ("" if
    none)."""
    response = client.post(
        "/concerns/new", data=concern(organisation_id, **extra), content_type="multipart/form-data"
    )
    match = CODE_RE.search(response.get_data(as_text=True))
    return response, match.group(1) if match else ""


def only_complaint(session) -> Complaint:
    session.expire_all()
    rows = session.scalars(select(Complaint)).all()
    assert len(rows) == 1, rows
    return rows[0]


def only_appeal(session) -> Appeal:
    session.expire_all()
    rows = session.scalars(select(Appeal)).all()
    assert len(rows) == 1, rows
    return rows[0]


client_for = followup_fixtures.client_for
another = followup_fixtures.another


def acknowledged(app, client, session, case: dict[str, Any], **extra: Any) -> tuple[Any, Any]:
    """A concern about *case*'s organisation, raised through the public form, assigned by its
    admin to an uninvolved handler who acknowledged it: (the complaint, the handler's client)."""
    organisation = case["certificate"].organisation.public_id
    raise_concern(client, organisation, **extra)
    handler = another(app, session, "reviewer")
    complaint = only_complaint(session)
    admin = client_for(app, case["admin"])
    url = f"/complaints/{complaint.public_id}"
    assert (
        admin.post(f"{url}/handler", data={"assign-handler": handler.public_id}).status_code == 302
    )
    own = client_for(app, handler)
    assert own.post(f"{url}/acknowledge", data={}).status_code == 302
    return only_complaint(session), own


def corrective_action(**extra: str) -> dict[str, str]:
    """The outcome form's data for "founded: corrective action" opening a major NC."""
    data = {
        "outcome-outcome": "founded_corrective_action",
        "outcome-reasons": "Three trainees confirmed the fee.",
        "outcome-criterion": "FW-7",
        "outcome-grade": "major",
        "outcome-description": "Trainees were charged a placement fee.",
        "outcome-corrective_action": "Refund the fees and stop charging them.",
    }
    data.update(extra)
    return data
