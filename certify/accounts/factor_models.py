"""Second factors (issue 24): a TOTP authenticator, passkeys and recovery codes.

Staff who can mint, suspend or withdraw certificates hold at least one of the first two
(``SECOND_FACTOR_ROLES``); recovery codes are the way back in when both are lost.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from certify import clock
from certify.db import Base, PublicId, new_public_id


class TotpCredential(Base):
    """One authenticator app (RFC 6238 TOTP) of one person; a person has at most one.

    ``last_step`` is the TOTP step of the last code accepted: no code of that step or an
    earlier one is accepted again, so a code works once. The server must read the secret to
    check codes (that is how TOTP works), so it cannot be hashed: ``secret`` holds it sealed by
    the instance's key-encryption key, bound to this row (``sealed1:...``,
    :mod:`certify.accounts.totp_secrets`); a row from before sealing holds the base32 text
    until its next use or ``flask users seal-totp-secrets``."""

    __tablename__ = "totp_credential"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(PublicId, unique=True, default=new_public_id)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    #: sealed: up to 8 + 136 characters for a secret of 64 (the longest ever stored)
    secret: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    last_step: Mapped[int | None] = mapped_column(BigInteger)
    last_used_at: Mapped[dt.datetime | None]

    def __repr__(self) -> str:
        return f"<TotpCredential {self.public_id} user={self.user_id}>"


class Passkey(Base):
    """A WebAuthn credential (a passkey or a security key) registered by one person.

    Only what verifying an assertion needs is kept: the credential's id, its public key (COSE)
    and its signature counter."""

    __tablename__ = "passkey"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(PublicId, unique=True, default=new_public_id)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    #: the credential id, base64url without padding
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    last_used_at: Mapped[dt.datetime | None]

    def __repr__(self) -> str:
        return f"<Passkey {self.public_id} user={self.user_id} {self.name!r}>"


class RecoveryCode(Base):
    """A single-use recovery code; only its SHA-256 is kept (:mod:`certify.core.second_factor`)."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: the set it belongs to: making new codes replaces the whole set
    batch: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    used_at: Mapped[dt.datetime | None]

    def __repr__(self) -> str:
        return f"<RecoveryCode {self.id} user={self.user_id} used={self.used_at is not None}>"
