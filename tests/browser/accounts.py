"""The demo accounts the browser tests sign in with (created by ``certify.demo.load_demo``).

Demo passwords are for demos only; they are public on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass

#: One account per role, for tests that only need "someone with this role".
ROLE_ACCOUNTS: dict[str, tuple[str, str]] = {
    "admin": ("admin@demo.certify.test", "demo-admin-2026"),
    "auditor": ("auditor1@demo.certify.test", "demo-auditor-2026"),
    "reviewer": ("reviewer1@demo.certify.test", "demo-reviewer-2026"),
    "issp": ("amina@nairobi-dataworks.demo", "demo-issp-2026"),
    # Himal Digital's member: a suspended certificate and an open major non-conformity
    "issp_suspended": ("bishnu@himal-digital.demo", "demo-issp-2026"),
    # Kampala Voice Works' member: a draft application with evidence, not yet submitted
    "issp_draft": ("grace@kampala-voiceworks.demo", "demo-issp-2026"),
    # a buyer of impact sourcing watching two suppliers (issue 22)
    "client": ("buyer@demo.certify.test", "demo-client-2026"),
}

#: Amina's organisation (the ``issp`` role account above).
ISSP_ORGANISATION = "Nairobi DataWorks"


@dataclass(frozen=True)
class DemoAccount:
    """A demo account and what its dashboard's heading says."""

    email: str
    password: str
    role: str
    dashboard_title: str
    organisation: str | None = None


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin@demo.certify.test", "demo-admin-2026", "admin", "Admin dashboard"),
    DemoAccount("auditor1@demo.certify.test", "demo-auditor-2026", "auditor", "Auditor dashboard"),
    DemoAccount("auditor2@demo.certify.test", "demo-auditor-2026", "auditor", "Auditor dashboard"),
    DemoAccount(
        "reviewer1@demo.certify.test", "demo-reviewer-2026", "reviewer", "Reviewer dashboard"
    ),
    DemoAccount(
        "reviewer2@demo.certify.test", "demo-reviewer-2026", "reviewer", "Reviewer dashboard"
    ),
    DemoAccount(
        "amina@nairobi-dataworks.demo",
        "demo-issp-2026",
        "issp",
        ISSP_ORGANISATION,
        ISSP_ORGANISATION,
    ),
    DemoAccount(
        "priya@ruralshore.demo",
        "demo-issp-2026",
        "issp",
        "RuralShore Services",
        "RuralShore Services",
    ),
    DemoAccount(
        "bishnu@himal-digital.demo", "demo-issp-2026", "issp", "Himal Digital", "Himal Digital"
    ),
    DemoAccount(
        "lucia@andes-contact.demo",
        "demo-issp-2026",
        "issp",
        "Andes Contact Center",
        "Andes Contact Center",
    ),
    DemoAccount(
        "grace@kampala-voiceworks.demo",
        "demo-issp-2026",
        "issp",
        "Kampala Voice Works",
        "Kampala Voice Works",
    ),
    DemoAccount("buyer@demo.certify.test", "demo-client-2026", "client", "Your supplier watch"),
)
