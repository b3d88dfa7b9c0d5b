"""X.509 keys and certificates for the signed certificate PDF.

The registry has one root CA (ECDSA P-256, 20 years; its private key is kept offline in
production) and document-signing certificates issued by it (ECDSA P-256, 10 years, rotated
yearly). Every PDF names its signing certificate and embeds the chain, so a PDF signed by a
retired signing certificate still validates against the root for as long as that certificate
is valid.

Choices that matter to verifiers (checked against NSS/``pdfsig`` and pyHanko, see
``shared/NOTES.md``):

- ECDSA P-256 + SHA-256: the one algorithm every PDF tool accepts (Ed25519 is refused by NSS).
- The signing certificate carries KeyUsage digitalSignature + nonRepudiation (pyHanko's
  validator requires nonRepudiation by default) and **no** ExtendedKeyUsage: NSS trusts a
  signer that has an EKU only when emailProtection is among them, and an absent EKU is
  accepted everywhere.
- The root is ``CA:TRUE`` (critical) with keyCertSign + cRLSign (critical).

Nothing here reads a clock, a file or the environment: ``now`` and passphrases are passed in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

__all__ = [
    "KeyMaterialError",
    "add_years",
    "cert_fingerprint",
    "certificate_pem",
    "certify_signing_key",
    "der_fingerprint",
    "load_certificate",
    "load_private_key",
    "make_crl",
    "make_root_ca",
    "make_signing_cert",
    "private_key_pem",
    "verify_issued_by",
]

# Certificates may be presented a little before the moment they were made (clocks of a
# verifier and of the issuing machine differ); a few minutes of back-dating avoids a fresh
# certificate being reported "not yet valid" without meaningfully extending its life.
_BACKDATE = timedelta(minutes=5)


class KeyMaterialError(ValueError):
    """Key or certificate material cannot be used: wrong or missing passphrase, not PEM,
    an unsupported key type, or a key that does not belong to its certificate."""


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime (UTC)")


def add_years(moment: datetime, years: int) -> datetime:
    """Return *moment* plus *years* calendar years (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def _name(common_name: str, organisation: str) -> x509.Name:
    if not common_name.strip() or not organisation.strip():
        raise ValueError("common_name and organisation must not be empty")
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        ]
    )


