"""Accounts: users, their roles, organisations, sites, invitations and sign-in throttles."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certify import clock
from certify.db import Base, PublicId, new_public_id


class Role(enum.StrEnum):
    """What a user may do. Staff may hold auditor and reviewer at once."""

    ADMIN = "admin"
    AUDITOR = "auditor"
    REVIEWER = "reviewer"
    ISSP = "issp"
    #: a buyer of impact sourcing: watches certificates, receives webhooks (certify.clients)
    CLIENT = "client"

    @property
    def label(self) -> str:
        return {
            "admin": "Administrator",
            "auditor": "Auditor",
            "reviewer": "Reviewer",
            "issp": "ISSP member",
            "client": "Client",
        }[self.value]


STAFF_ROLES = (Role.ADMIN, Role.AUDITOR, Role.REVIEWER)


def normalise_email(email: str) -> str:
    """The form e-mail addresses are compared in: trimmed and case-folded."""
    return email.strip().casefold()


class Organisation(Base):
    """An ISSP: the legal entity that applies for certification."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(PublicId, unique=True, default=new_public_id)
    legal_name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    registration_number: Mapped[str] = mapped_column(String(100))
    website: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

    sites: Mapped[list[Site]] = relationship(
        back_populates="organisation", order_by="Site.id", cascade="all, delete-orphan"
    )
    members: Mapped[list[User]] = relationship(back_populates="organisation", order_by="User.id")

    def __repr__(self) -> str:
        return f"<Organisation {self.public_id} {self.legal_name!r}>"


class Site(Base):
    """A place where an organisation works (part of the certified scope)."""

    __tablename__ = "site"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(PublicId, unique=True, default=new_public_id)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(Text)
    country: Mapped[str] = mapped_column(String(2))
    # the cycle: when the site was added after registration (a new site: always in the next
    # audit's sample), whether the audit team rates it high risk, and when it closed (a
    # closed site leaves the next certificate version)
    added_at: Mapped[dt.datetime | None]
    high_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_at: Mapped[dt.datetime | None]

    organisation: Mapped[Organisation] = relationship(back_populates="sites")

    def __repr__(self) -> str:
        return f"<Site {self.public_id} {self.name!r}>"


class User(Base):
    """A person who signs in: certification-body staff or a member of one ISSP."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(PublicId, unique=True, default=new_public_id)
    email: Mapped[str] = mapped_column(String(254))
    # Unique regardless of case: Amina@X and amina@x are one address.
    email_normalised: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    last_login_at: Mapped[dt.datetime | None]

    organisation: Mapped[Organisation | None] = relationship(back_populates="members")
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )

    def __repr__(self) -> str:
        return f"<User {self.public_id} {self.email!r}>"

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(r.role) for r in self.role_rows)

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_staff(self) -> bool:
        return self.has_role(*STAFF_ROLES)


class UserRole(Base):
    """One role held by one user."""

    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))

    def __repr__(self) -> str:
        return f"<UserRole {self.user_id} {self.role}>"


class Invitation(Base):
    """A one-time link e-mailed to a colleague of an organisation's member. Only the token's
    hash is kept."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: the invited address (normalised): only that mailbox receives the link, and the account
    #: made with it must use it
    email_normalised: Mapped[str | None] = mapped_column(String(254))

    organisation: Mapped[Organisation] = relationship()

    def __repr__(self) -> str:
        return f"<Invitation {self.id} org={self.organisation_id} used={self.used_at is not None}>"


class AccountToken(Base):
    """A single-use, expiring link sent by e-mail to reset a password or to set the first one
    of an account staff made. Only the token's SHA-256 is kept."""

    __tablename__ = "account_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    #: "reset" (forgotten password) or "setup" (an account made by staff or on the command line)
    purpose: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<AccountToken {self.purpose} user={self.user_id} used={self.used_at is not None}>"


class SignInThrottle(Base):
    """Recent failed sign-ins in one scope of :mod:`certify.core.lockout`: an (e-mail, client)
    pair, a client address or an e-mail address.

    Only a keyed hash of what was counted is kept (no e-mail or IP address in clear), and rows
    exist for unknown e-mail addresses just as for accounts, so the table says nothing about
    which accounts exist. Rows idle for a day are pruned.
    """

    __tablename__ = "sign_in_throttle"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(10))
    # failures still remembered (a leaky bucket: fractions leak away over time)
    level: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[dt.datetime] = mapped_column(index=True)
    wait_until: Mapped[dt.datetime | None]

    def __repr__(self) -> str:
        return f"<SignInThrottle {self.scope} {self.key_hash[:8]} {self.level:.2f}>"


class SessionEnd(enum.StrEnum):
    """Why a session was ended before it expired."""

    SIGNED_OUT = "signed_out"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a reason, not a password
    #: its owner revoked it from the sessions page (one, or all the others)
    REVOKED = "revoked"
    #: a second factor was removed or recovery codes used: other sessions end
    FACTOR_CHANGED = "factor_changed"


class UserSession(Base):
    """A signed-in browser (``certify.accounts.sessions``).

    The browser's signed cookie holds a random token; only its SHA-256 is kept, so this table
    cannot be used to sign in. A session stands while it is not revoked, its user is active, it
    was seen within the idle limit and started within the absolute limit
    (``SESSION_IDLE_MINUTES``, ``SESSION_ABSOLUTE_HOURS``). Its owner lists and revokes their
    sessions by the opaque ``public_id``; ``user_agent`` and ``address`` are what the browser
    said and where it came from when the session started, shown there so that a stranger's
    session stands out.
    ``second_factor_at`` is when a second factor was last shown in this session (at sign-in or
    for a dangerous action, :mod:`certify.accounts.reauth`).
    """

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(PublicId, unique=True, default=new_public_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    # updated at most once a minute (see certify.accounts.sessions.TOUCH_EVERY)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    revoked_at: Mapped[dt.datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(20))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    address: Mapped[str | None] = mapped_column(String(45))
    second_factor_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        state = "revoked" if self.revoked_at else "open"
        return f"<UserSession {self.public_id} user={self.user_id} {state}>"
