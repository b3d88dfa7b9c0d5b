"""Status without the registry: saved status-list credentials, their age, and the honest answer
``certify-verify`` gives offline (issue 20).

A genuine certificate is only *valid* when its status is known: an offline check without
status information must not pass for one (a withdrawn certificate looks exactly like a valid
one). :func:`status_from_lists` reads saved ``BitstringStatusListCredential`` documents (as
served at ``/status/<purpose>/<list>``): each must carry a proof by one of the registry's
published credential keys, valid when it was signed, be issued by the registry and be the very
list the certificate names. The bits then say withdrawn (revocation) or suspended
(suspension); both clear means *active as of the list's signing time*. A renewal's
supersession sets no bit, so lists cannot show ``superseded``: only the registry can.

:func:`offline_outcome` turns a verification and that evidence into the verdict and the exit
code of the public contract: 0 valid with fresh status, 1 any other verdict, 3 genuine but
status unknown (no lists, or older than allowed), which ``accept_unknown`` turns into 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from certify.core.credentials.dates import parse_datetime
from certify.core.credentials.keydocs import key_resolver
from certify.core.credentials.proofs import verify_credential
from certify.core.credentials.statuslist import StatusListError, get_bit
from certify.core.credentials.urls import did_web_from_url
from certify.core.credentials.vocabulary import CredentialError
from certify.core.verification.model import CHECK_NAMES, Check, RegistryKeys, Verification

__all__ = [
    "EXIT_STATUS_UNKNOWN",
    "STATUS_UNKNOWN",
    "StatusEvidence",
    "StatusListUnusable",
    "offline_outcome",
    "status_from_lists",
]

#: certify-verify's exit code for a genuine document whose status is unknown.
EXIT_STATUS_UNKNOWN = 3
#: The verdict certify-verify reports then (never ``valid``: that needs status information).
STATUS_UNKNOWN = "status_unknown"
#: The bit of each purpose, and the status it means when set, in the order they count.
_PURPOSES = (("revocation", "withdrawn"), ("suspension", "suspended"))


class StatusListUnusable(ValueError):
    """A status-list document that is not a genuine list of this registry, or not one the
    certificate names; the message says which."""


@dataclass(frozen=True)
class StatusEvidence:
    """What saved status lists say: ``status`` ``active``, ``suspended``, ``withdrawn`` or
    None (not known), as of ``as_of`` (the oldest signing time among the lists used)."""

    status: str | None
    as_of: dt.datetime | None
    detail: str

    def age(self, now: dt.datetime) -> dt.timedelta | None:
        return None if self.as_of is None else max(now - self.as_of, dt.timedelta(0))


def status_from_lists(
    credential: Mapping[str, Any], lists: Sequence[Mapping[str, Any]], keys: RegistryKeys
) -> StatusEvidence:
    """The certificate's status according to the saved status-list credentials *lists*.

    Lists the certificate does not name are ignored (a folder of lists may be given).

    Raises:
        StatusListUnusable: a list the certificate names fails its proof, its issuer or its
            form, so nothing it says can be used.
    """
    entries = _entries(credential)
    found: dict[str, tuple[bool, dt.datetime]] = {}
    for document in lists:
        url = document.get("id")
        for purpose, (list_url, index) in entries.items():
            if url == list_url:
                found[purpose] = (_bit(document, purpose, index, keys), _signed_at(document))
    for purpose, status in _PURPOSES:
        # A set revocation bit is final (nothing leaves withdrawn), whatever the other list.
        if purpose in found and found[purpose][0]:
            when = found[purpose][1]
            return StatusEvidence(status, when, f"{status} (status list signed {_time(when)})")
    if len(found) < len(entries):
        missing = ", ".join(sorted(set(entries) - set(found)))
        return StatusEvidence(None, None, f"no saved status list for {missing}")
    oldest = min(when for _, when in found.values())
    return StatusEvidence(
        "active", oldest, f"not withdrawn or suspended (status lists signed {_time(oldest)})"
    )


def _entries(credential: Mapping[str, Any]) -> dict[str, tuple[str, int]]:
    """purpose → (status list URL, index) of the credential's ``credentialStatus``."""
    entries: dict[str, tuple[str, int]] = {}
    status = credential.get("credentialStatus")
    for entry in status if isinstance(status, list) else [status]:
        if not isinstance(entry, Mapping):
            continue
        purpose, url = entry.get("statusPurpose"), entry.get("statusListCredential")
        index = entry.get("statusListIndex")
        if isinstance(purpose, str) and isinstance(url, str) and str(index).isdigit():
            entries[purpose] = (url, int(str(index)))
    return entries


