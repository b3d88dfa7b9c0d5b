"""The base of every form: Flask-WTF's CSRF protection plus certify's rules for text.

Every form in certify subclasses :class:`Form`. On top of each field's own validators, every
text field refuses control characters and invisible format characters, and single-line fields
(``StringField``, not ``TextAreaField``) refuse tabs and line breaks too, with a message on the
field (:mod:`certify.core.text`). The request-wide check in :mod:`certify.security` already
answers 400 for the worst of these; this one tells the person which field to fix.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, FieldList, FormField, StringField, TextAreaField

from certify.core.text import text_problem


def _text_fields(fields: Any) -> list[Field]:
    found: list[Field] = []
    for field in fields:
        if isinstance(field, FieldList):
            found.extend(_text_fields(field.entries))
        elif isinstance(field, FormField):
            found.extend(_text_fields(field.form))
        elif isinstance(field, StringField):
            found.append(field)
    return found


class Form(FlaskForm):
    """A CSRF-protected form whose text fields accept only characters certify can show safely."""

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for field in _text_fields(self):
            if not isinstance(field.data, str):
                continue
            problem = text_problem(field.data, multiline=isinstance(field, TextAreaField))
            if problem is not None:
                field.errors = [*list(field.errors), problem]
                valid = False
        return valid
