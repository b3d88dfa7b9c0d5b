"""The certificate as a W3C Verifiable Credential 2.0, signed with ``eddsa-jcs-2022``.

Building (:func:`build_credential`), signing (:func:`sign_credential`) and checking
(:func:`verify_credential`) a credential, and the documents that publish the keys:
:func:`did_document` (``/.well-known/did.json``) and :func:`key_export`
(``/.well-known/certify/keys.json``, ``keys export``).

Decisions worth knowing:

- ``@context`` is only ``https://www.w3.org/ns/credentials/v2``. The VC 2.0 base context has
  ``"@vocab": "https://www.w3.org/ns/credentials/issuer-dependent#"``, so our own terms
  (``ImpactSourcingCertificate``, ``overallScore``, ``transparencyLog`` ...) are valid JSON-LD
  without a context of our own, and ``eddsa-jcs-2022`` signs the JSON (RFC 8785) rather than
  an RDF graph, so no context is ever fetched to verify. The VC spec encourages a published
  vocabulary for production; adding one later means a new ``@context`` entry (and so a new
  signature), not a format change.
- The proof follows W3C "Data Integrity EdDSA Cryptosuites v1.0", section
  ``eddsa-jcs-2022``: the proof options get the document's ``@context``, the signed bytes are
  SHA-256(JCS(proof options)) || SHA-256(JCS(document without proof)), and ``proofValue`` is
  ``z`` + base58btc(Ed25519 signature). The W3C test vector is reproduced byte for byte in
  ``tests/core/test_credential.py``.
- The transparency-log position is a top-level property (it describes the credential, not
  the certified organisation): ``"transparencyLog": {"index": <int>, "origin": <str>}``.
- ``issuer.id`` and ``verificationMethod`` use did:web (:func:`did_web_from_url`).
"""

from __future__ import annotations

import copy
import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from certify.core.canonical import CanonicalizationError, canonical_json
from certify.core.keys import CredentialKey, public_key_from_raw
from certify.core.multibase import (
    MultibaseError,
    ed25519_public_from_multikey,
    multibase_decode,
    multibase_encode,
)

logger = logging.getLogger(__name__)

VC_CONTEXT_V2 = "https://www.w3.org/ns/credentials/v2"
DID_CONTEXTS = ("https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1")
CREDENTIAL_TYPE = "ImpactSourcingCertificate"
PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
PROOF_PURPOSE = "assertionMethod"
STATUS_PURPOSES = ("revocation", "suspension")

_PROOF_KEYS = frozenset(
    {
        "type",
        "cryptosuite",
        "created",
        "verificationMethod",
        "proofPurpose",
        "proofValue",
        "@context",
    }
)
# XML Schema dateTimeStamp (a date-time with a required zone), as Data Integrity requires.
_DATETIME_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})", re.ASCII
)
_LIST_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)
_SERIAL_RE = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)+", re.ASCII)
_SHA256_RE = re.compile(r"[0-9a-f]{64}", re.ASCII)
_DECIMAL_RE = re.compile(r"-?\d+(?:\.\d+)?", re.ASCII)
_COUNTRY_RE = re.compile(r"[A-Z]{2}", re.ASCII)
# An Ed25519 signature is 64 bytes: about 88 base58 characters.
_MAX_PROOF_VALUE = 128


class CredentialError(ValueError):
    """Input cannot make a well-formed credential (bad snapshot, URL, key list...)."""


# --------------------------------------------------------------------------- URLs and ids


def normalise_public_url(public_url: str) -> str:
    """Return the registry origin (plus optional path) in a stable form.

    Lower-cases scheme and host, drops a default port and any trailing ``/``.

    Raises:
        CredentialError: unless *public_url* is an ``http``/``https`` URL with a host and
            no user info, query or fragment.
    """
    if not isinstance(public_url, str):
        raise CredentialError("the public URL must be a string")
    try:
        parts = urlsplit(public_url.strip())
        port = parts.port
    except ValueError as exc:
        raise CredentialError(f"not a valid URL: {public_url!r}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise CredentialError(
            f"the public URL must be http(s)://host[:port][/path]: {public_url!r}"
        )
    if parts.username is not None or parts.query or parts.fragment:
        raise CredentialError("the public URL must not hold user info, a query or a fragment")
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        host = f"{host}:{port}"
    path = parts.path.rstrip("/")
    return f"{scheme}://{host}{path}"


