"""TOTP secrets sealed at rest (issue 24): the column ``totp_credential.secret`` holds
``sealed1:...`` (:mod:`certify.core.column_seal`), sealed by the instance's key-encryption key,
the one that wraps evidence data keys (a file in ``instance/keys``, or a key in the PKCS#11
token), never the base32 secret itself.

Why: the server must be able to read a TOTP secret to check codes, so it cannot be hashed like
a password. Sealed, a leaked database or backup of it plus a cracked password no longer
defeats the second factor: the KEK is not in the database (backups seal it apart, with a
passphrase). The associated data names the column, the user's and the credential's public ids,
so a sealed secret copied onto another person's row does not open there.

Rows stored before sealing (plaintext base32, never starting with ``sealed1:``) are still
accepted, and sealed the next time their code is accepted (in that request's transaction), or
all at once by ``flask users seal-totp-secrets`` (:func:`seal_plaintext_secrets`). A database
migration cannot do it: migrations do not have the KEK.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certify.accounts.factor_models import TotpCredential
from certify.accounts.models import User
from certify.audit.operations import record_event
from certify.core.actor import Actor
from certify.core.column_seal import PREFIX, is_sealed, open_text, seal_text
from certify.core.envelope import EnvelopeError, KeyEncryptionKey
from certify.hsm.token import TokenError
from certify.operations import OperationError
from certify.storage.backends import StorageError

log = logging.getLogger(__name__)

#: what loading or using the KEK may raise: a missing or unreadable key file (KekError is a
#: StorageError), a token that refuses, a value that does not open
KEK_FAILURES = (StorageError, TokenError, EnvelopeError)


class SecretUnreadable(OperationError):
    """A TOTP secret cannot be sealed or opened here; the message says why, for a person."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message, code="totp_secret_unreadable")
        #: why, for the operator (logged; the command prints it, a web page never does)
        self.detail = detail


def _kek() -> KeyEncryptionKey:
    from certify.storage.setup import instance_kek

    return instance_kek(current_app._get_current_object())  # type: ignore[attr-defined]


def _detail(error: BaseException) -> str:
    return str(getattr(error, "message", None) or error)


def secret_context(user_public_id: str, credential_public_id: str) -> str:
    """The associated data of a sealed TOTP secret: the column and the row it belongs to."""
    return f"totp_credential.secret\0{user_public_id}\0{credential_public_id}"


def seal_secret(credential: TotpCredential, user: User, secret: str) -> None:
    """Store *secret* sealed in *credential* (of *user*; its ``public_id`` is set first when
    the row is new, as the seal names it).

    Raises:
        SecretUnreadable: the KEK cannot be loaded or used (nothing is stored).
    """
    if credential.public_id is None:
        from certify.db import new_public_id

        credential.public_id = new_public_id()
    context = secret_context(user.public_id, credential.public_id)
    try:
        credential.secret = seal_text(_kek(), secret, context)
    except KEK_FAILURES as error:
        log.error("cannot seal the TOTP secret of %s: %s", credential.public_id, _detail(error))
        raise SecretUnreadable(
            "The authenticator app cannot be stored now: the server's key-encryption key is "
            "not usable. Tell the registry's operator.",
            _detail(error),
        ) from None


def read_secret(credential: TotpCredential, user: User) -> str:
    """The base32 secret of *credential* (of *user*): opened when sealed, as stored when it
    predates sealing.

    Raises:
        SecretUnreadable: sealed, but not for this row, altered, or under another KEK (or the
            KEK cannot be loaded); the cause is logged for the operator.
    """
    if not is_sealed(credential.secret):
        return credential.secret
    try:
        return open_text(
            _kek(), credential.secret, secret_context(user.public_id, credential.public_id)
        )
    except KEK_FAILURES as error:
        # Refuse cleanly (the person can still use a recovery code or a passkey) and tell the
        # operator why: a moved or altered row is tampering, another KEK a restore to finish.
        log.error("the TOTP secret of %s does not open: %s", credential.public_id, _detail(error))
        raise SecretUnreadable(
            "Your authenticator app cannot be checked on this server. Use a recovery code "
            "or a passkey, or ask the registry's operator to reset your second factor."
        ) from None


def seal_after_use(session: Session, credential: TotpCredential, user: User, secret: str) -> None:
    """Seal *credential*'s secret if it is still plaintext, now that a code of it was accepted
    (the request commits it). Never refuses the sign-in: a KEK that cannot be used leaves the
    row as it was, logged, for ``users seal-totp-secrets`` to report."""
    if is_sealed(credential.secret):
        return
    try:
        seal_secret(credential, user, secret)
    except SecretUnreadable:
        return  # logged by seal_secret
    session.flush()
    record_event(
        session,
        Actor.user(user.public_id),
        "user.totp_secret_sealed",
        "user",
        user.public_id,
        after={"by": "use"},
    )


def plaintext_secret_count(session: Session) -> int:
    """How many TOTP secrets are still stored unsealed."""
    unsealed = ~TotpCredential.secret.startswith(PREFIX, autoescape=True)
    return int(session.scalar(select(func.count()).where(unsealed)) or 0)


def seal_plaintext_secrets(session: Session, actor: Actor) -> int:
    """Seal every TOTP secret still stored in plaintext; returns how many (0 when run again).
    Each one sealed is a ``user.totp_secret_sealed`` audit event of its owner.

    Raises:
        SecretUnreadable: the KEK cannot be used (the caller rolls back: nothing is sealed).
    """
    unsealed = ~TotpCredential.secret.startswith(PREFIX, autoescape=True)
    rows = session.execute(
        select(TotpCredential, User)
        .join(User, User.id == TotpCredential.user_id)
        .where(unsealed)
        .order_by(TotpCredential.id)
        .with_for_update(of=TotpCredential)
    ).all()
    for credential, user in rows:
        plain = credential.secret
        try:
            seal_secret(credential, user, plain)
        except SecretUnreadable as error:
            raise SecretUnreadable(
                f"nothing was sealed: the key-encryption key is not usable ({error.detail})"
            ) from None
        if read_secret(credential, user) != plain:  # a token that seals wrongly stops here
            raise SecretUnreadable(
                f"the sealed TOTP secret of {user.email} does not open to what was sealed: "
                "nothing was sealed"
            )
        session.flush()
        record_event(
            session,
            actor,
            "user.totp_secret_sealed",
            "user",
            user.public_id,
            after={"by": "command"},
        )
    return len(rows)
