"""What account holders are told about their own account: a changed password, repeated
failed sign-ins. (Links they are sent, resets and invitations, are in ``tokens``.)"""

from __future__ import annotations

from sqlalchemy.orm import Session

from certify import clock
from certify.accounts.models import User
from certify.notifications.operations import notify, path_for


def notify_password_changed(session: Session, user: User) -> None:
    """Tell the owner their password changed (if it was not them, they act at once)."""
    notify(
        session,
        "account.password_changed",
        [user],
        context={"email": user.email, "when": f"{clock.now():%-d %b %Y, %H:%M} UTC"},
        link=path_for("accounts.forgot_password"),
    )


def notify_throttled(session: Session, user: User, failures: int) -> None:
    """Tell the owner many sign-ins to their account failed (someone may be guessing)."""
    notify(
        session,
        "account.throttled",
        [user],
        context={"email": user.email, "failures": failures},
        link=path_for("accounts.password"),
    )