def did_web_from_url(public_url: str) -> str:
    """Return the did:web identifier of the registry at *public_url*.

    Per the did:web method: the host (IDNA-encoded), a port as ``%3A<port>``, and each path
    segment appended after ``:``. ``https://registry.example`` gives
    ``did:web:registry.example`` (resolved at ``/.well-known/did.json``);
    ``http://127.0.0.1:5000`` gives ``did:web:127.0.0.1%3A5000``;
    ``https://example.org/isr`` gives ``did:web:example.org:isr`` (resolved at
    ``/isr/did.json``). did:web resolvers fetch over HTTPS only, so a plain-http development
    origin yields an identifier only our own verifier (with pinned keys) can use.

    Raises:
        CredentialError: if *public_url* is not acceptable (see :func:`normalise_public_url`).
    """
    parts = urlsplit(normalise_public_url(public_url))
    hostname = parts.hostname or ""
    try:
        host = hostname.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise CredentialError(f"host name cannot be encoded: {hostname!r}") from exc
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None:
        host = f"{host}%3A{parts.port}"
    segments = [quote(seg, safe="!$&'()*+,;=@%-._~") for seg in parts.path.split("/") if seg]
    return ":".join(["did:web", quote(host, safe="[]%.-_~"), *segments])


def verification_method_id(public_url: str, key_id: str) -> str:
    """Return ``did:web:<host>#<key id>``, the ``verificationMethod`` of a credential key."""
    return f"{did_web_from_url(public_url)}#{key_id}"


def certificate_url(public_url: str, serial: str) -> str:
    """Return ``<public url>/certificates/<serial>``, the credential's ``id``."""
    return f"{normalise_public_url(public_url)}/certificates/{serial}"


def status_list_url(public_url: str, purpose: str, list_id: str) -> str:
    """Return ``<public url>/status/<purpose>/<list>``, a status-list credential's address.

    Raises:
        CredentialError: for an unknown purpose or a list id that is not URL-safe.
    """
    if purpose not in STATUS_PURPOSES:
        raise CredentialError(f"status purpose must be one of {STATUS_PURPOSES}, not {purpose!r}")
    if not isinstance(list_id, str) or not _LIST_ID_RE.fullmatch(list_id):
        raise CredentialError("a status list id is 1-64 characters of A-Z, a-z, 0-9, _ and -")
    return f"{normalise_public_url(public_url)}/status/{purpose}/{list_id}"


# --------------------------------------------------------------------------- dates


def format_datetime(value: datetime) -> str:
    """RFC 3339 in UTC with ``Z``, to the second: ``2025-01-31T09:30:00Z``.

    Sub-second parts are dropped. Raises ValueError for a naive datetime.
    """
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError("a timezone-aware datetime is required")
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(text: str) -> datetime:
    """Parse an XML Schema ``dateTimeStamp`` / RFC 3339 date-time (zone required) to UTC.

    Raises:
        ValueError: for anything else (a bare date, a missing zone, a non-string).
    """
    if not isinstance(text, str) or not _DATETIME_RE.fullmatch(text):
        raise ValueError(f"not an RFC 3339 date-time with a time zone: {text!r}")
    # fromisoformat takes at most 6 fractional digits; extra precision is meaningless here.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except (ValueError, OverflowError) as exc:  # month 13; 9999-12-31T23:59:59-01:00
        raise ValueError(f"not a valid date-time: {text!r}") from exc


