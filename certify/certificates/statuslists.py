"""Status lists in the database: the current list per purpose, random free indexes, bit
changes, and re-signing the served ``BitstringStatusListCredential`` on every change.

A list is also served re-signed at the start of each hour when it has not changed since
(:func:`served_list`; computed, cached, never stored): its ``validFrom`` then tells an offline
verifier (``certify-verify --status``) how fresh the status is, at most an hour old when it
was fetched. The bits are the stored ones: signing them again with a later time states
nothing untrue.

A bit is 1 for a withdrawn certificate (``revocation``) or a suspended one (``suspension``).
Each certificate holds one random index in each purpose's list, reserved at issuance; a list
that fills up is closed and a new one (with a new random id) becomes current.
"""

from __future__ import annotations

import datetime as dt
import secrets

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from certify.certificates.keys import KeyStore
from certify.certificates.models import Certificate, StatusList
from certify.core.canonical import canonical_json, sha256_hex
from certify.core.credentials import statuslist as core
from certify.core.credentials.proofs import sign_credential
from certify.core.credentials.vocabulary import STATUS_PURPOSES
from certify.core.serial import RandomBits, RandomGetBits
from certify.state import app_state

#: Entries per list: the specification's minimum (16 KB), enough for 131,072 certificates.
LIST_SIZE = core.MIN_BITS

_INDEX_COLUMN = {
    "revocation": (Certificate.revocation_list_id, Certificate.revocation_index),
    "suspension": (Certificate.suspension_list_id, Certificate.suspension_index),
}


def sign_list(status_list: StatusList, keys: KeyStore, now: dt.datetime) -> None:
    """Rebuild and sign *status_list*'s credential from its bits (the current key)."""
    data = _signed(status_list, keys, now)
    status_list.credential = data
    status_list.credential_sha256 = sha256_hex(data)
    status_list.updated_at = now


def served_list(status_list: StatusList, keys: KeyStore, now: dt.datetime) -> tuple[bytes, str]:
    """The bytes to serve for *status_list* and their SHA-256: the stored credential when it
    was signed this hour, else the same bits signed at the start of the hour (cached)."""
    hour = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    if status_list.updated_at >= hour:
        return status_list.credential, status_list.credential_sha256
    cache = app_state().caches.status_lists
    key = (status_list.list_id, status_list.credential_sha256, hour, keys.current_credential_key.id)

    def make() -> tuple[bytes, str]:
        data = _signed(status_list, keys, hour)
        return data, sha256_hex(data)

    served: tuple[bytes, str] = cache.get_or_make(key, make)
    return served


def _signed(status_list: StatusList, keys: KeyStore, now: dt.datetime) -> bytes:
    public_url = current_app.config["PUBLIC_URL"]
    key = keys.current_credential_key
    assert key.private_key is not None
    document = core.status_list_credential(
        public_url,
        status_list.purpose,
        status_list.list_id,
        core.encode_list(status_list.bits),
        now,
        issuer_name=str(current_app.config["REGISTRY_NAME"]),
    )
    signed = sign_credential(document, key.private_key, keys.verification_method(public_url), now)
    return canonical_json(signed)


def new_list(session: Session, purpose: str, keys: KeyStore, now: dt.datetime) -> StatusList:
    """Create, sign and flush a new empty list for *purpose* and make it the current one."""
    if purpose not in STATUS_PURPOSES:
        raise ValueError(f"unknown status purpose {purpose!r}")
    for old in session.scalars(
        select(StatusList).where(StatusList.purpose == purpose, StatusList.is_current.is_(True))
    ):
        old.is_current = False
    status_list = StatusList(
        purpose=purpose,
        # Random, so a list's id says nothing about how many lists (or certificates) exist.
        list_id=secrets.token_urlsafe(9),
        size=LIST_SIZE,
        bits=bytes(core.new_list(LIST_SIZE)),
        is_current=True,
        created_at=now,
    )
    sign_list(status_list, keys, now)
    session.add(status_list)
    session.flush()
    return status_list


def used_indexes(session: Session, status_list: StatusList) -> set[int]:
    list_column, index_column = _INDEX_COLUMN[status_list.purpose]
    return set(session.scalars(select(index_column).where(list_column == status_list.id)))


def index_used(session: Session, status_list: StatusList, index: int) -> bool:
    """Whether a certificate holds *index* in *status_list* (one indexed lookup)."""
    list_column, index_column = _INDEX_COLUMN[status_list.purpose]
    found = session.scalar(
        select(index_column).where(list_column == status_list.id, index_column == index).limit(1)
    )
    return found is not None


def reserve_index(
    session: Session,
    purpose: str,
    keys: KeyStore,
    now: dt.datetime,
    rng: RandomBits | RandomGetBits = secrets,
) -> tuple[StatusList, int]:
    """A uniformly random free index in the current list of *purpose* (a new list when none
    has room).

    The index is only reserved once a certificate row holding it is flushed; the unique
    constraint on (list, index) refuses a concurrent duplicate.
    """
    current = session.scalar(
        select(StatusList)
        .where(StatusList.purpose == purpose, StatusList.is_current.is_(True))
        .order_by(StatusList.id.desc())
    )
    if current is not None:
        # A few random draws, one indexed lookup each; the used set is read only when the
        # list is so full that they all hit (see core.probe_free_index).
        index = core.probe_free_index(lambda i: index_used(session, current, i), current.size, rng)
        if index is not None:
            return current, index
        used = used_indexes(session, current)
        if len(used) < current.size:
            return current, core.random_free_index(used, current.size, rng)
    fresh = new_list(session, purpose, keys, now)
    return fresh, core.random_free_index(set(), fresh.size, rng)


def set_bit(
    session: Session,
    status_list: StatusList,
    index: int,
    value: bool,
    keys: KeyStore,
    now: dt.datetime,
) -> bool:
    """Set the bit at *index* to *value* and re-sign the list; returns True if it changed.

    The row is locked first (PostgreSQL ``FOR UPDATE``; SQLite writers hold the database
    lock), so two changes to one list cannot overwrite each other's bit.
    """
    session.refresh(status_list, with_for_update=True)
    if core.get_bit(status_list.bits, index) == value:
        return False
    status_list.bits = core.set_bit(status_list.bits, index, value)
    sign_list(status_list, keys, now)
    session.flush()
    return True


def get_list(session: Session, purpose: str, list_id: str) -> StatusList | None:
    if purpose not in STATUS_PURPOSES:
        return None
    return session.scalar(
        select(StatusList).where(StatusList.purpose == purpose, StatusList.list_id == list_id)
    )
