"""Clients' forms: they validate input only; rules live in the operations."""

from __future__ import annotations

from wtforms import EmailField, SelectMultipleField, StringField, URLField, widgets
from wtforms.validators import Email, InputRequired, Length

from certify.accounts.forms import choices
from certify.forms import Form


class ClientRegisterForm(Form):
    full_name = StringField(
        "Your name", validators=[InputRequired("Enter your name."), Length(max=200)]
    )
    email = EmailField(
        "Work e-mail address",
        validators=[InputRequired("Enter your e-mail address."), Email(), Length(max=254)],
        description="We send a link there; following it confirms the address and sets your "
        "password.",
    )


class WatchForm(Form):
    subject = StringField(
        "Certificate serial or organisation name",
        validators=[InputRequired("Enter a serial or an organisation's name."), Length(max=200)],
        description="A serial such as ISR-XXXX-XXXX-XXXX-C, or a certified organisation's "
        "exact name (watching an organisation follows its renewals).",
    )


class WebhookForm(Form):
    url = URLField(
        "Webhook address",
        validators=[InputRequired("Enter the address to send events to."), Length(max=500)],
        description="https only, on a public address. Each event is a signed POST (Standard "
        "Webhooks).",
    )


class ApiTokenForm(Form):
    name = StringField(
        "What the token is for", validators=[InputRequired("Name the token."), Length(max=100)]
    )
    scopes = SelectMultipleField(
        "Scopes",
        choices=choices(
            [("read", "read: your watch list and webhooks"), ("write", "write: change them")]
        ),
        default=["read"],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
        validators=[InputRequired("Choose at least one scope.")],
    )


class EmptyForm(Form):
    """A button's form: only the CSRF token."""
