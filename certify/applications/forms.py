"""Application forms. The self-assessment form is built from the pinned rubric."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from certify.accounts.forms import choices
from certify.core.agreement import Agreement
from certify.core.rubric.model import Criterion, Rubric, Section
from certify.forms import Form

IMPACT_GROUPS = [
    "Youth from slums or informal settlements",
    "Youth from rural areas",
    "People with disabilities",
    "Women facing barriers to work",
    "Ethnic or religious minorities",
    "Refugees or displaced people",
    "Long-term unemployed (12 months or more)",
    "Households below the national poverty line",
]


class ScopeForm(Form):
    services = TextAreaField(
        "Services in scope",
        validators=[InputRequired("Describe the services to be certified."), Length(max=4000)],
        description="For example: data entry, transcription, content moderation, call centre.",
    )
    headcount = IntegerField(
        "Total workforce (people)",
        validators=[
            InputRequired("Enter the total number of workers."),
            NumberRange(min=1, max=1_000_000, message="Enter a whole number from 1."),
        ],
    )
    impact_headcount = IntegerField(
        "Impact workers (people)",
        validators=[
            InputRequired("Enter the number of impact workers."),
            NumberRange(min=0, max=1_000_000, message="Enter a whole number from 0."),
        ],
        description="Workers who met the impact-worker definition when hired.",
    )
    impact_groups = SelectMultipleField(
        "Impact-worker groups you declare",
        choices=choices((g, g) for g in IMPACT_GROUPS),
        validators=[InputRequired("Choose at least one group.")],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )
    sites = SelectMultipleField(
        "Sites in scope",
        choices=[],
        validators=[InputRequired("Choose at least one site.")],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )
    contact_name = StringField(
        "Contact person", validators=[InputRequired("Name a contact person."), Length(max=200)]
    )
    contact_email = EmailField(
        "Contact e-mail",
        validators=[
            InputRequired("Enter the contact's e-mail."),
            Email("Enter a valid e-mail address."),
            Length(max=254),
        ],
    )
    contact_phone = StringField("Contact phone", validators=[Optional(), Length(max=50)])


class EvidenceForm(Form):
    file = FileField(
        "File",
        validators=[FileRequired("Choose a file to upload.")],
        description="PDF, PNG, JPEG, CSV, XLSX, DOCX or plain text.",
    )
    criterion = SelectField("Criterion", choices=[], validators=[Optional()])
    description = StringField("What this shows", validators=[Optional(), Length(max=500)])


class ReasonForm(Form):
    reason = TextAreaField(
        "Reason", validators=[InputRequired("Write the reason."), Length(max=4000)]
    )


class ConfirmForm(Form):
    """Only the CSRF token: for one-click actions."""


class SubmitForm(Form):
    """The applicant's submission: the attestation and the certification agreement, whose
    labels come from the settings (see ``submit_form``)."""

    attest = BooleanField(validators=[DataRequired("Confirm that the application is true.")])
    agree = BooleanField(validators=[DataRequired("Accept the certification agreement to submit.")])


def submit_form(agreement: Agreement) -> SubmitForm:
    form = SubmitForm()
    form.attest.label.text = agreement.attestation
    form.agree.label.text = (
        f"I accept the {agreement.title.lower()} (version {agreement.version}) "
        "on behalf of the organisation."
    )
    return form


class AssignForm(Form):
    auditor = SelectField("Auditor", choices=[], validators=[InputRequired("Choose an auditor.")])
    reviewer = SelectField(
        "Reviewer",
        choices=[],
        validators=[InputRequired("Choose a reviewer.")],
        description="Never the same person as the auditor.",
    )


class NewReviewerForm(Form):
    reviewer = SelectField(
        "Reviewer for the new decision",
        choices=[],
        validators=[InputRequired("Choose a reviewer.")],
        description="Never someone who audited, reviewed or decided this case, or decided "
        "or took part in an appeal on it.",
    )


class DeclarationForm(Form):
    has_conflict = RadioField(
        "Do you have a conflict of interest with this organisation?",
        choices=choices(
            [
                (
                    "no",
                    "No: I have not advised, worked for or had any interest in "
                    "this organisation in the last two years",
                ),
                ("yes", "Yes: I have a conflict of interest"),
            ]
        ),
        validators=[InputRequired("Choose yes or no.")],
    )
    statement = TextAreaField(
        "Details",
        validators=[Optional(), Length(max=4000)],
        description="Required if you have a conflict.",
    )


class RegisterEntryForm(Form):
    organisation = SelectField("Organisation on this registry", choices=[], validators=[Optional()])
    organisation_name = StringField(
        "Or its name",
        validators=[Optional(), Length(max=200)],
        description="For organisations not registered here.",
    )
    relationship = TextAreaField(
        "Relationship",
        validators=[InputRequired("Describe the relationship."), Length(max=2000)],
        description="For example: consultant on their hiring policy; employee; shareholder.",
    )
    started_on = DateField("From", validators=[Optional()])
    ended_on = DateField(
        "Until", validators=[Optional()], description="Leave empty if it continues."
    )


# -- the self-assessment, built from the rubric ---------------------------------------------------


def _field_prefix(c: Criterion) -> str:
    return "c_" + c.id.replace("-", "_")


def section_form_class(rubric: Rubric, section: Section) -> type[Form]:
    """A form class with the fields for every criterion of *section*."""
    attrs: dict[str, Any] = {}
    for c in section.criteria:
        p = _field_prefix(c)
        if c.kind == "gate":
            attrs[p + "_value"] = RadioField(
                c.title, choices=choices([("yes", "Yes"), ("no", "No")]), validators=[Optional()]
            )
        elif c.kind == "level":
            attrs[p + "_value"] = RadioField(
                c.title,
                choices=choices((str(i), f"{i}: {d}") for i, d in enumerate(c.levels)),
                validators=[Optional()],
            )
        else:
            attrs[p + "_value"] = StringField(
                f"{c.title} ({c.unit})" if c.unit else c.title,
                validators=[Optional(), Length(max=40)],
            )
            if len(c.bases) > 1:
                attrs[p + "_basis"] = RadioField(
                    "Basis",
                    choices=choices((b.id, b.title) for b in c.bases),
                    validators=[Optional()],
                )
        if c.na_allowed:
            attrs[p + "_na"] = BooleanField("Not applicable")
            attrs[p + "_justification"] = TextAreaField(
                "Why not applicable", validators=[Optional(), Length(max=2000)]
            )
        attrs[p + "_comment"] = TextAreaField(
            "Your comment", validators=[Optional(), Length(max=4000)]
        )
    return type(f"Section{section.id}Form", (Form,), attrs)


def fill_section_form(form: Form, section: Section, stored: dict[str, dict[str, Any]]) -> None:
    """Put stored answers into a fresh (GET) form."""
    for c in section.criteria:
        p = _field_prefix(c)
        answer = stored.get(c.id)
        if not answer:
            continue
        value = answer.get("value")
        if c.kind == "gate" and value is not None:
            form[p + "_value"].data = "yes" if value else "no"
        elif value is not None:
            form[p + "_value"].data = str(value)
        if p + "_basis" in form:
            form[p + "_basis"].data = answer.get("basis")
        if p + "_na" in form:
            form[p + "_na"].data = bool(answer.get("not_applicable"))
            form[p + "_justification"].data = answer.get("justification") or ""
        form[p + "_comment"].data = answer.get("comment") or ""


def typed_number(raw: str, unit: str | None) -> str:
    """A number as people type it: "65,5" is 65.5, and a percentage may carry its sign
    ("65%", "65 %"). Anything else is passed on unchanged, for the scoring's own message."""
    value = raw.strip().replace(",", ".")
    if unit == "percent" and value.endswith("%"):
        value = value[:-1].rstrip()
    return value


