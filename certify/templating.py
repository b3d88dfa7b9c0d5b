"""Jinja helpers shared by every page, and the header's navigation links."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from flask import Flask, current_app
from jinja2 import Undefined
from markupsafe import Markup, escape

from certify.core import labels
from certify.core.certificate_status import CertificateStatus
from certify.core.countries import country_name


def format_datetime(value: dt.datetime | dt.date | str | None, with_time: bool = True) -> str:
    """The one date format of every page: ``4 Dec 2026``, and ``4 Dec 2026, 04:05 UTC`` where
    the time matters. Takes a datetime (shown in UTC), a date or an ISO 8601 text (a
    certificate's record keeps its dates as text); anything else is shown as it is."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            parsed: dt.date = (
                dt.datetime.strptime(value, "%Y-%m-%d %H:%M UTC").replace(tzinfo=dt.UTC)
                if value.endswith(" UTC")
                else dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
                if "T" in value
                else dt.date.fromisoformat(value)
            )
        except ValueError:
            return value
        value = parsed
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(dt.UTC)
        if with_time:
            return value.strftime("%-d %b %Y, %H:%M UTC")
    return value.strftime("%-d %b %Y")


def _number(value: object) -> Fraction | None:
    """A score, weight or count as an exact number (text such as ``"18.75"`` included)."""
    if isinstance(value, (int, Fraction, Decimal)):
        return Fraction(value)
    try:
        return Fraction(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return None


def share(part: object, whole: object) -> Fraction:
    """*part* as a fraction of *whole*, between 0 and 1 (0 when either is missing)."""
    top, bottom = _number(part), _number(whole)
    if top is None or not bottom:
        return Fraction(0)
    return min(Fraction(1), max(Fraction(0), top / bottom))


def bar_class(part: object, whole: object) -> str:
    """The CSS class giving a bar its length (``w-0`` … ``w-100``, steps of 5): *part* of *whole*,
    e.g. a section's score out of the section's weight, never out of 100 for every section."""
    return f"w-{int(share(part, whole) * 20) * 5}"


def percent(part: object, whole: object) -> str:
    """*part* of *whole* as a whole percentage for people, e.g. ``"92%"``."""
    return f"{round(share(part, whole) * 100)}%"


#: Header links for everyone, in order: (endpoint, label).
NAV_PUBLIC_LINKS: tuple[tuple[str, str], ...] = (
    ("registry.index", "Registry"),
    ("impact.index", "Impact"),
    ("translog.log_page", "Transparency log"),
    ("verify.index", "Verify a certificate"),
    ("standards.index", "Standards"),
)

#: Header links for signed-in users holding one of the roles, in order: (endpoint, label, roles).
NAV_ROLE_LINKS: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("applications.index", "Applications", frozenset({"issp"})),
    ("cycle.mine", "Our cycle", frozenset({"issp"})),
    ("applications.queue", "Applications", frozenset({"admin"})),
    ("applications.organisations", "Organisations", frozenset({"admin"})),
    ("applications.register", "Conflict register", frozenset({"admin", "auditor", "reviewer"})),
    ("certificates.admin_index", "Certificates", frozenset({"admin"})),
    ("followup.admin_index", "Non-conformities", frozenset({"admin"})),
    ("cycle.admin_calendar", "Cycle", frozenset({"admin"})),
    ("complaints.index", "Concerns", frozenset({"admin", "auditor", "reviewer"})),
    ("complaints.appeals_index", "Appeals", frozenset({"admin", "issp"})),
    ("notifications.admin_mail", "Mail", frozenset({"admin"})),
    ("clients.watches", "Watch list", frozenset({"client"})),
    ("clients.webhooks", "Webhooks", frozenset({"client"})),
)


def inline_code(text: str | None) -> Markup:
    """Text from the OpenAPI document (CommonMark there) with its `code` spans as <code>:
    everything else is escaped, so no other markup gets through."""
    escaped = str(escape(text or ""))
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped))  # noqa: S704 - escaped above


class PrintedUndefined(Undefined):
    """Undefined that may be tested (``{% if x %}``, ``x is defined``, ``x or y``) but never
    printed: a page that would silently show nothing where a value belongs (a misspelt
    attribute, an index into an object that has none) fails instead. On when
    ``TEMPLATES_REFUSE_UNDEFINED_OUTPUT`` is set (the test suite sets it)."""

    __slots__ = ()

    def __str__(self) -> str:
        if self._undefined_name == "csrf_token":  # absent where a test turned CSRF off
            return ""
        self._fail_with_undefined_error()
        return ""  # pragma: no cover - the line above raises

    def __html__(self) -> str:
        return str(self)


def init_app(app: Flask) -> None:
    if app.config.get("TEMPLATES_REFUSE_UNDEFINED_OUTPUT"):
        app.jinja_env.undefined = PrintedUndefined
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["date"] = lambda v: format_datetime(v, with_time=False)
    app.jinja_env.filters["country_name"] = country_name
    app.jinja_env.filters["inline_code"] = inline_code
    app.jinja_env.globals["CertificateStatus"] = CertificateStatus
    app.jinja_env.globals["bar_class"] = bar_class
    app.jinja_env.filters["outcome_label"] = labels.outcome
    app.jinja_env.filters["reason_label"] = labels.reason_category
    app.jinja_env.filters["status_label"] = labels.status
    app.jinja_env.filters["standard_label"] = labels.standard
    app.jinja_env.filters["audit_type_label"] = labels.audit_type
    app.jinja_env.filters["words"] = labels.words
    app.jinja_env.filters["elapsed"] = labels.elapsed
    app.jinja_env.globals["percent"] = percent

    @app.context_processor
    def registry_globals() -> dict[str, object]:
        return {
            "registry_name": current_app.config["REGISTRY_NAME"],
            "public_url": current_app.config["PUBLIC_URL"],
            "nav_public_links": NAV_PUBLIC_LINKS,
            "nav_role_links": NAV_ROLE_LINKS,
        }
