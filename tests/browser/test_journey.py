"""The whole certification journey in a browser, four people in four browser contexts.

``pytest -k journey`` selects it. An ISSP registers and applies with evidence; the admin
returns the application with a reason; the ISSP fixes it and resubmits; the admin accepts and
assigns; the auditor and the reviewer declare no conflict and then see the case; the auditor
fills in and submits the assessment; the reviewer certifies.
"""

from __future__ import annotations

import io
import re

from playwright.sync_api import Page, expect

from certify.standards.files import DEFAULT_RUBRICS_DIR, load_rubric
from tests.browser.accounts import ROLE_ACCOUNTS
from tests.browser.helpers import login

RUBRIC = load_rubric(DEFAULT_RUBRICS_DIR / "isrps" / "1.0.yaml")


def _pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 720, "Impact-worker policy")
    pdf.save()
    return buffer.getvalue()


def _fill_section(page: Page, section, level: str) -> None:
    for c in section.criteria:
        name = "c_" + c.id.replace("-", "_")
        if c.kind == "gate":
            page.check(f'input[name="{name}_value"][value="yes"]')
        elif c.kind == "level":
            page.check(f'input[name="{name}_value"][value="{level}"]')
        else:
            band = c.bases[0].bands[-1]
            page.fill(
                f'input[name="{name}_value"]', str(band.lower + (0 if band.lower_inclusive else 1))
            )
            if len(c.bases) > 1:
                page.check(f'input[name="{name}_basis"][value="{c.bases[0].id}"]')


def _as(new_page, role: str) -> Page:
    page = new_page()
    login(page, *ROLE_ACCOUNTS[role])
    return page


def test_four_role_certification_journey(new_page) -> None:
    issp = new_page()
    # -- the ISSP registers and applies
    issp.goto("/register")
    issp.get_by_label("Organisation legal name").fill("Kathmandu Keystrokes Pvt Ltd")
    issp.get_by_label("Country", exact=True).select_option("NP")
    issp.get_by_label("Registration number").fill("NP-CRO-99881")
    issp.get_by_label("Site name").first.fill("Lalitpur centre")
    issp.get_by_label("Site address").first.fill("Jawalakhel 5, Lalitpur")
    issp.get_by_label("Your full name").fill("Pema Sherpa")
    issp.get_by_label("Email").fill("pema@keystrokes.example")
    issp.get_by_label("Password", exact=True).fill("pema's long password")
    issp.get_by_label("Repeat password").fill("pema's long password")
    issp.get_by_role("button", name="Register").click()
    expect(issp.get_by_role("heading", level=1)).to_have_text("Kathmandu Keystrokes Pvt Ltd")
    issp.get_by_role("link", name="Applications").first.click()
    issp.get_by_role("button", name="Start a new application").click()
    expect(issp.get_by_role("heading", level=1)).to_have_text("Scope of the certification")
    issp.get_by_label("Services in scope").fill("Transcription and data entry")
    issp.get_by_label("Total workforce (people)").fill("60")
    issp.get_by_label("Impact workers (people)").fill("45")
    issp.get_by_label("Youth from rural areas").check()
    issp.get_by_role("button", name="Save and continue").click()
    for section in RUBRIC.sections:
        expect(issp.get_by_role("heading", level=1)).to_contain_text(section.title)
        _fill_section(issp, section, "3")
        issp.get_by_role("button", name="Save and continue").click()
    application_url = issp.url
    public_id = re.search(r"/applications/([^/?#]+)", application_url).group(1)
    issp.goto(f"/applications/{public_id}/evidence")
    issp.set_input_files(
        'input[type="file"]',
        files=[{"name": "policy.pdf", "mimeType": "application/pdf", "buffer": _pdf()}],
    )
    issp.get_by_label("Criterion").select_option("IH-1")
    issp.get_by_role("button", name="Upload").click()
    expect(issp.get_by_text("File uploaded.")).to_be_visible()
    issp.goto(f"/applications/{public_id}")
    issp.get_by_label("I confirm that the information").check()
    issp.get_by_label("I accept the certification agreement").check()
    issp.get_by_role("button", name="Submit the application").click()
    expect(issp.get_by_text("Application submitted.")).to_be_visible()

    # -- the admin returns it with a reason
    admin = _as(new_page, "admin")
    admin.goto(f"/applications/{public_id}")
    admin.get_by_label("What must the applicant change?").fill("Name your second site too.")
    admin.get_by_role("button", name="Return to the applicant").click()
    expect(admin.get_by_text("Returned to the applicant with your reason.")).to_be_visible()

    # -- the ISSP sees the reason, fixes and resubmits
    issp.goto("/dashboard")
    expect(issp.get_by_text("Name your second site too.")).to_be_visible()
    issp.goto(f"/applications/{public_id}/scope")
    issp.get_by_label("Contact phone").fill("+977 1 5550000")
    issp.get_by_role("button", name="Save and continue").click()
    issp.goto(f"/applications/{public_id}")
    issp.get_by_label("I confirm that the information").check()
    issp.get_by_label("I accept the certification agreement").check()
    issp.get_by_role("button", name="Submit the application").click()
    expect(issp.get_by_text("Application submitted.")).to_be_visible()

    # -- the admin accepts and assigns
    admin.goto(f"/applications/{public_id}")
    admin.get_by_role("button", name="Accept the application").click()
    admin.get_by_label("Auditor").select_option(label="Wanjiru Auditor")
    admin.get_by_label("Reviewer").select_option(label="Sofia Reviewer")
    admin.get_by_role("button", name="Assign").click()
    expect(admin.get_by_text("Each must now declare")).to_be_visible()

    # -- auditor and reviewer declare no conflict, and only then see the case
    auditor, reviewer = _as(new_page, "auditor"), _as(new_page, "reviewer")
    for person in (auditor, reviewer):
        person.goto(f"/applications/{public_id}")
        expect(person.get_by_role("heading", level=1)).to_contain_text("Conflict of interest")
        person.get_by_label(re.compile("^No: I have not advised")).check()
        person.get_by_role("button", name="Declare").click()
    expect(reviewer.get_by_role("heading", level=1)).to_contain_text("Kathmandu Keystrokes")

    # -- the auditor fills and submits the assessment
    auditor.goto(f"/applications/{public_id}")
    auditor.get_by_role("link", name="Open the assessment").click()
    for section in RUBRIC.sections:
        auditor.get_by_role("link", name=re.compile(f"^{section.id} {section.title}")).click()
        _fill_section(auditor, section, "4")
        auditor.get_by_role("button", name="Save section").click()
        expect(auditor.get_by_text(f"Section {section.id} saved")).to_be_visible()
        auditor.goto(f"/applications/{public_id}/assessment")
    expect(auditor.get_by_text("31 of 31 criteria answered")).to_be_visible()
    auditor.get_by_role("button", name="Submit the audit").click()
    expect(auditor.get_by_text("Audit submitted.")).to_be_visible()

    # -- the reviewer certifies
    reviewer.goto(f"/applications/{public_id}/review")
    expect(reviewer.get_by_text("Certified with distinction").first).to_be_visible()
    reviewer.get_by_label("Certify", exact=True).check()
    reviewer.get_by_label("Reasons").fill("Every requirement is met; evidence checked.")
    reviewer.get_by_role("button", name="Record the decision").click()
    expect(reviewer.get_by_text("Decision recorded: certified.")).to_be_visible()
    issp.goto(f"/applications/{public_id}")
    expect(issp.get_by_text("Decided").first).to_be_visible()
