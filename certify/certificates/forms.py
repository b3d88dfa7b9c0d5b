"""The admin's forms for status changes: they validate input only; the rules are in
:mod:`certify.certificates.operations`."""

from __future__ import annotations

from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from certify.accounts.forms import choices
from certify.certificates.models import REASON_CATEGORIES
from certify.forms import Form

CATEGORY_CHOICES = choices((c, c.replace("_", " ").capitalize()) for c in REASON_CATEGORIES)


class SuspendForm(Form):
    category = SelectField("Reason category", choices=CATEGORY_CHOICES)
    reason = TextAreaField(
        "Reason", validators=[InputRequired("Write the reason."), Length(max=4000)]
    )
    until = DateField(
        "Suspended until (UTC)",
        validators=[Optional()],
        description="Leave empty for the longest suspension the standard allows.",
    )


class ReinstateForm(Form):
    reason = TextAreaField(
        "Reason", validators=[InputRequired("Write the reason."), Length(max=4000)]
    )


class WithdrawForm(Form):
    category = SelectField("Reason category", choices=CATEGORY_CHOICES)
    reason = TextAreaField(
        "Reason", validators=[InputRequired("Write the reason."), Length(max=4000)]
    )