def section_answers(form: Form, section: Section) -> dict[str, dict[str, Any]]:
    """The answers typed into *form*: only criteria with a value or marked not applicable."""
    answers: dict[str, dict[str, Any]] = {}
    for c in section.criteria:
        p = _field_prefix(c)
        raw = form[p + "_value"].data
        na = bool(form[p + "_na"].data) if p + "_na" in form else False
        comment = (form[p + "_comment"].data or "").strip()
        entry: dict[str, Any] = {}
        if na:
            entry = {
                "not_applicable": True,
                "justification": (form[p + "_justification"].data or "").strip(),
            }
        elif raw not in (None, "", "None"):
            if c.kind == "gate":
                entry = {"value": raw == "yes"}
            elif c.kind == "level":
                entry = {"value": int(raw) if str(raw).isdigit() else raw}
            else:
                entry = {"value": typed_number(str(raw), c.unit)}
                if p + "_basis" in form and form[p + "_basis"].data:
                    entry["basis"] = form[p + "_basis"].data
        if entry:
            if comment:
                entry["comment"] = comment
            answers[c.id] = entry
    return answers


def criterion_field_names(c: Criterion) -> dict[str, str]:
    p = _field_prefix(c)
    return {
        "value": p + "_value",
        "basis": p + "_basis",
        "na": p + "_na",
        "justification": p + "_justification",
        "comment": p + "_comment",
    }


