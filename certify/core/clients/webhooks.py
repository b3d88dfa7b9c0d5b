"""Standard Webhooks (https://www.standardwebhooks.com/), the signing side.

A message is signed with HMAC-SHA256 over ``"<msg id>.<timestamp>.<body>"``, keyed by the
secret's bytes (the base64 text after ``whsec_``); the ``webhook-signature`` header holds
space-separated ``v1,<base64 signature>`` entries. While a rotated-out secret is still honoured,
a message carries one signature per secret, so receivers can switch at their own pace.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping

SECRET_PREFIX = "whsec_"  # noqa: S105 - the spec's prefix, not a secret
#: Bytes of randomness in a new secret (the spec asks for 24 to 64).
SECRET_BYTES = 32

#: Delays before the second, third... attempt (the spec suggests exponential back-off); after
#: the last, the delivery is ``failed`` and stays in the log.
RETRY_DELAYS = (
    dt.timedelta(seconds=5),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=5),
    dt.timedelta(hours=10),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


def new_secret(random_bytes: bytes | None = None) -> str:
    """A new signing secret, ``whsec_`` and base64 of 32 random bytes (or of *random_bytes*)."""
    raw = random_bytes if random_bytes is not None else secrets.token_bytes(SECRET_BYTES)
    return SECRET_PREFIX + base64.b64encode(raw).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key of *secret*.

    Raises:
        ValueError: not a ``whsec_`` secret of valid base64.
    """
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64>`` signature of *body* sent as message *msg_id* at *timestamp*."""
    to_sign = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), to_sign, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signed_headers(
    secrets_in_use: Iterable[str], msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The three Standard Webhooks headers for *body*, one signature per secret in use."""
    signatures = " ".join(sign(s, msg_id, timestamp, body) for s in secrets_in_use)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
    }


def verify(
    secret: str, headers: Mapping[str, str], body: bytes, now: int, tolerance: int = 300
) -> bool:
    """Whether *headers* carry a valid signature of *body* by *secret*, sent within
    *tolerance* seconds of *now* (the receiver's side; certify uses it in its own tests)."""
    try:
        msg_id, stamp = headers["webhook-id"], int(headers["webhook-timestamp"])
    except (KeyError, ValueError):
        return False
    if abs(now - stamp) > tolerance:
        return False
    expected = sign(secret, msg_id, stamp, body).encode()
    return any(
        hmac.compare_digest(expected, candidate.encode())
        for candidate in headers.get("webhook-signature", "").split()
    )


def retry_delay(attempts: int) -> dt.timedelta | None:
    """How long to wait after *attempts* failed attempts; None when it is time to give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return RETRY_DELAYS[max(attempts, 1) - 1]
