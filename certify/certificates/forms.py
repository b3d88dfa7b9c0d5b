"""The admin's forms for status changes: they validate input only; the rules are in
:mod:`certify.certificates.operations`."""

from __future__ import annotations

from wtforms import BooleanField, DateField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from certify.accounts.forms import choices
from certify.certificates.models import REASON_CATEGORIES
from certify.core import labels
from certify.forms import Form

#: Starts empty: the category is shown to the public, so it is always chosen, never defaulted.
CATEGORY_CHOICES = choices(
    [("", "Choose a category"), *((c, labels.reason_category(c)) for c in REASON_CATEGORIES)]
)
CATEGORY_HELP = "Shown to the public in the registry, the status list and the log."
REASON_HELP = "Kept in the registry's records and shown to the holder; never published."


def _category() -> SelectField:
    return SelectField(
        "Reason category (public)",
        choices=CATEGORY_CHOICES,
        validators=[InputRequired("Choose a reason category.")],
        description=CATEGORY_HELP,
    )


def _reason() -> TextAreaField:
    return TextAreaField(
        "Reason",
        validators=[InputRequired("Write the reason."), Length(max=4000)],
        description=REASON_HELP,
    )


class SuspendForm(Form):
    category = _category()
    reason = _reason()
    until = DateField(
        "Suspended until (UTC)",
        validators=[Optional()],
        description="Leave empty for the longest suspension the standard allows.",
    )
    confirm = BooleanField(
        "I understand that everyone checking this certificate will see it as suspended at once.",
        validators=[DataRequired("Tick the box to confirm the suspension.")],
    )


class ReinstateForm(Form):
    reason = _reason()


class WithdrawForm(Form):
    category = _category()
    reason = _reason()
    confirm = BooleanField(
        "I understand that withdrawal is final: the certificate can never be valid again.",
        validators=[DataRequired("Tick the box to confirm the withdrawal.")],
    )
