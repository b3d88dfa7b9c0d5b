"""argon2id password hashing with the app's configured cost."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app

from certify.state import app_state

MIN_PASSWORD_LENGTH = 10


def _hasher() -> PasswordHasher:
    config = current_app.config
    key = (config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"])
    return app_state().caches.password_hasher.get_or_make(
        key, lambda: PasswordHasher(time_cost=key[0], memory_cost=key[1], parallelism=key[2])
    )


def hash_password(password: str) -> str:
    """An argon2id hash of *password* (salted, with the configured cost)."""
    return _hasher().hash(password)


def check_password(stored_hash: str, password: str) -> tuple[bool, str | None]:
    """Whether *password* matches; and a new hash when the stored one used weaker settings."""
    hasher = _hasher()
    try:
        hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    return True, hasher.hash(password) if hasher.check_needs_rehash(stored_hash) else None


# Spent on unknown e-mail addresses so that timing does not reveal which addresses exist.
def burn_time(password: str) -> None:
    _hasher().hash(password)


def generate_password() -> str:
    """A random password people can type: 4 groups of 5 letters and digits."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))
