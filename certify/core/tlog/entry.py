"""certify's log leaf: ``log_entry``, RFC 8785 canonical JSON without personal data, and the
events and status reason categories it may record."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from certify.core.tlog.errors import LogEntryError


class LogEvent(StrEnum):
    """What a log entry records."""

    ISSUED = "issued"
    SUSPENDED = "suspended"
    REINSTATED = "reinstated"
    WITHDRAWN = "withdrawn"
    SUPERSEDED = "superseded"
    EXPIRED = "expired"
    CREDENTIAL_KEY_ADDED = "credential_key_added"
    SIGNING_CERT_ADDED = "signing_cert_added"


#: Why a certificate's status changed (the public contract's list, in its order).
REASON_CATEGORIES = (
    "critical_nonconformity",
    "major_nonconformity",
    "surveillance_not_done",
    "holder_request",
    "misuse_of_certificate",
    "fraud",
    "administrative",
    "other",
)
"""Status reason categories of the public contract (DESIGN.md, API conventions)."""

CERTIFICATE_EVENTS = frozenset(
    {
        LogEvent.ISSUED,
        LogEvent.SUSPENDED,
        LogEvent.REINSTATED,
        LogEvent.WITHDRAWN,
        LogEvent.SUPERSEDED,
        LogEvent.EXPIRED,
    }
)
KEY_EVENTS = frozenset({LogEvent.CREDENTIAL_KEY_ADDED, LogEvent.SIGNING_CERT_ADDED})
LOG_ENTRY_VERSION = 1

# Which fields each event needs (True), allows (None) or forbids (False):
# (serial, credential_hash, reason_category, key_id).
_FIELD_RULES: dict[LogEvent, tuple[bool | None, bool | None, bool | None, bool | None]] = {
    # An issuance binds the serial to the exact signed credential, and names its key.
    LogEvent.ISSUED: (True, True, False, True),
    # Suspending or withdrawing always says why, in a category (never free text: it is public).
    LogEvent.SUSPENDED: (True, None, True, None),
    LogEvent.WITHDRAWN: (True, None, True, None),
    LogEvent.REINSTATED: (True, None, None, None),
    LogEvent.SUPERSEDED: (True, None, None, None),
    # An expiry follows from the date: there is no reason category to give.
    LogEvent.EXPIRED: (True, None, False, None),
    # Key events name the key (credential key id, or signing certificate fingerprint).
    LogEvent.CREDENTIAL_KEY_ADDED: (False, False, False, True),
    LogEvent.SIGNING_CERT_ADDED: (False, False, False, True),
}
_SERIAL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}")
_HEX64_RE = re.compile(r"[0-9a-f]{64}")
_TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


@dataclass(frozen=True)
class LogEntry:
    """A parsed log entry."""

    index: int
    time: datetime
    event: LogEvent
    serial: str | None
    credential_hash: str | None
    reason_category: str | None
    key_id: str | None


def _format_time(value: datetime) -> str:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise LogEntryError("the time must be a timezone-aware datetime")
    # Whole seconds: the entry is a public record, not a precise clock reading.
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_entry_fields(
    index: Any,
    event: Any,
    serial: Any,
    credential_hash: Any,
    reason_category: Any,
    key_id: Any,
) -> LogEvent:
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index <= 2**53 - 1:
        raise LogEntryError("the index must be a non-negative integer (I-JSON range)")
    try:
        kind = LogEvent(event)
    except (TypeError, ValueError) as exc:
        raise LogEntryError(f"unknown event {event!r}") from exc
    values = {
        "serial": serial,
        "credential_hash": credential_hash,
        "reason_category": reason_category,
        "key_id": key_id,
    }
    for (field, value), rule in zip(values.items(), _FIELD_RULES[kind], strict=True):
        if rule is True and value is None:
            raise LogEntryError(f"a {kind} entry needs {field}")
        if rule is False and value is not None:
            raise LogEntryError(f"a {kind} entry has no {field}")
    if serial is not None and not (isinstance(serial, str) and _SERIAL_RE.fullmatch(serial)):
        raise LogEntryError("malformed serial")
    if credential_hash is not None and not (
        isinstance(credential_hash, str) and _HEX64_RE.fullmatch(credential_hash)
    ):
        raise LogEntryError("credential_hash must be a lowercase hex SHA-256")
    if reason_category is not None and not (
        isinstance(reason_category, str) and reason_category in REASON_CATEGORIES
    ):
        raise LogEntryError(f"unknown reason category {reason_category!r}")
    if key_id is not None and not (
        isinstance(key_id, str)
        and 0 < len(key_id) <= 200
        and key_id.isascii()
        and key_id.isprintable()
        and " " not in key_id
    ):
        raise LogEntryError("key_id must be printable ASCII without spaces, 1-200 characters")
    return kind


def log_entry(
    index: int,
    time: datetime,
    event: LogEvent | str,
    serial: str | None,
    credential_hash: str | None,
    reason_category: str | None,
    key_id: str | None,
) -> bytes:
    """The canonical bytes (RFC 8785 JSON) of the log leaf at *index*.

    The JSON object always has the keys ``v`` (format version 1), ``index``, ``time``
    (RFC 3339 UTC, whole seconds, ``Z``), ``event``, ``serial``, ``credential_hash``,
    ``reason_category`` and ``key_id``; absent values are ``null``. It holds no personal
    data: a serial, hashes, categories and key ids only. Which fields each event needs:

    ==========================  ======  ===============  ===============  ======
    event                       serial  credential_hash  reason_category  key_id
    ==========================  ======  ===============  ===============  ======
    issued                      yes     yes              null             yes
    suspended, withdrawn        yes     optional         yes              optional
    reinstated, superseded      yes     optional         optional         optional
    expired                     yes     optional         null             optional
    credential_key_added,
    signing_cert_added          null    null             null             yes
    ==========================  ======  ===============  ===============  ======

    *credential_hash* is lowercase hex SHA-256 (``certify.core.canonical.canonical_sha256``
    of the signed credential); *key_id* is the credential key id or the signing
    certificate's fingerprint.

    Raises:
        LogEntryError: a field is missing, forbidden for the event, or malformed; or *time*
            is naive.
    """
    kind = _check_entry_fields(index, event, serial, credential_hash, reason_category, key_id)
    # The RFC 8785 form of this one document, written directly: the keys in their sorted
    # (UTF-16) order, no spaces, an integer index, and strings the checks above kept to
    # printable ASCII, where RFC 8785 escapes only '"' and '\\' (as json.dumps does). A
    # general canonicaliser walking the dict cost more than the rest of an append.
    # tests/core/test_note.py checks it against canonical_json on random entries.
    return (
        f'{{"credential_hash":{_text(credential_hash)},"event":"{kind.value}",'
        f'"index":{int(index)},"key_id":{_text(key_id)},'
        f'"reason_category":{_text(reason_category)},"serial":{_text(serial)},'
        f'"time":"{_format_time(time)}","v":{LOG_ENTRY_VERSION}}}'
    ).encode("ascii")


def _text(value: str | None) -> str:
    """A checked entry field (printable ASCII) or None as RFC 8785 JSON."""
    return "null" if value is None else json.dumps(value)


def parse_log_entry(entry: bytes) -> LogEntry:
    """Parse and validate log entry bytes; they must be exactly what :func:`log_entry` makes.

    Raises:
        LogEntryError: not canonical JSON of a valid entry.
    """
    try:
        document = json.loads(entry)
    except (TypeError, ValueError, RecursionError) as exc:
        raise LogEntryError("the entry is not JSON") from exc
    expected_keys = {
        "v",
        "index",
        "time",
        "event",
        "serial",
        "credential_hash",
        "reason_category",
        "key_id",
    }
    if not isinstance(document, dict) or set(document) != expected_keys:
        raise LogEntryError("the entry does not have the log entry fields")
    if document["v"] != LOG_ENTRY_VERSION or isinstance(document["v"], bool):
        raise LogEntryError("unknown log entry version")
    time_text = document["time"]
    if not isinstance(time_text, str) or not _TIME_RE.fullmatch(time_text):
        raise LogEntryError("the time is not RFC 3339 UTC")
    try:
        time = datetime.strptime(time_text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise LogEntryError("the time is not a valid date") from exc
    rebuilt = log_entry(
        document["index"],
        time,
        document["event"],
        document["serial"],
        document["credential_hash"],
        document["reason_category"],
        document["key_id"],
    )
    if rebuilt != entry:
        raise LogEntryError("the entry is not in canonical form")
    return LogEntry(
        index=document["index"],
        time=time,
        event=LogEvent(document["event"]),
        serial=document["serial"],
        credential_hash=document["credential_hash"],
        reason_category=document["reason_category"],
        key_id=document["key_id"],
    )