def _credential_datetime(value: object, name: str) -> str:
    """Validate a snapshot date-time and return it as ``YYYY-MM-DDTHH:MM:SSZ``."""
    try:
        moment = value if isinstance(value, datetime) else parse_datetime(value)  # type: ignore[arg-type]
        if moment.tzinfo is None:
            raise ValueError("naive datetime")
    except ValueError as exc:
        raise CredentialError(f"{name} must be an RFC 3339 date-time with a time zone") from exc
    if moment.microsecond:
        # Refuse rather than truncate: the credential must say exactly what the record says.
        raise CredentialError(f"{name} must be a whole second")
    return format_datetime(moment)


# --------------------------------------------------------------------------- building


def _field(mapping: object, key: str, where: str) -> Any:
    if not isinstance(mapping, Mapping):
        raise CredentialError(f"{where} must be an object")
    if key not in mapping:
        raise CredentialError(f"{where} is missing {key!r}")
    return mapping[key]


def _text(mapping: object, key: str, where: str, *, empty: bool = False) -> str:
    value = _field(mapping, key, where)
    if not isinstance(value, str) or (not empty and not value.strip()):
        raise CredentialError(f"{where}.{key} must be a non-empty string")
    return value


def _country(mapping: object, where: str) -> str:
    value = _text(mapping, "country", where)
    if not _COUNTRY_RE.fullmatch(value):
        raise CredentialError(f"{where}.country must be an ISO 3166-1 alpha-2 code such as 'KE'")
    return value


def _number(value: object, where: str) -> str | int:
    # Scores stay exact: decimal strings or integers, never floats (no binary drift).
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise CredentialError(f"{where} must be a finite number")
        return str(value)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise CredentialError(f"{where} must be a decimal string or an integer, not a float")
    if isinstance(value, str) and not _DECIMAL_RE.fullmatch(value):
        raise CredentialError(f"{where} must be a decimal number such as '82.50'")
    return value


