"""Account forms: they validate input only; rules live in the operations."""

from __future__ import annotations

from typing import Any

from wtforms import (
    EmailField,
    FieldList,
    FormField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
    widgets,
)
from wtforms import Form as SubForm
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, Email, EqualTo, InputRequired, Length, Optional, ValidationError

from certify.accounts.passwords import MIN_PASSWORD_LENGTH
from certify.core.countries import country_choices, is_country
from certify.forms import Form

PASSWORD_HINT = f"At least {MIN_PASSWORD_LENGTH} characters. A few unrelated words make a good one."


def choices(pairs: Any) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def _country_field(label: str = "Country", **kwargs: Any) -> SelectField:
    return SelectField(
        label,
        choices=choices([("", "Choose a country"), *country_choices()]),
        validators=[InputRequired("Choose a country.")],
        **kwargs,
    )


def _check_country(_form: Any, field: Any) -> None:
    if field.data and not is_country(field.data):
        raise ValidationError("Choose a country from the list.")


def new_password_fields(label: str = "Password") -> tuple[PasswordField, PasswordField]:
    return (
        PasswordField(
            label,
            validators=[
                InputRequired("Choose a password."),
                Length(
                    min=MIN_PASSWORD_LENGTH,
                    max=200,
                    message=f"Use at least {MIN_PASSWORD_LENGTH} characters.",
                ),
            ],
            description=PASSWORD_HINT,
        ),
        PasswordField(
            "Repeat password",
            validators=[
                InputRequired("Type the password again."),
                EqualTo("password", "The two passwords are not the same."),
            ],
        ),
    )


class LoginForm(Form):
    email = EmailField(
        "Email", validators=[InputRequired("Enter your e-mail address."), Length(max=254)]
    )
    password = PasswordField("Password", validators=[InputRequired("Enter your password.")])


class SiteForm(SubForm):
    """One site; inside RegisterForm (no CSRF of its own)."""

    name = StringField("Site name", validators=[Optional(), Length(max=200)])
    address = TextAreaField("Site address", validators=[Optional(), Length(max=1000)])
    country = SelectField(
        "Site country",
        choices=choices([("", "Same as the organisation"), *country_choices()]),
        validators=[Optional(), _check_country],
    )


class JoinForm(Form):
    """A new person's account: who they are and their password."""

    full_name = StringField(
        "Your full name", validators=[InputRequired("Enter your name."), Length(max=200)]
    )
    email = EmailField(
        "Email",
        validators=[
            InputRequired("Enter your e-mail address."),
            Email("Enter a valid e-mail address."),
            Length(max=254),
        ],
    )
    password, password_confirm = new_password_fields()


class RegisterForm(JoinForm):
    """An ISSP and its first member."""

    legal_name = StringField(
        "Organisation legal name",
        validators=[InputRequired("Enter the organisation's legal name."), Length(max=200)],
    )
    country = _country_field("Country", description="Where the organisation is registered.")
    registration_number = StringField(
        "Registration number",
        validators=[InputRequired("Enter the company registration number."), Length(max=100)],
        description="As shown on the certificate of incorporation.",
    )
    website = URLField(
        "Website",
        validators=[
            Optional(),
            URL(message="Enter a full address starting with https://"),
            Length(max=300),
        ],
    )
    sites = FieldList(FormField(SiteForm), min_entries=3, max_entries=10)

    def validate_country(self, field: Any) -> None:
        _check_country(self, field)

    def validate_sites(self, field: Any) -> None:
        filled = 0
        for entry in field.entries:
            name, address = entry.form.name.data, entry.form.address.data
            if (name or "").strip() and (address or "").strip():
                filled += 1
            elif (name or "").strip() or (address or "").strip():
                raise ValidationError("Each site needs both a name and an address.")
        if not filled:
            raise ValidationError("Add at least one site: its name and its address.")


class PasswordChangeForm(Form):
    current_password = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password.")]
    )
    password, password_confirm = new_password_fields("New password")


class InviteForm(Form):
    """The colleague's e-mail address: the one-time link goes there, and only there."""

    email = EmailField(
        "Your colleague's e-mail address",
        validators=[
            InputRequired("Enter your colleague's e-mail address."),
            Email("Enter a valid e-mail address."),
            Length(max=254),
        ],
    )


class ForgotPasswordForm(Form):
    email = EmailField(
        "Your e-mail address",
        validators=[
            InputRequired("Enter the e-mail address you sign in with."),
            Email("Enter a valid e-mail address."),
            Length(max=254),
        ],
    )


class ResetPasswordForm(Form):
    password, password_confirm = new_password_fields("New password")


class StaffForm(Form):
    full_name = StringField(
        "Full name", validators=[InputRequired("Enter the person's name."), Length(max=200)]
    )
    email = EmailField(
        "Email",
        validators=[
            InputRequired("Enter an e-mail address."),
            Email("Enter a valid e-mail address."),
            Length(max=254),
        ],
    )
    roles = SelectMultipleField(
        "Roles",
        choices=choices(
            [("admin", "Administrator"), ("auditor", "Auditor"), ("reviewer", "Reviewer")]
        ),
        validators=[InputRequired("Choose at least one role.")],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
        description="A person may be both auditor and reviewer; never on the same case.",
    )


class CodeForm(Form):
    """A second factor typed in: the authenticator app's code, or a recovery code."""

    code = StringField(
        "Code",
        description=(
            "The 6-digit code your authenticator app shows now, or one of your recovery codes."
        ),
        validators=[InputRequired("Type the code."), Length(max=20)],
        render_kw={
            "autocomplete": "one-time-code",
            "autocapitalize": "none",
            "spellcheck": "false",
        },
    )


class TotpEnrolForm(Form):
    """The first code of a newly scanned authenticator app, proving it works."""

    code = StringField(
        "Code from the app",
        description="The 6-digit code the app shows for this account now.",
        validators=[InputRequired("Type the code the app shows."), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class PasskeyNameForm(Form):
    """A name for a new passkey, so that it can be told apart later."""

    name = StringField(
        "Name for this passkey",
        description="For example: work laptop, or the blue security key.",
        validators=[Optional(), Length(max=100)],
    )


class ActionForm(Form):
    """A button that changes something: only the CSRF token."""
