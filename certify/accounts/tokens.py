"""E-mailed account links: forgotten passwords, first passwords, colleagues' invitations.

Every link is a random token, sent only by e-mail to its owner's address, never shown on a
page to anyone else; only its SHA-256 is stored; it works once and expires. Asking for a
password reset answers the same whether or not the address has an account (no enumeration);
using a link ends every session of the account (a stolen cookie dies with the old password).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from certify import clock
from certify.accounts.models import (
    AccountToken,
    Invitation,
    Role,
    SessionEnd,
    User,
    normalise_email,
)
from certify.accounts.notices import notify_password_changed
from certify.accounts.operations import new_user
from certify.accounts.passwords import hash_password
from certify.accounts.sessions import end_other_sessions
from certify.audit.operations import record_event
from certify.core.actor import Actor
from certify.notifications.operations import notify, path_for
from certify.operations import OperationError

RESET_MINUTES = 60
SETUP_DAYS = 7
INVITATION_DAYS = 7
#: The actor of a reset asked for by someone who is not signed in.
PASSWORD_RESET = Actor.system("password-reset")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _issue(session: Session, user: User, purpose: str, lifetime: dt.timedelta) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=token_hash(token),
            created_at=clock.now(),
            expires_at=clock.now() + lifetime,
        )
    )
    session.flush()
    return token


def request_password_reset(session: Session, email: str) -> None:
    """Send a reset link to *email* if an active account has it; otherwise do nothing. The
    caller answers the same either way."""
    user = session.scalar(select(User).where(User.email_normalised == normalise_email(email)))
    if user is None or not user.is_active:
        return
    token = _issue(session, user, "reset", dt.timedelta(minutes=RESET_MINUTES))
    notify(
        session,
        "account.password_reset",
        [user],
        context={"email": user.email, "minutes": RESET_MINUTES},
        link=path_for("accounts.reset_password", token=token),
    )
    record_event(session, PASSWORD_RESET, "user.password_reset_sent", "user", user.public_id)


def send_account_setup(session: Session, user: User, actor: Actor) -> str:
    """E-mail a new staff member a link to choose their first password; returns the token
    (only the first administrator's, made on the command line, is ever shown: to the operator
    who made the account, on their terminal)."""
    token = _issue(session, user, "setup", dt.timedelta(days=SETUP_DAYS))
    roles = ", ".join(sorted(r.label for r in user.roles))
    notify(
        session,
        "account.setup",
        [user],
        context={"email": user.email, "roles": roles, "days": SETUP_DAYS},
        link=path_for("accounts.reset_password", token=token),
    )
    record_event(session, actor, "user.setup_link_sent", "user", user.public_id)
    return token


def find_token(session: Session, token: str) -> AccountToken:
    """The usable token; ``OperationError`` when unknown, used or expired."""
    row = session.scalar(select(AccountToken).where(AccountToken.token_hash == token_hash(token)))
    if row is None or row.used_at is not None or row.expires_at <= clock.now():
        raise OperationError(
            "This link is not valid any more: it works once and for a limited time. "
            "Ask for a new one with “Forgot your password?” on the sign-in page.",
            code="invalid_link",
        )
    return row


def set_password_with_token(session: Session, token: str, new_password: str) -> User:
    """Set the password of the token's account, spend the token, end every session of the
    account, and tell its owner.

    Raises:
        OperationError: the link is unknown, used or expired.
    """
    row = find_token(session, token)
    session.execute(select(AccountToken.id).where(AccountToken.id == row.id).with_for_update())
    session.refresh(row)
    if row.used_at is not None:  # a second click on the same link, at the same moment
        raise OperationError("This link has just been used.", code="invalid_link")
    user = row.user
    user.password_hash = hash_password(new_password)
    row.used_at = clock.now()
    ended = end_other_sessions(session, user, None, SessionEnd.PASSWORD_CHANGED)
    record_event(
        session,
        Actor.user(user.public_id),
        "user.password_reset" if row.purpose == "reset" else "user.password_set",
        "user",
        user.public_id,
        after={"sessions_ended": ended},
    )
    notify_password_changed(session, user)
    return user


def send_invitation(session: Session, member: User, email: str) -> Invitation:
    """Invite *email* to join *member*'s organisation: a one-time link, valid for
    :data:`INVITATION_DAYS`, sent to that address only.

    Raises:
        OperationError: *member* belongs to no organisation.
    """
    organisation = member.organisation
    if organisation is None:
        raise OperationError("Only members of an organisation can invite colleagues to it.")
    token = secrets.token_urlsafe(24)
    invitation = Invitation(
        organisation=organisation,
        token_hash=token_hash(token),
        created_by_id=member.id,
        created_at=clock.now(),
        expires_at=clock.now() + dt.timedelta(days=INVITATION_DAYS),
        email_normalised=normalise_email(email),
    )
    session.add(invitation)
    session.flush()
    notify(
        session,
        "account.invitation",
        [email.strip()],
        context={
            "inviter": member.full_name,
            "organisation": organisation.legal_name,
            "expires": f"{invitation.expires_at:%-d %b %Y}",
        },
        link=path_for("accounts.join", token=token),
    )
    record_event(
        session,
        Actor.user(member.public_id),
        "invitation.sent",
        "organisation",
        organisation.public_id,
        after={"expires_at": invitation.expires_at.isoformat()},
    )
    return invitation


def find_invitation(session: Session, token: str) -> Invitation:
    """The usable invitation for *token*; OperationError when unknown, used or expired."""
    invitation = session.scalar(
        select(Invitation).where(Invitation.token_hash == token_hash(token))
    )
    if invitation is None:
        raise OperationError(
            "This invitation link is not valid. Ask your colleague for a new one.",
            code="invalid_invitation",
        )
    if invitation.used_at is not None:
        raise OperationError(
            "This invitation link has already been used. Ask your colleague for a new one.",
            code="invalid_invitation",
        )
    if invitation.expires_at <= clock.now():
        raise OperationError(
            "This invitation link has expired. Ask your colleague for a new one.",
            code="invalid_invitation",
        )
    return invitation


def accept_invitation(
    session: Session, token: str, *, full_name: str, email: str, password: str
) -> User:
    """Create the invited colleague's account in the inviting organisation; the link is spent."""
    invitation = find_invitation(session, token)
    if invitation.email_normalised and normalise_email(email) != invitation.email_normalised:
        raise OperationError("Use the e-mail address this invitation was sent to.", field="email")
    user = new_user(session, email, full_name, password, {Role.ISSP}, invitation.organisation)
    invitation.used_at = clock.now()
    invitation.used_by_id = user.id
    session.flush()
    record_event(
        session,
        Actor.user(user.public_id),
        "organisation.member_joined",
        "organisation",
        invitation.organisation.public_id,
        after={"member": user.public_id},
    )
    return user
