"""The verification form: a serial, or a file (the views decide what the file is)."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import StringField
from wtforms.validators import Length, Optional

from certify.forms import Form


class VerifyForm(Form):
    serial = StringField(
        "Certificate serial number",
        validators=[Optional(), Length(max=60)],
        description="As printed on the certificate, e.g. ISR-7K2M-…; capitals, "
        "spaces and hyphens do not matter.",
    )
    file = FileField("Or upload the certificate (PDF) or its credential (JSON)")
