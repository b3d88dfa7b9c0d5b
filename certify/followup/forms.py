"""The follow-up's forms: they validate input only; the rules are in ``loop`` and
``deadlines``."""

from __future__ import annotations

from flask_wtf.file import MultipleFileField
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from certify.accounts.forms import choices
from certify.forms import Form


class PlanForm(Form):
    root_cause = TextAreaField(
        "Root cause",
        validators=[InputRequired("Write the root cause."), Length(max=4000)],
        description="Why it happened, not only what happened.",
    )
    correction = TextAreaField(
        "Correction",
        validators=[InputRequired("Write the correction."), Length(max=4000)],
        description="What you fixed or will fix now.",
    )
    corrective_action = TextAreaField(
        "Corrective action",
        validators=[InputRequired("Write the corrective action."), Length(max=4000)],
        description="What stops it from happening again.",
    )
    owner = StringField(
        "Owner", validators=[InputRequired("Name who owns the plan."), Length(max=200)]
    )
    target_date = DateField("Target date", validators=[InputRequired("Give the target date.")])


class PlanReviewForm(Form):
    decision = RadioField(
        "Your decision on the plan",
        choices=choices([("accept", "Accept the plan"), ("return", "Return it for changes")]),
        validators=[InputRequired("Choose accept or return.")],
    )
    note = TextAreaField(
        "Reasons",
        validators=[Optional(), Length(max=4000)],
        description="Required when you return the plan: say what must change.",
    )


class EvidenceForm(Form):
    files = MultipleFileField(
        "Evidence files",
        description="PDF, PNG, JPEG, CSV, XLSX, DOCX or plain text; several at once if needed.",
    )
    note = TextAreaField(
        "What the evidence shows",
        validators=[InputRequired("Say what the evidence shows."), Length(max=4000)],
    )


class VerificationForm(Form):
    decision = RadioField(
        "Your decision on the evidence",
        choices=choices(
            [("verify", "Verified: close the non-conformity"), ("return", "Not enough: return")]
        ),
        validators=[InputRequired("Choose verified or return.")],
    )
    note = TextAreaField(
        "How you verified it, or what is missing",
        validators=[InputRequired("Write your note."), Length(max=4000)],
    )


class ExtendForm(Form):
    due_on = DateField("New due date", validators=[InputRequired("Give the new due date.")])
    reason = TextAreaField(
        "Why the deadline moves",
        validators=[InputRequired("Write the reason."), Length(max=4000)],
        description="A deadline can be extended once.",
    )


class FollowupAuditorForm(Form):
    auditor = SelectField(
        "Auditor who follows the non-conformities up",
        choices=[],
        validators=[InputRequired("Choose an auditor.")],
    )
