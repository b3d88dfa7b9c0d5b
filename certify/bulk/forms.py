"""The bulk verification form: validates input only."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import RadioField, TextAreaField
from wtforms.validators import Length, Optional

from certify.accounts.forms import choices
from certify.forms import Form


class BulkForm(Form):
    file = FileField(
        "A CSV or text file: one serial or organisation name per line",
        description="UTF-8, at most 5,000 lines and 1 MB. A first line “serial” is skipped.",
    )
    text = TextAreaField(
        "Or paste the serials, one per line",
        validators=[Optional(), Length(max=200_000)],
    )
    output = RadioField(
        "Answer as",
        choices=choices([("table", "a table on this page"), ("csv", "a CSV file to download")]),
        default="table",
    )