def make_root_ca(
    common_name: str, organisation: str, now: datetime, years: int = 20
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """Create a self-signed root CA: a new ECDSA P-256 key and its certificate.

    The certificate is valid from ``now`` (minus five minutes of clock-skew allowance) for
    *years* calendar years, has a random 159-bit serial, BasicConstraints ``CA:TRUE``
    (critical, no path length limit so a future intermediate stays possible), KeyUsage
    keyCertSign + cRLSign (critical) and a SubjectKeyIdentifier.

    Raises:
        ValueError: if *now* is naive, *years* is not positive, or a name is empty.
    """
    _require_aware(now)
    if years < 1:
        raise ValueError("years must be at least 1")
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(common_name, organisation)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(add_years(now, years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def make_signing_cert(
    root_key: ec.EllipticCurvePrivateKey,
    root_cert: x509.Certificate,
    common_name: str,
    organisation: str,
    now: datetime,
    years: int = 10,
    crl_url: str | None = None,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """Issue a document-signing certificate under the root: a new P-256 key and its certificate
    (:func:`certify_signing_key` on a key made here).

    Raises: as :func:`certify_signing_key`.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    return key, certify_signing_key(
        root_key, root_cert, key.public_key(), common_name, organisation, now, years, crl_url
    )


def certify_signing_key(
    root_key: ec.EllipticCurvePrivateKey,
    root_cert: x509.Certificate,
    public: ec.EllipticCurvePublicKey,
    common_name: str,
    organisation: str,
    now: datetime,
    years: int = 10,
    crl_url: str | None = None,
) -> x509.Certificate:
    """Issue a document-signing certificate under the root for the P-256 key *public* (made
    here, or in a PKCS#11 token whose private half never leaves it).

    Valid from ``now`` (minus five minutes) for *years* years, but never past the root's own
    end of validity (a chain is only as valid as its root). KeyUsage digitalSignature +
    nonRepudiation (critical), BasicConstraints ``CA:FALSE`` (critical), no ExtendedKeyUsage
    (see the module docstring), SubjectKeyIdentifier, AuthorityKeyIdentifier from the root's
    key, random serial. With *crl_url* (an http(s) address that stays stable for the
    certificate's life), a CRLDistributionPoints extension names where the root's CRL is
    published, so a validator that requires revocation information finds it (PAdES B-LT).

    Raises:
        KeyMaterialError: if *root_key* is not the key of *root_cert* or is not a P-256 key,
            *root_cert* is not a CA, or *public* is not a P-256 key.
        ValueError: if *now* is naive or outside the root's validity, *years* is not
            positive, or a name is empty.
    """
    _require_aware(now)
    if years < 1:
        raise ValueError("years must be at least 1")
    if not isinstance(public, ec.EllipticCurvePublicKey) or not isinstance(
        public.curve, ec.SECP256R1
    ):
        raise KeyMaterialError("a document-signing key is an ECDSA P-256 key")
    root_start, root_end = _root_validity(root_key, root_cert, now)
    not_after = min(add_years(now, years), root_end)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organisation))
        .issuer_name(root_cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(max(now - _BACKDATE, root_start))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # = nonRepudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
    )
    if crl_url is not None:
        if not crl_url.startswith(("https://", "http://")):
            raise ValueError("crl_url must be an http(s) address")
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    return builder.sign(root_key, hashes.SHA256())


def make_crl(
    root_key: ec.EllipticCurvePrivateKey,
    root_cert: x509.Certificate,
    now: datetime,
    *,
    next_update: datetime,
    number: int,
    revoked: Sequence[tuple[int, datetime]] = (),
) -> bytes:
    """The root's CRL (DER), signed by the root key itself: a direct CRL, which every
    validator understands (pyHanko, NSS, OpenSSL), rather than an indirect CRL issuer that
    few support. The root key is offline in production, so the CRL is made whenever it is at
    hand (``init``, ``keys rotate``, ``keys crl``) and lives until *next_update*, longer than
    the time between rotations.

    *revoked* lists (serial number, revocation time) of revoked document-signing
    certificates; *number* is the CRL number (monotonic). thisUpdate is *now* minus five
    minutes (clock skew, as for certificates).

    Raises:
        KeyMaterialError: *root_key* is not the root's P-256 key, or the root is not a CA.
        ValueError: *now* is naive or outside the root's validity, *next_update* is not after
            *now*, or *number* is negative.
    """
    _require_aware(now)
    _root_validity(root_key, root_cert, now)
    if next_update <= now:
        raise ValueError("next_update must come after now")
    if number < 0:
        raise ValueError("the CRL number must not be negative")
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root_cert.subject)
        .last_update(now - _BACKDATE)
        .next_update(next_update)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
    )
    for serial, when in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
        )
    return builder.sign(root_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _root_validity(
    root_key: ec.EllipticCurvePrivateKey, root_cert: x509.Certificate, now: datetime
) -> tuple[datetime, datetime]:
    """The root's validity (start, end), after checking it can issue at *now*.

    Raises:
        KeyMaterialError: *root_key* is not a P-256 key of *root_cert*, or it is not a CA.
        ValueError: *now* is outside the root's validity.
    """
    if not isinstance(root_key, ec.EllipticCurvePrivateKey) or not isinstance(
        root_key.curve, ec.SECP256R1
    ):
        raise KeyMaterialError("the root key must be an ECDSA P-256 private key")
    if root_key.public_key() != root_cert.public_key():
        raise KeyMaterialError("the root key does not belong to the root certificate")
    try:
        constraints = root_cert.extensions.get_extension_for_class(x509.BasicConstraints)
    except x509.ExtensionNotFound as exc:
        raise KeyMaterialError("the root certificate has no BasicConstraints") from exc
    if not constraints.value.ca:
        raise KeyMaterialError("the root certificate is not a CA (CA:FALSE)")
    root_start, root_end = root_cert.not_valid_before_utc, root_cert.not_valid_after_utc
    if not root_start <= now < root_end:
        raise ValueError("now is outside the root certificate's validity")
    return root_start, root_end


def private_key_pem(
    key: ec.EllipticCurvePrivateKey, passphrase: str | bytes | None = None
) -> bytes:
    """Serialise *key* as PKCS#8 PEM, encrypted with *passphrase* when one is given.

    Raises:
        ValueError: if *passphrase* is empty (an empty passphrase is a mistake, not a choice;
            pass ``None`` for an unencrypted key).
    """
    encryption: serialization.KeySerializationEncryption
    if passphrase is None:
        encryption = serialization.NoEncryption()
    else:
        secret = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
        if not secret:
            raise ValueError("passphrase must not be empty; pass None for no encryption")
        encryption = serialization.BestAvailableEncryption(secret)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def load_private_key(
    pem: bytes, passphrase: str | bytes | None = None
) -> ec.EllipticCurvePrivateKey:
    """Load an ECDSA private key from PEM, decrypting it with *passphrase* if it is encrypted.

    Raises:
        KeyMaterialError: with a message that says which: the key is encrypted and no
            passphrase was given, the passphrase is wrong, a passphrase was given for an
            unencrypted key, the data is not a PEM private key, or the key is not ECDSA.
    """
    secret = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
    try:
        key = serialization.load_pem_private_key(pem, password=secret or None)
    except TypeError as exc:
        # cryptography raises TypeError for "password missing" and "password given for an
        # unencrypted key"; tell the operator which one.
        if secret:
            raise KeyMaterialError(
                "a passphrase was given but the private key is not encrypted"
            ) from exc
        raise KeyMaterialError("the private key is encrypted: a passphrase is required") from exc
    except ValueError as exc:
        if secret and b"ENCRYPTED" in pem:
            raise KeyMaterialError("wrong passphrase for the private key") from exc
        raise KeyMaterialError("not a readable PEM private key") from exc
    except Exception as exc:  # unsupported algorithm and other parser errors
        raise KeyMaterialError(f"cannot load the private key: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise KeyMaterialError("the private key is not an ECDSA key")
    return key


def certificate_pem(cert: x509.Certificate) -> bytes:
    """Serialise *cert* as PEM."""
    return cert.public_bytes(serialization.Encoding.PEM)


def load_certificate(data: bytes) -> x509.Certificate:
    """Load one X.509 certificate from PEM or DER bytes.

    Raises:
        KeyMaterialError: if *data* is neither a PEM nor a DER certificate.
    """
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise KeyMaterialError("not a readable X.509 certificate") from exc


def der_fingerprint(der: bytes) -> str:
    """Fingerprint of a DER-encoded certificate, in the format of :func:`cert_fingerprint`."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return "SHA256:" + ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def cert_fingerprint(cert: x509.Certificate) -> str:
    """Return the SHA-256 fingerprint of *cert*'s DER encoding for people to compare.

    Format: ``SHA256:`` then 32 upper-case hex byte pairs separated by colons, e.g.
    ``SHA256:3A:F0:...:9C``. Those pairs are exactly what ``openssl x509 -noout -fingerprint
    -sha256`` prints after ``Fingerprint=`` and what browsers and PDF readers show as the
    "SHA-256 fingerprint", so a person can compare it with the tool in front of them.
    """
    return der_fingerprint(cert.public_bytes(serialization.Encoding.DER))


def verify_issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True if *cert*'s signature verifies with *issuer*'s public key and the names chain."""
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True
