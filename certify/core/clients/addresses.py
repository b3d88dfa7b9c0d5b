"""Which addresses a webhook may be sent to: the server-side request forgery policy.

A client chooses the URL; the registry's server makes the request. Without a policy, a client
could make the registry talk to its own admin ports, the cloud metadata service or the office
network behind it. So a target must be ``https`` (or ``http``), on the default ports or above
1023, and *every* address its name resolves to must be public: no loopback, private, link-local,
shared (CGNAT), multicast, reserved or unspecified address, in IPv4 or IPv6 (IPv4-mapped IPv6
addresses are judged as the IPv4 they hold). The caller resolves the name (this module does no
I/O) and then connects to an address it checked, never to a fresh lookup, so a name that
changes its answer between check and use (DNS rebinding) gains nothing.

Tests and closed installations may allow internal targets through a setting an admin sets;
production never does by default.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL_LENGTH = 500

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(ValueError):
    """The URL or one of its addresses may not be a webhook target; the message says why."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    #: the path and query, as sent in the request line
    path: str


def parse_target(url: str, *, allow_http: bool = True) -> Target:
    """Split *url* into what a request needs.

    Raises:
        TargetRefused: not an absolute http(s) URL, with credentials, a fragment, or a
            port below 1024 other than 80 and 443.
    """
    if len(url) > MAX_URL_LENGTH:
        raise TargetRefused(f"the address is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"this is not a web address: {exc}") from exc
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise TargetRefused("the address must start with https:// and name a host")
    if parts.username or parts.password:
        raise TargetRefused("the address may not hold a user name or password")
    if parts.fragment:
        raise TargetRefused("the address may not hold a fragment (#...)")
    default = 443 if parts.scheme == "https" else 80
    port = port or default
    if port < 1024 and port not in (80, 443):
        raise TargetRefused(f"port {port} is not allowed (use 80, 443 or a port above 1023)")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname.lower(), port, path)


def literal_address(host: str) -> IPAddress | None:
    """*host* as an IP address when it is one (``[::1]`` without brackets), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def address_problem(address: IPAddress) -> str | None:
    """Why *address* is internal, or None when it is a public address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return "a loopback address"
    if address.is_private or (
        isinstance(address, ipaddress.IPv4Address)
        and address in ipaddress.IPv4Network("100.64.0.0/10")
    ):
        return "a private network address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast or address.is_reserved or address.is_unspecified:
        return "a reserved address"
    if not address.is_global:
        return "not a public address"
    return None


def check_addresses(
    host: str, addresses: Iterable[IPAddress], *, allow_internal: bool
) -> list[IPAddress]:
    """The addresses of *host* that may be used, all of them checked.

    Raises:
        TargetRefused: the name resolved to nothing, or (unless *allow_internal*) to any
            internal address: one is enough, a request could reach it.
    """
    found = list(addresses)
    if not found:
        raise TargetRefused(f"{host} does not resolve to any address")
    if not allow_internal:
        for address in found:
            problem = address_problem(address)
            if problem is not None:
                raise TargetRefused(
                    f"{host} resolves to {address}, {problem}: webhooks go only to public addresses"
                )
    return found