def _status_entries(public_url: str, entries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if not isinstance(entries, Sequence) or isinstance(entries, str):
        raise CredentialError("status_entries must be a list")
    by_purpose: dict[str, dict[str, Any]] = {}
    for entry in entries:
        purpose = _field(entry, "purpose", "status entry")
        list_id = _field(entry, "list_id", "status entry")
        index = _field(entry, "index", "status entry")
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise CredentialError("status entry index must be a non-negative integer")
        list_url = status_list_url(public_url, purpose, list_id)
        if purpose in by_purpose:
            raise CredentialError(f"two status entries for {purpose!r}")
        by_purpose[purpose] = {
            "id": f"{list_url}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": purpose,
            # The Bitstring Status List spec requires the index as a base-10 string.
            "statusListIndex": str(index),
            "statusListCredential": list_url,
        }
    missing = [p for p in STATUS_PURPOSES if p not in by_purpose]
    if missing:
        raise CredentialError(f"missing status entries for {', '.join(missing)}")
    return [by_purpose[p] for p in STATUS_PURPOSES]


def build_credential(
    snapshot: Mapping[str, Any],
    *,
    public_url: str,
    issuer_name: str,
    status_entries: Sequence[Mapping[str, Any]],
    log_index: int | None = None,
    log_origin: str | None = None,
) -> dict[str, Any]:
    """Return the unsigned W3C VC 2.0 document of a certificate.

    Args:
        snapshot: the certificate record's immutable snapshot with keys ``serial``,
            ``holder`` {``name``, ``country``}, ``sites`` [{``name``, ``address``,
            ``country``}], ``scope``, ``standard`` {``id``, ``version``, ``sha256``, ...},
            ``level``, ``overallScore`` (decimal string), ``sectionScores`` [{``id``,
            ``title``, ``weight``, ``score``}], ``validFrom``, ``validUntil`` (RFC 3339
            strings or aware datetimes, whole seconds). Other keys (``issuedOn``,
            ``surveillanceDue``, ``publicUrl``, ``standard.title`` ...) are ignored.
        public_url: the registry origin; fixes ``id``, ``issuer.id`` and status URLs.
        issuer_name: the certification body's name (``issuer.name``).
        status_entries: exactly one ``{"purpose": "revocation", "list_id": str, "index":
            int}`` and one for ``"suspension"``.
        log_index: the issuance entry's index in the transparency log, if known.
        log_origin: the log's checkpoint origin line, stored beside ``log_index``.

    Returns:
        A new dict; nothing in it aliases *snapshot*.

    Raises:
        CredentialError: naming the first field that is missing or malformed.
    """
    base = normalise_public_url(public_url)
    if not isinstance(issuer_name, str) or not issuer_name.strip():
        raise CredentialError("issuer_name must be a non-empty string")
    serial = _text(snapshot, "serial", "snapshot")
    if not _SERIAL_RE.fullmatch(serial):
        raise CredentialError("snapshot.serial must be a canonical serial such as ISR-XXXX-...")
    holder = _field(snapshot, "holder", "snapshot")
    sites_in = _field(snapshot, "sites", "snapshot")
    if not isinstance(sites_in, Sequence) or isinstance(sites_in, str):
        raise CredentialError("snapshot.sites must be a list")
    sites = [
        {
            "name": _text(site, "name", f"sites[{i}]"),
            "address": _text(site, "address", f"sites[{i}]"),
            "country": _country(site, f"sites[{i}]"),
        }
        for i, site in enumerate(sites_in)
    ]
    standard = _field(snapshot, "standard", "snapshot")
    sha = _text(standard, "sha256", "standard")
    if not _SHA256_RE.fullmatch(sha):
        raise CredentialError("standard.sha256 must be 64 lower-case hex digits")
    sections_in = _field(snapshot, "sectionScores", "snapshot")
    if not isinstance(sections_in, Sequence) or isinstance(sections_in, str):
        raise CredentialError("snapshot.sectionScores must be a list")
    sections = [
        {
            "id": _text(section, "id", f"sectionScores[{i}]"),
            "title": _text(section, "title", f"sectionScores[{i}]"),
            "weight": _number(_field(section, "weight", "section"), f"sectionScores[{i}].weight"),
            "score": _number(_field(section, "score", "section"), f"sectionScores[{i}].score"),
        }
        for i, section in enumerate(sections_in)
    ]
    valid_from = _credential_datetime(_field(snapshot, "validFrom", "snapshot"), "validFrom")
    valid_until = _credential_datetime(_field(snapshot, "validUntil", "snapshot"), "validUntil")
    if parse_datetime(valid_until) <= parse_datetime(valid_from):
        raise CredentialError("validUntil must be after validFrom")

    document: dict[str, Any] = {
        "@context": [VC_CONTEXT_V2],
        "id": certificate_url(base, serial),
        "type": ["VerifiableCredential", CREDENTIAL_TYPE],
        "issuer": {"id": did_web_from_url(base), "name": issuer_name},
        "validFrom": valid_from,
        "validUntil": valid_until,
        "credentialSubject": {
            "name": _text(holder, "name", "holder"),
            "country": _country(holder, "holder"),
            "sites": sites,
            "scope": _text(snapshot, "scope", "snapshot"),
            "standard": {
                "id": _text(standard, "id", "standard"),
                "version": _text(standard, "version", "standard"),
                "sha256": sha,
            },
            "level": _text(snapshot, "level", "snapshot"),
            "overallScore": _number(_field(snapshot, "overallScore", "snapshot"), "overallScore"),
            "sectionScores": sections,
            "serial": serial,
        },
        "credentialStatus": _status_entries(base, status_entries),
    }
    if log_index is not None:
        if isinstance(log_index, bool) or not isinstance(log_index, int) or log_index < 0:
            raise CredentialError("log_index must be a non-negative integer")
        log: dict[str, Any] = {"index": log_index}
        if log_origin is not None:
            if not isinstance(log_origin, str) or not log_origin or "\n" in log_origin:
                raise CredentialError("log_origin must be a one-line string")
            log["origin"] = log_origin
        document["transparencyLog"] = log
    elif log_origin is not None:
        raise CredentialError("log_origin given without log_index")
    # Fail here, at issuance, rather than at verification if something cannot be canonical.
    try:
        canonical_json(document)
    except CanonicalizationError as exc:  # pragma: no cover - the checks above prevent it
        raise CredentialError(f"credential cannot be canonicalised: {exc}") from exc
    return document


# --------------------------------------------------------------------------- proofs


def proof_configuration(
    document: Mapping[str, Any], proof_options: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the proof configuration of vc-di-eddsa "Proof Configuration (eddsa-jcs-2022)":
    a copy of *proof_options* (without ``proofValue``) whose ``@context`` is the document's.
    """
    config = {k: copy.deepcopy(v) for k, v in proof_options.items() if k != "proofValue"}
    if "@context" in document:
        config["@context"] = copy.deepcopy(document["@context"])
    return config


def hash_data(unsecured_document: Mapping[str, Any], proof_config: Mapping[str, Any]) -> bytes:
    """Return the 64 bytes that are signed: SHA-256(JCS(proof_config)) ||
    SHA-256(JCS(unsecured_document)) ("Hashing (eddsa-jcs-2022)").

    Raises:
        CanonicalizationError: when either cannot be expressed as canonical JSON.
    """
    proof_hash = hashlib.sha256(canonical_json(dict(proof_config))).digest()
    document_hash = hashlib.sha256(canonical_json(dict(unsecured_document))).digest()
    return proof_hash + document_hash


def sign_credential(
    document: Mapping[str, Any],
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: datetime,
) -> dict[str, Any]:
    """Return a copy of *document* with an ``eddsa-jcs-2022`` Data Integrity proof.

    The proof is ``{"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022",
    "created", "verificationMethod", "proofPurpose": "assertionMethod", "@context",
    "proofValue"}``, with ``created`` formatted by :func:`format_datetime` (UTC, seconds).
    Ed25519 is deterministic: the same inputs give the same proof. Inputs are not mutated.

    Raises:
        CredentialError: when *document* already has a proof (proof sets are not made here),
            has no ``@context``, or cannot be canonicalised; ValueError for a naive *created*.
    """
    if not isinstance(document, Mapping):
        raise CredentialError("the document must be a JSON object")
    if "proof" in document:
        raise CredentialError("the document already has a proof")
    if "@context" not in document:
        raise CredentialError("the document has no @context")
    if not isinstance(verification_method, str) or not verification_method:
        raise CredentialError("verification_method must be a non-empty string")
    unsecured = copy.deepcopy(dict(document))
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": format_datetime(created),
        "verificationMethod": verification_method,
        "proofPurpose": PROOF_PURPOSE,
    }
    proof = proof_configuration(unsecured, proof)
    try:
        signed_bytes = hash_data(unsecured, proof)
    except CanonicalizationError as exc:
        raise CredentialError(f"the document cannot be canonicalised: {exc}") from exc
    proof["proofValue"] = multibase_encode(private_key.sign(signed_bytes), "z")
    unsecured["proof"] = proof
    return unsecured


@dataclass(frozen=True)
class ProofCheck:
    """Outcome of :func:`verify_credential`.

    ``ok`` is True only when the signature verified; ``reason`` says why not, in plain words
    (or ``"signature verified"``). ``verification_method`` and ``created`` are filled from the
    proof whenever they could be read, even when ``ok`` is False.
    """

    ok: bool
    reason: str
    verification_method: str | None = None
    created: datetime | None = None


KeyResolver = Callable[[str], Ed25519PublicKey | None]


def verify_credential(document: object, resolve_key: KeyResolver) -> ProofCheck:
    """Check the ``eddsa-jcs-2022`` proof of *document*.

    Follows vc-di-eddsa "Verify Proof (eddsa-jcs-2022)", with these stricter rules:
    exactly one proof object (no proof sets or chains); ``created`` is required;
    ``proofPurpose`` must be ``assertionMethod``; a proof ``@context``, if present, must equal
    the document's (the spec allows the document to extend it, but an appended context could
    redefine terms the signer never saw); unknown proof properties (``expires``, ``domain``,
    ``previousProof``...) are refused rather than silently ignored.

    It checks the signature only: whether the key is current, the issuer is this registry
    and the certificate is in force are separate checks.

    Args:
        document: the parsed JSON credential (anything: hostile input is expected).
        resolve_key: maps a ``verificationMethod`` string to an Ed25519 public key, or None
            when unknown. If it raises, the check fails (and the error is logged).

    Returns:
        A :class:`ProofCheck`. Never raises for any *document*.
    """
    try:
        return _verify(document, resolve_key)
    except RecursionError:
        return ProofCheck(False, "the document is nested too deeply")


def _verify(document: object, resolve_key: KeyResolver) -> ProofCheck:
    if not isinstance(document, Mapping):
        return ProofCheck(False, "the credential is not a JSON object")
    if "proof" not in document:
        return ProofCheck(False, "the credential has no proof")
    proof = document["proof"]
    if not isinstance(proof, Mapping):
        return ProofCheck(False, "the credential must carry exactly one proof object")
    method = proof.get("verificationMethod")
    method = method if isinstance(method, str) and method else None
    created: datetime | None = None
    try:
        created = parse_datetime(proof.get("created"))  # type: ignore[arg-type]
    except ValueError:
        created = None

    def fail(reason: str) -> ProofCheck:
        return ProofCheck(False, reason, method, created)

    unknown = sorted(str(k) for k in proof if k not in _PROOF_KEYS)
    if unknown:
        return fail(f"the proof has unsupported properties: {', '.join(unknown)}")
    if proof.get("type") != PROOF_TYPE:
        return fail(f"the proof type must be {PROOF_TYPE}")
    if proof.get("cryptosuite") != CRYPTOSUITE:
        return fail(f"the proof cryptosuite must be {CRYPTOSUITE}")
    if proof.get("proofPurpose") != PROOF_PURPOSE:
        return fail(f"the proof purpose must be {PROOF_PURPOSE}")
    if method is None:
        return fail("the proof names no verification method")
    if created is None:
        return fail("the proof has no valid 'created' date-time")
    if "@context" not in document:
        return fail("the credential has no @context")
    if "@context" in proof and proof["@context"] != document["@context"]:
        return fail("the proof's @context differs from the credential's")
    proof_value = proof.get("proofValue")
    if not isinstance(proof_value, str) or len(proof_value) > _MAX_PROOF_VALUE:
        return fail("the proof value is missing or malformed")
    try:
        signature = multibase_decode(proof_value, expected="z")
    except MultibaseError:
        return fail("the proof value is not base58btc multibase")
    if len(signature) != 64:
        return fail("the proof value is not an Ed25519 signature")

    unsecured = {k: v for k, v in document.items() if k != "proof"}
    config = proof_configuration(unsecured, proof)
    try:
        signed_bytes = hash_data(unsecured, config)
    except CanonicalizationError:
        return fail("the credential cannot be canonicalised (RFC 8785)")

    try:
        key = resolve_key(method)
    except Exception:  # the resolver is caller code fed hostile input: fail closed
        logger.warning("key resolver raised for %r", method, exc_info=True)
        return fail("the signing key could not be looked up")
    if key is None:
        return fail("the signing key is not one of this registry's keys")
    if not isinstance(key, Ed25519PublicKey):
        return fail("the signing key is not an Ed25519 key")
    try:
        key.verify(signature, signed_bytes)
    except InvalidSignature:
        return fail("the signature does not match: the credential was changed after signing")
    return ProofCheck(True, "signature verified", method, created)


# --------------------------------------------------------------------------- key documents


def _unique_keys(keys: Iterable[CredentialKey]) -> list[CredentialKey]:
    listed = sorted(keys, key=lambda k: (k.valid_from, k.id))
    ids = [k.id for k in listed]
    if len(set(ids)) != len(ids):
        raise CredentialError("two credential keys share a key id")
    return listed


def key_resolver(public_url: str, keys: Iterable[CredentialKey]) -> KeyResolver:
    """Return a resolver for :func:`verify_credential` that knows exactly *keys*
    (as ``did:web:<host>#<key id>``) and answers None for anything else."""
    table = {verification_method_id(public_url, k.id): k.public_key for k in _unique_keys(keys)}
    return table.get


def did_document(public_url: str, keys: Iterable[CredentialKey]) -> dict[str, Any]:
    """Return the DID document served at ``/.well-known/did.json``.

    Every key (retired ones included, so old credentials keep verifying) is a ``Multikey``
    verification method ``did:web:<host>#<key id>`` listed under ``assertionMethod``. Key
    validity windows are left out on purpose: the only standard property, Multikey
    ``expires``, tells verifiers to stop accepting the key altogether, which would break
    every credential a retired key signed. The windows are in :func:`key_export`.

    Raises:
        CredentialError: for a bad *public_url* or two keys with the same id.
    """
    did = did_web_from_url(public_url)
    methods = [
        {
            "id": f"{did}#{k.id}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": k.public_key_multibase,
        }
        for k in _unique_keys(keys)
    ]
    return {
        "@context": list(DID_CONTEXTS),
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
    }


def key_export(
    public_url: str,
    root_ca_pem: str | bytes,
    keys: Iterable[CredentialKey],
    log_key: str | None,
) -> dict[str, Any]:
    """Return the key export a verifier pins (DESIGN.md "Key export").

    ``{"registry": <public url>, "root_ca_pem": <PEM text>, "credential_keys": [{"id":
    "did:web:<host>#<key id>", "publicKeyMultibase", "valid_from", "valid_until"}],
    "log_key": <signed-note verifier key or null>}``. ``id`` is the full verification method
    so a verifier can match a proof's ``verificationMethod`` directly; times are RFC 3339
    UTC (``valid_until`` null while the key is current).

    Raises:
        CredentialError: for a bad URL, a PEM that is not a certificate, or duplicate keys.
    """
    base = normalise_public_url(public_url)
    pem = root_ca_pem.decode("ascii") if isinstance(root_ca_pem, bytes) else root_ca_pem
    if not isinstance(pem, str) or "-----BEGIN CERTIFICATE-----" not in pem:
        raise CredentialError("root_ca_pem must be a PEM certificate")
    if log_key is not None and (not isinstance(log_key, str) or not log_key):
        raise CredentialError("log_key must be a non-empty string or None")
    return {
        "registry": base,
        "root_ca_pem": pem,
        "credential_keys": [
            {
                "id": verification_method_id(base, k.id),
                "publicKeyMultibase": k.public_key_multibase,
                "valid_from": format_datetime(k.valid_from),
                "valid_until": format_datetime(k.valid_until) if k.valid_until else None,
            }
            for k in _unique_keys(keys)
        ],
        "log_key": log_key,
    }


def credential_keys_from_export(export: Mapping[str, Any]) -> list[CredentialKey]:
    """Read the credential keys back from a :func:`key_export` document (e.g. a pinned file).

    Raises:
        CredentialError: when the export is malformed or a key id does not match its key.
    """
    try:
        entries = export["credential_keys"]
        keys = []
        for entry in entries:
            raw = ed25519_public_from_multikey(entry["publicKeyMultibase"])
            until = entry.get("valid_until")
            key = CredentialKey.from_key(
                public_key_from_raw(raw),
                parse_datetime(entry["valid_from"]),
                parse_datetime(until) if until is not None else None,
            )
            if entry["id"] != verification_method_id(export["registry"], key.id):
                raise CredentialError(f"key id {entry['id']!r} does not match its public key")
            keys.append(key)
    except CredentialError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CredentialError(f"malformed key export: {exc}") from exc
    return keys
