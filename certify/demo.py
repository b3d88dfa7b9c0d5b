"""Demo data: a small but complete registry to explore. Demo passwords are for demos only."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certify.accounts.models import Role, User, normalise_email
from certify.accounts.operations import SiteData, create_staff_user, register_issp
from certify.audit.models import AuditEvent
from certify.core.actor import Actor
from certify.db import db_session

# Demo only: these passwords are public (README.md lists them). Never load demo data into a
# registry that certifies anyone for real.
STAFF = [
    ("admin@demo.certify.test", "Ada Admin", {Role.ADMIN}, "demo-admin-2026"),
    ("auditor1@demo.certify.test", "Wanjiru Auditor", {Role.AUDITOR}, "demo-auditor-2026"),
    (
        "auditor2@demo.certify.test",
        "Rajesh Auditor",
        {Role.AUDITOR, Role.REVIEWER},
        "demo-auditor-2026",
    ),
    ("reviewer1@demo.certify.test", "Sofia Reviewer", {Role.REVIEWER}, "demo-reviewer-2026"),
    ("reviewer2@demo.certify.test", "Kwame Reviewer", {Role.REVIEWER}, "demo-reviewer-2026"),
]
ISSP_PASSWORD = "demo-issp-2026"  # noqa: S105 - public demo password, documented
ISSPS = [
    {
        "legal_name": "Nairobi DataWorks",
        "country": "KE",
        "registration_number": "PVT-2019-4471",
        "website": "https://nairobi-dataworks.example",
        "sites": [
            SiteData("Kibera Delivery Centre", "Olympic Estate Road, Kibera, Nairobi", "KE"),
            SiteData("Westlands Office", "Woodvale Grove 12, Westlands, Nairobi", "KE"),
        ],
        "member": ("amina@nairobi-dataworks.demo", "Amina Wanjiku"),
    },
    {
        "legal_name": "RuralShore Services",
        "country": "IN",
        "registration_number": "U72900KA2015PTC081234",
        "website": "https://ruralshore.example",
        "sites": [SiteData("Mandya Centre", "KR Road 4, Mandya, Karnataka 571401", "IN")],
        "member": ("priya@ruralshore.demo", "Priya Raghavan"),
    },
    {
        "legal_name": "Himal Digital",
        "country": "NP",
        "registration_number": "NP-CRO-155821",
        "website": "https://himal-digital.example",
        "sites": [SiteData("Patan Studio", "Mangal Bazaar, Lalitpur 44700", "NP")],
        "member": ("bishnu@himal-digital.demo", "Bishnu Gurung"),
    },
    {
        "legal_name": "Andes Contact Center",
        "country": "PE",
        "registration_number": "20601234567",
        "website": "https://andes-contact.example",
        "sites": [
            SiteData("Villa El Salvador Hub", "Av. Revolución 1450, Villa El Salvador, Lima", "PE")
        ],
        "member": ("lucia@andes-contact.demo", "Lucía Quispe"),
    },
]


def database_is_empty(session: Session) -> bool:
    """True when nothing has happened in this database yet (no audit event at all)."""
    return session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def _exists(session: Session, email: str) -> bool:
    return (
        session.scalar(select(User.id).where(User.email_normalised == normalise_email(email)))
        is not None
    )


def demo_accounts() -> list[tuple[str, str, str]]:
    """(e-mail, roles, password) of every demo account, for printing."""
    rows = [(e, ", ".join(sorted(r.value for r in roles)), pw) for e, _, roles, pw in STAFF]
    rows += [(o["member"][0], "issp", ISSP_PASSWORD) for o in ISSPS]  # type: ignore[index]
    return rows


def print_demo_accounts(echo: Callable[[str], object]) -> None:
    echo("Demo accounts (DEMO ONLY: these passwords are public):")
    for email, roles, password in demo_accounts():
        echo(f"  {email:<34} {roles:<18} {password}")


def demo_present(session: Session) -> bool:
    return _exists(session, STAFF[0][0])


def load_demo(echo: Callable[[str], object] = print, session: Session | None = None) -> None:
    """Create the demo data through the same operations people use, then commit.

    Safe to run twice: what exists already is left alone.
    """
    session = session or db_session()
    actor = Actor.cli()
    created = 0
    for email, name, roles, password in STAFF:
        if not _exists(session, email):
            create_staff_user(
                session, actor, email=email, full_name=name, password=password, roles=roles
            )
            created += 1
    for org in ISSPS:
        email, name = org["member"]  # type: ignore[misc]
        if _exists(session, email):
            continue
        register_issp(
            session,
            legal_name=org["legal_name"],
            country=org["country"],  # type: ignore[arg-type]
            registration_number=org["registration_number"],  # type: ignore[arg-type]
            website=org["website"],
            sites=org["sites"],  # type: ignore[arg-type]
            full_name=name,
            email=email,
            password=ISSP_PASSWORD,
        )
        created += 1
    session.commit()
    echo(f"demo data: {created} account(s) created")
    print_demo_accounts(echo)
