"""The registry's URLs and identifiers as credentials name them: the normalised public URL,
did:web, verification methods, certificate and status-list addresses."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from certify.core.credentials.vocabulary import STATUS_PURPOSES, CredentialError

_LIST_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)


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