# -- the auditor's assessment, built from the rubric ----------------------------------------------


def assessment_form_class(
    rubric: Rubric, section: Section, evidence_choices: list[tuple[str, str]]
) -> type[Form]:
    """The self-assessment fields of *section* plus, per criterion, notes and evidence
    references, and the section version the form was loaded from."""
    base = section_form_class(rubric, section)
    attrs: dict[str, Any] = {
        "version": HiddenField(
            validators=[
                InputRequired(),
                Regexp(r"^[0-9]{1,9}$", message="Reload the page: the form's version is bad."),
            ]
        )
    }
    for c in section.criteria:
        p = _field_prefix(c)
        attrs[p + "_notes"] = TextAreaField(
            "Findings (the ISSP reads these in its audit report)",
            validators=[Optional(), Length(max=8000)],
        )
        attrs[p + "_private"] = TextAreaField(
            "Auditor-only notes (never shown to the ISSP)",
            validators=[Optional(), Length(max=8000)],
        )
        attrs[p + "_refs"] = SelectMultipleField(
            "Evidence seen",
            choices=choices(evidence_choices),
            validators=[Optional()],
            option_widget=widgets.CheckboxInput(),
            widget=widgets.ListWidget(prefix_label=False),
        )
    return type(f"Assessment{section.id}Form", (base,), attrs)


def fill_assessment_form(
    form: Form, section: Section, stored: dict[str, Any], version: int
) -> None:
    """Put the saved audit answers (criterion id → AuditAnswer) into a fresh form."""
    fill_section_form(form, section, {cid: a.data for cid, a in stored.items()})
    for c in section.criteria:
        p = _field_prefix(c)
        row = stored.get(c.id)
        if row is not None:
            form[p + "_notes"].data = row.notes or ""
            form[p + "_private"].data = row.private_notes or ""
            form[p + "_refs"].data = row.refs
    form["version"].data = str(version)


def assessment_inputs(form: Form, section: Section) -> dict[str, dict[str, Any]]:
    """criterion id → {"answer", "notes", "private_notes", "evidence_refs"} typed into
    *form*."""
    answers = section_answers(form, section)
    out = {}
    for c in section.criteria:
        p = _field_prefix(c)
        answer = dict(answers.get(c.id, {}))
        answer.pop("comment", None)
        out[c.id] = {
            "answer": answer,
            "notes": form[p + "_notes"].data or "",
            "private_notes": form[p + "_private"].data or "",
            "evidence_refs": list(form[p + "_refs"].data or []),
        }
    return out


class NonConformityForm(Form):
    grade = SelectField(
        "Grade",
        choices=choices(
            [
                ("", "Choose a grade"),
                ("critical", "Critical"),
                ("major", "Major"),
                ("minor", "Minor"),
            ]
        ),
        validators=[InputRequired("Choose a grade.")],
    )
    criterion = SelectField(
        "Criterion", choices=[], validators=[InputRequired("Choose the criterion.")]
    )
    description = TextAreaField(
        "What is wrong",
        validators=[InputRequired("Describe the non-conformity."), Length(max=4000)],
    )
    corrective_action = TextAreaField(
        "Corrective action required",
        validators=[InputRequired("Say what must be corrected."), Length(max=4000)],
    )
    due_on = DateField(
        "Due",
        validators=[Optional()],
        description="Leave empty to use the standard's deadline for the grade.",
    )


class CloseNonConformityForm(Form):
    note = TextAreaField(
        "How it was corrected",
        validators=[InputRequired("Say how it was corrected."), Length(max=4000)],
    )


class DecisionForm(Form):
    outcome = RadioField(
        "Decision",
        choices=choices(
            [
                ("certify", "Certify"),
                ("refuse", "Refuse certification"),
                ("return", "Return to the auditor"),
            ]
        ),
        validators=[InputRequired("Choose a decision.")],
    )
    reasons = TextAreaField(
        "Reasons",
        validators=[InputRequired("Write the reasons for your decision."), Length(max=8000)],
        description="Shown to the auditor when you return the case; kept with the decision.",
    )
