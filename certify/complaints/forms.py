"""The complaint and appeal forms: they validate input only; the rules are in the operations."""

from __future__ import annotations

from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from certify.accounts.forms import choices
from certify.core import labels
from certify.core.complaints import CATEGORIES, COMPLAINT_OUTCOMES
from certify.forms import Form

FILES_HINT = "Optional. PDF, PNG, JPEG, CSV, XLSX, DOCX or plain text; at most 5 files."


class ConcernForm(Form):
    organisation = SelectField(
        "Which organisation is the concern about?",
        choices=[],
        validators=[InputRequired("Choose the organisation the concern is about.")],
    )
    category = RadioField(
        "What is it about?",
        choices=choices([(c, labels.COMPLAINT_CATEGORIES[c]) for c in CATEGORIES]),
        validators=[InputRequired("Choose what the concern is about.")],
    )
    description = TextAreaField(
        "What happened?",
        validators=[
            InputRequired("Write what happened."),
            Length(max=8000, message="Keep it under 8,000 characters."),
        ],
        description="When and where it happened, and who was affected. Do not name workers "
        "who have not agreed to it.",
    )
    files = MultipleFileField("Files that show what happened", description=FILES_HINT)
    name = StringField(
        "Your name",
        validators=[Optional(), Length(max=200, message="Keep the name under 200 characters.")],
        description="Optional: you may stay anonymous.",
    )
    contact = StringField(
        "Your e-mail address",
        validators=[Optional(), Length(max=254, message="That e-mail address is too long.")],
        description="Optional: only the person handling your concern sees it. We write to it "
        "when your concern moves on.",
    )
    consent_to_share = BooleanField(
        "I agree that the organisation may be told who I am",
        description="Leave this unticked and the organisation, its auditor and the public never "
        "learn who you are.",
    )
    #: the honeypot: hidden from people by CSS and labelled so for screen readers; a bot that
    #: fills every field fills it (no third-party service needed)
    website = StringField("Leave this field empty", validators=[Optional()])


class TrackForm(Form):
    code = StringField(
        "Tracking code",
        validators=[InputRequired("Enter your tracking code."), Length(max=40)],
        description="The 16 letters and digits you were shown, e.g. ABCD-EFGH-JKMN-PQRS.",
    )


class InformationForm(Form):
    code = StringField("Tracking code", validators=[InputRequired(), Length(max=40)])
    text = TextAreaField(
        "What would you like to add?",
        validators=[InputRequired("Write the information you want to add."), Length(max=8000)],
    )
    files = MultipleFileField("Files", description=FILES_HINT)


class HandlerForm(Form):
    handler = SelectField(
        "Handler",
        choices=[],
        validators=[InputRequired("Choose who handles it.")],
        description="Never the organisation's auditor or reviewer, nobody with a conflict on "
        "record: those are refused.",
    )


class AcknowledgeForm(Form):
    message = TextAreaField(
        "Message to the complainant",
        validators=[Optional(), Length(max=8000)],
        description="Optional: shown on their tracking page (and mailed if they left an address).",
    )


class NoteForm(Form):
    text = TextAreaField("Note", validators=[InputRequired("Write the note."), Length(max=8000)])
    to_complainant = BooleanField(
        "Send this to the complainant",
        description="Unticked, it is an investigation note the complainant never sees.",
    )


class OutcomeForm(Form):
    outcome = RadioField(
        "Outcome",
        choices=choices([(o, labels.COMPLAINT_OUTCOMES[o]) for o in COMPLAINT_OUTCOMES]),
        validators=[InputRequired("Choose the outcome.")],
    )
    reasons = TextAreaField(
        "Reasons",
        validators=[InputRequired("Write the reasons for the outcome."), Length(max=8000)],
    )
    # "Founded: corrective action" opens a non-conformity on the organisation's certified
    # case: these say which. The operation checks them (the choices come from the case's
    # rubric), and only for that outcome.
    criterion = SelectField(
        "Non-conformity: the criterion it concerns",
        choices=[],
        validate_choice=False,
        validators=[Optional()],
        description="Only for 'founded: corrective action'.",
    )
    grade = SelectField(
        "Non-conformity: grade",
        choices=choices([("", "Choose a grade"), ("critical", "Critical (suspends at once)"),
                         ("major", "Major"), ("minor", "Minor")]),
        validators=[Optional()],
    )  # fmt: skip
    description = TextAreaField(
        "Non-conformity: what was found",
        validators=[Optional(), Length(max=8000)],
        description=(
            "The organisation reads this: never name the complainant or say how to reach them."
        ),
    )
    corrective_action = TextAreaField(
        "Non-conformity: the corrective action required",
        validators=[Optional(), Length(max=8000)],
    )


class AppealForm(Form):
    decision = RadioField(
        "Which decision do you appeal?",
        choices=[],
        validators=[InputRequired("Choose the decision you appeal.")],
        # the operation says why a decision cannot be appealed (the window ended, already
        # appealed), which "Not a valid choice" would not
        validate_choice=False,
    )
    grounds = TextAreaField(
        "Grounds of your appeal",
        validators=[InputRequired("Write the grounds of your appeal."), Length(max=8000)],
        description="Why the decision should change, with the facts it overlooked.",
    )
    files = MultipleFileField("Evidence", description=FILES_HINT)


class DeciderForm(Form):
    decider = SelectField(
        "Who decides the appeal",
        choices=[],
        validators=[InputRequired("Choose who decides it.")],
        description="Never someone who took part in the decision appealed: they are refused.",
    )


class AppealDecisionForm(Form):
    outcome = RadioField(
        "Your decision",
        choices=choices(
            [("upheld", "Uphold: change the decision"), ("dismissed", "Dismiss: it stands")]
        ),
        validators=[InputRequired("Choose uphold or dismiss.")],
    )
    new_grade = SelectField(
        "What the non-conformity becomes (an appeal against its grade)",
        choices=choices([("", "Choose"), ("major", "Major"), ("minor", "Minor"),
                         ("annulled", "Annulled: it should not have been raised")]),
        validators=[Optional()],
        description="A less severe grade gets that grade's deadline, counted from the day it "
        "was raised (never sooner than a short minimal period from today).",
    )  # fmt: skip
    reasons = TextAreaField(
        "Reasons", validators=[InputRequired("Write your reasons."), Length(max=8000)]
    )
