"""The cycle's forms: they validate input only; the rules are in the operations."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from certify.accounts.forms import choices
from certify.core.countries import country_choices
from certify.core.cycle import CYCLE_TYPES, Mode
from certify.cycle.interviews import INTERPRETERS, PLACES, SETTINGS
from certify.forms import Form

MODE_LABELS = {Mode.ON_SITE: "On site", Mode.REMOTE: "Remote", Mode.HYBRID: "Hybrid"}


class OpenCaseForm(Form):
    serial = StringField("Certificate", validators=[InputRequired(), Length(max=40)])
    audit_type = SelectField(
        "Kind of audit",
        choices=choices([(t.value, t.value.replace("_", " ").capitalize()) for t in CYCLE_TYPES]),
        validators=[InputRequired("Choose the kind of audit.")],
    )
    reason = StringField("Why now", validators=[Optional(), Length(max=1000)])


class PlanForm(Form):
    starts_on = DateField("First audit day", validators=[InputRequired("Give the first day.")])
    ends_on = DateField("Last audit day", validators=[InputRequired("Give the last day.")])
    auditor_days = IntegerField(
        "Auditor-days",
        validators=[InputRequired("Give the auditor-days."), NumberRange(1, 200)],
    )
    mode = RadioField(
        "How",
        choices=choices([(m.value, label) for m, label in MODE_LABELS.items()]),
        validators=[InputRequired("Choose on site, remote or hybrid.")],
    )
    announced = BooleanField("Announced to the organisation in advance", default=True)
    team = TextAreaField(
        "Audit team",
        validators=[InputRequired("Name the audit team."), Length(max=4000)],
        description=(
            "One person a line, 'role: name'. Roles: lead, auditor, interpreter, "
            "sign_interpreter, observer."
        ),
    )
    sites = SelectMultipleField(
        "Sites to visit",
        choices=[],
        validators=[InputRequired("Choose at least one site.")],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    sample_reason = TextAreaField(
        "Why the sites differ from the proposed sample",
        validators=[Optional(), Length(max=4000)],
    )
    added_criteria = StringField(
        "Criteria added to this visit",
        validators=[Optional(), Length(max=1000)],
        description="Criterion ids separated by commas or spaces, e.g. 'IH-4, TC-2'.",
    )


class ObjectionForm(Form):
    objection = TextAreaField(
        "Your objection",
        validators=[InputRequired("Say whom you object to and why."), Length(max=4000)],
        description="Name the team member and the reason (a conflict of interest, for example).",
    )


class ObjectionAnswerForm(Form):
    outcome = RadioField(
        "Decision",
        choices=choices([("upheld", "Uphold (then change the team)"), ("rejected", "Reject")]),
        validators=[InputRequired("Uphold or reject the objection.")],
    )
    answer = TextAreaField(
        "Answer to the organisation",
        validators=[InputRequired("Write your answer."), Length(max=4000)],
    )


def _count(label: str) -> IntegerField:
    return IntegerField(
        label, default=0, validators=[InputRequired("Give a number."), NumberRange(0, 10_000)]
    )


class InterviewForm(Form):
    site = SelectField("Site", choices=[], validators=[InputRequired("Choose the site.")])
    held_on = DateField("Date", validators=[InputRequired("Give the date.")])
    impact = _count("Impact workers interviewed")
    other = _count("Other workers interviewed")
    women = _count("Of whom women")
    men = _count("Of whom men")
    other_gender = _count("Of whom another gender or not stated")
    target_groups = TextAreaField(
        "By target group",
        validators=[Optional(), Length(max=2000)],
        description="One group a line, 'group: number', e.g. 'People with disabilities: 2'.",
    )
    setting = RadioField(
        "Individual or group",
        choices=choices(SETTINGS.items()),
        validators=[InputRequired("Choose individual or group.")],
    )
    place = RadioField(
        "Where",
        choices=choices(PLACES.items()),
        validators=[InputRequired("Choose on or off site.")],
    )
    language = StringField(
        "Language", validators=[InputRequired("Give the language."), Length(max=100)]
    )
    interpreter = SelectField("Interpreting", choices=choices(INTERPRETERS.items()))
    findings = TextAreaField(
        "Findings",
        validators=[InputRequired("Write what the interviews found."), Length(max=4000)],
        description=(
            "Never write a worker's name, contact or any detail that identifies them: "
            "these records describe groups, not people."
        ),
    )
    criteria = StringField(
        "Criteria concerned",
        validators=[Optional(), Length(max=1000)],
        description="Criterion ids separated by commas or spaces, e.g. 'IH-6, FW-4'.",
    )


class SiteForm(Form):
    name = StringField("Site name", validators=[InputRequired("Name the site."), Length(max=200)])
    address = TextAreaField(
        "Address", validators=[InputRequired("Give the address."), Length(max=1000)]
    )
    country = SelectField(
        "Country",
        choices=choices([("", "Choose a country"), *country_choices()]),
        validators=[InputRequired("Choose the country.")],
    )


class CloseSiteForm(Form):
    reason = TextAreaField(
        "Why the site closes", validators=[InputRequired("Say why."), Length(max=4000)]
    )
