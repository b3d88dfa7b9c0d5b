"""Passkeys (WebAuthn, through the ``webauthn`` package): registering one and signing with it.

The relying party is this registry: its id is ``WEBAUTHN_RP_ID`` or else the host of
``PUBLIC_URL``, and the only origin accepted is ``PUBLIC_URL``'s. Browsers allow WebAuthn in
secure contexts only: https, or http on ``localhost`` (the demo and the tests).

Each ceremony's challenge (32 random bytes) is made by the server, kept in the signed session
cookie with the time it was made, used once and accepted for :data:`CHALLENGE_LIFETIME`.
User verification (a PIN or biometric on the authenticator) is required, so a passkey is
something held and something known or been, on its own a full second factor.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from certify import clock
from certify.accounts.factor_models import Passkey
from certify.accounts.factors import (
    FactorRefused,
    count_factor_failure,
    factor_succeeded,
    must_hold_second_factor,
    own_event,
    refuse_while_waiting,
)
from certify.accounts.models import User
from certify.core.second_factor import b64url
from certify.operations import OperationError

CHALLENGE_LIFETIME = dt.timedelta(minutes=5)


def relying_party() -> tuple[str, str]:
    """(RP id, expected origin) from the settings."""
    public = urlsplit(str(current_app.config["PUBLIC_URL"]))
    rp_id = current_app.config.get("WEBAUTHN_RP_ID") or public.hostname or "localhost"
    return str(rp_id), f"{public.scheme}://{public.netloc}"


def new_challenge() -> dict[str, str]:
    """A challenge to keep in the session cookie: its bytes (base64url) and when it was made."""
    return {"challenge": b64url(secrets.token_bytes(32)), "at": clock.now().isoformat()}


def take_challenge(kept: Any) -> bytes:
    """The bytes of a challenge kept by :func:`new_challenge`, if it is still young enough."""
    if not isinstance(kept, dict) or "challenge" not in kept or "at" not in kept:
        raise OperationError("The passkey request expired. Try again.", code="no_challenge")
    made = dt.datetime.fromisoformat(str(kept["at"]))
    if not made <= clock.now() < made + CHALLENGE_LIFETIME:
        raise OperationError("The passkey request expired. Try again.", code="no_challenge")
    return base64url_to_bytes(str(kept["challenge"]))


def _passkeys(session: Session, user: User) -> list[Passkey]:
    return list(session.scalars(select(Passkey).where(Passkey.user_id == user.id)).all())


def _descriptors(passkeys: list[Passkey]) -> list[PublicKeyCredentialDescriptor]:
    return [PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id)) for p in passkeys]


def registration_options(session: Session, user: User, challenge: bytes) -> str:
    """The options (JSON) for ``navigator.credentials.create`` to add a passkey for *user*."""
    rp_id, _origin = relying_party()
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=str(current_app.config["REGISTRY_NAME"]),
        user_name=user.email,
        user_id=user.public_id.encode(),
        user_display_name=user.full_name,
        challenge=challenge,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=_descriptors(_passkeys(session, user)),
    )
    return options_to_json(options)


def register_passkey(
    session: Session, user: User, credential: dict[str, Any], challenge: bytes, name: str
) -> Passkey:
    """Verify the browser's answer to :func:`registration_options` and keep the passkey."""
    rp_id, origin = relying_party()
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise OperationError(
            f"The passkey could not be added: {error}", code="passkey_refused"
        ) from error
    credential_id = b64url(verified.credential_id)
    if session.scalar(select(Passkey.id).where(Passkey.credential_id == credential_id)):
        raise OperationError("This passkey is already registered.", code="passkey_exists")
    passkey = Passkey(
        user_id=user.id,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        name=(name.strip() or "Passkey")[:100],
    )
    session.add(passkey)
    session.flush()
    own_event(session, user, "user.passkey_added", passkey=passkey.public_id, name=passkey.name)
    return passkey


def authentication_options(session: Session, user: User, challenge: bytes) -> str:
    """The options (JSON) for ``navigator.credentials.get``: *user*'s passkeys."""
    rp_id, _origin = relying_party()
    options = generate_authentication_options(
        rp_id=rp_id,
        challenge=challenge,
        allow_credentials=_descriptors(_passkeys(session, user)),
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options_to_json(options)


def check_passkey(
    session: Session, user: User, credential: dict[str, Any], challenge: bytes
) -> Passkey:
    """Verify an assertion by one of *user*'s passkeys; failures count as wrong codes do.

    Raises:
        FactorRefused: not one of *user*'s passkeys, a bad signature or counter, or waiting.
    """
    refuse_while_waiting(session, user)
    rp_id, origin = relying_party()
    passkey = session.scalar(
        select(Passkey).where(
            Passkey.user_id == user.id, Passkey.credential_id == str(credential.get("id", ""))
        )
    )
    try:
        if passkey is None:
            raise InvalidAuthenticationResponse("not a passkey of this account")
        verified = verify_authentication_response(
            credential=json.dumps(credential),
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        until = count_factor_failure(session, user)
        raise FactorRefused(f"The passkey was not accepted ({error}).", until) from error
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = clock.now()
    factor_succeeded(session, user)
    session.flush()
    return passkey


def remove_passkey(session: Session, user: User, public_id: str, has_totp: bool) -> None:
    """Remove one of *user*'s passkeys (refused when it is the last factor they must hold)."""
    passkeys = _passkeys(session, user)
    passkey = next((p for p in passkeys if p.public_id == public_id), None)
    if passkey is None:
        raise OperationError("No such passkey.", code="no_passkey")
    if len(passkeys) == 1 and not has_totp and must_hold_second_factor(user):
        raise OperationError(
            "Your role needs a second factor: add another passkey or an authenticator app "
            "before removing this one.",
            code="last_factor",
        )
    session.delete(passkey)
    session.flush()
    own_event(session, user, "user.passkey_removed", passkey=public_id, name=passkey.name)
