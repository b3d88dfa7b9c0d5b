"""The root CA's certificate revocation list, as a file in the key folder (``root-ca.crl``).

Who signs it: the root itself (a direct CRL, understood by every validator), so the CRL is
made only when the root's private key is at hand: ``init`` (which creates the root), ``keys
rotate`` (which needs it to issue a document-signing certificate) and ``keys crl`` (to re-sign
before it runs out, or to revoke a document-signing certificate). A CRL lives ``CRL_DAYS``
(400 by default), longer than the yearly rotation, so an offline root is fetched about once a
year. The web app never signs it: it serves the file at ``/.well-known/certify/root.crl``, the
address every document-signing certificate names, and embeds it in each PDF it signs.

The CRL is its own state: a new one takes the previous one's number plus one and keeps every
revoked serial, so nothing else needs storing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from certify.core.pdf import pki

CRL_FILE = "root-ca.crl"
CRL_PATH = "/.well-known/certify/root.crl"


def crl_url(public_url: str) -> str:
    """The stable address of the root's CRL under *public_url*, named in signing certificates."""
    return public_url.rstrip("/") + CRL_PATH


def read_crl(folder: Path) -> bytes | None:
    """The current CRL (DER) in the key folder, or None when none was made yet."""
    try:
        return (folder / CRL_FILE).read_bytes()
    except FileNotFoundError:
        return None


def crl_next_update(der: bytes) -> dt.datetime | None:
    """When *der* runs out (its nextUpdate), or None when it cannot be read."""
    try:
        return x509.load_der_x509_crl(der).next_update_utc
    except ValueError:
        return None


def new_crl(
    previous: bytes | None,
    root_key: ec.EllipticCurvePrivateKey,
    root_cert: x509.Certificate,
    now: dt.datetime,
    *,
    days: int,
    revoke: Iterable[int] = (),
) -> bytes:
    """The next CRL after *previous* (number + 1, every revoked serial kept), revoking the
    serial numbers in *revoke* as of *now*; valid for *days* days.

    Raises:
        ValueError: *days* is not positive, or *previous* is not a CRL of this root.
        KeyMaterialError: *root_key* is not the root's key.
    """
    if days < 1:
        raise ValueError("CRL_DAYS must be at least 1")
    number, revoked = 1, {}
    if previous is not None:
        old = x509.load_der_x509_crl(previous)
        public = root_key.public_key()
        if old.issuer != root_cert.subject or not old.is_signature_valid(public):
            raise ValueError("the existing CRL was not signed by this registry's root")
        number_ext = old.extensions.get_extension_for_class(x509.CRLNumber)
        number = number_ext.value.crl_number + 1
        revoked = {entry.serial_number: entry.revocation_date_utc for entry in old}
    for serial in revoke:
        revoked.setdefault(serial, now)
    return pki.make_crl(
        root_key,
        root_cert,
        now,
        next_update=now + dt.timedelta(days=days),
        number=number,
        revoked=sorted(revoked.items()),
    )