def _bit(document: Mapping[str, Any], purpose: str, index: int, keys: RegistryKeys) -> bool:
    """The bit at *index* of a status-list credential, after checking it is the registry's.

    Raises:
        StatusListUnusable: a bad proof, a key outside its window, another issuer, another
            purpose, or an unreadable list.
    """
    where = f"the status list {document.get('id')}"
    proof = verify_credential(document, key_resolver(keys.registry, keys.credential_keys))
    if not proof.ok:
        raise StatusListUnusable(f"{where} does not verify: {proof.reason}")
    signed_at = _signed_at(document)
    if not any(
        proof.verification_method is not None
        and proof.verification_method.endswith("#" + key.id)
        and key.valid_from <= signed_at
        and (key.valid_until is None or signed_at <= key.valid_until)
        for key in keys.credential_keys
    ):
        raise StatusListUnusable(f"{where} was signed with a key outside its validity window")
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if issuer_id != did_web_from_url(keys.registry):
        raise StatusListUnusable(f"{where} was issued by {issuer_id!r}, not by this registry")
    subject = document.get("credentialSubject")
    if not isinstance(subject, Mapping) or subject.get("statusPurpose") != purpose:
        raise StatusListUnusable(f"{where} is not a {purpose} list")
    try:
        return get_bit(str(subject.get("encodedList")), index)
    except (StatusListError, ValueError) as exc:
        raise StatusListUnusable(f"{where} cannot be read: {exc}") from exc


def _signed_at(document: Mapping[str, Any]) -> dt.datetime:
    try:
        return parse_datetime(str(document.get("validFrom")))
    except (CredentialError, ValueError) as exc:
        raise StatusListUnusable("a status list has no readable validFrom") from exc


def _time(moment: dt.datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def _age_words(age: dt.timedelta) -> str:
    hours = age.total_seconds() / 3600
    return f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.1f} days"


def offline_outcome(
    result: Verification,
    evidence: StatusEvidence | None,
    *,
    now: dt.datetime,
    max_age: dt.timedelta,
    accept_unknown: bool = False,
) -> tuple[Verification, int]:
    """The offline verdict and exit code: *result* (verified without the registry) with the
    ``status`` check and the verdict that *evidence* (None: no lists given) allows.

    Only a ``valid`` result is changed: tampered, untrusted and expired documents stay what
    they are (exit 1). A set bit makes it ``withdrawn`` or ``suspended`` (exit 1) however old
    the list. Status older than *max_age*, or none, gives :data:`STATUS_UNKNOWN` (exit 3, or
    0 with *accept_unknown*); the freshness line always says how old the status is.
    """
    if result.verdict != "valid":
        return result, 1
    if evidence is None:
        evidence = StatusEvidence(None, None, "no status information (offline, no --status)")
    age = evidence.age(now)
    fresh = age is not None and age <= max_age
    verdict, ok = STATUS_UNKNOWN, None
    detail = evidence.detail
    if evidence.status in ("withdrawn", "suspended"):
        verdict, ok = evidence.status, False
    elif evidence.status == "active" and fresh:
        verdict, ok = "valid", True
    elif evidence.status == "active":
        detail += f"; older than the {_age_words(max_age)} allowed (--max-status-age)"
    freshness = (
        "status unknown: offline, no status information"
        if age is None
        else f"status from lists signed {_age_words(age)} ago ({_time(evidence.as_of or now)})"
    )
    checks = {c.name: c for c in result.checks}
    checks["status"] = Check("status", ok, detail)
    updated = replace(
        result,
        verdict=verdict,
        checks=tuple(checks[name] for name in CHECK_NAMES),
        freshness=freshness,
    )
    if verdict == "valid" or (verdict == STATUS_UNKNOWN and accept_unknown):
        return updated, 0
    return updated, EXIT_STATUS_UNKNOWN if verdict == STATUS_UNKNOWN else 1
