"""Jinja helpers shared by every page, and the header's navigation links."""

from __future__ import annotations

import datetime as dt

from flask import Flask, current_app

from certify.core.certificate_status import CertificateStatus
from certify.core.countries import country_name


def format_datetime(value: dt.datetime | None, with_time: bool = True) -> str:
    """Show a time in UTC with its zone, e.g. ``28 Nov 2026, 04:05 UTC``."""
    if value is None:
        return "—"
    value = value.astimezone(dt.UTC)
    return value.strftime("%-d %b %Y, %H:%M UTC") if with_time else value.strftime("%-d %b %Y")


#: Header links for everyone, in order: (endpoint, label).
NAV_PUBLIC_LINKS: tuple[tuple[str, str], ...] = (
    ("registry.index", "Registry"),
    ("translog.log_page", "Transparency log"),
    ("verify.index", "Verify a certificate"),
)

#: Header links for signed-in users holding one of the roles, in order: (endpoint, label, roles).
NAV_ROLE_LINKS: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("applications.index", "Applications", frozenset({"issp"})),
    ("applications.queue", "Applications", frozenset({"admin"})),
    ("applications.register", "Conflict register", frozenset({"admin", "auditor", "reviewer"})),
    ("certificates.admin_index", "Certificates", frozenset({"admin"})),
    ("followup.admin_index", "Non-conformities", frozenset({"admin"})),
    ("notifications.admin_mail", "Mail", frozenset({"admin"})),
)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["date"] = lambda v: format_datetime(v, with_time=False)
    app.jinja_env.filters["country_name"] = country_name
    app.jinja_env.globals["CertificateStatus"] = CertificateStatus

    @app.context_processor
    def registry_globals() -> dict[str, object]:
        return {
            "registry_name": current_app.config["REGISTRY_NAME"],
            "public_url": current_app.config["PUBLIC_URL"],
            "nav_public_links": NAV_PUBLIC_LINKS,
            "nav_role_links": NAV_ROLE_LINKS,
        }
