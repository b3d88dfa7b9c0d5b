"""The registry's X.509 root CA and document-signing certificates."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from certify.core.pdf.pki import (
    KeyMaterialError,
    add_years,
    cert_fingerprint,
    certificate_pem,
    load_certificate,
    load_private_key,
    make_root_ca,
    make_signing_cert,
    private_key_pem,
    verify_issued_by,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def root():
    return make_root_ca("Impact Sourcing Registry Root CA", "Impact Sourcing Registry", NOW)


@pytest.fixture(scope="module")
def signing(root):
    root_key, root_cert = root
    return make_signing_cert(
        root_key, root_cert, "Impact Sourcing Registry PDF 2025", "Impact Sourcing Registry", NOW
    )


def test_root_is_a_p256_ca_with_critical_constraints(root):
    key, cert = root
    assert isinstance(key.curve, ec.SECP256R1)
    assert cert.subject == cert.issuer
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value.endswith("Root CA")
    basic = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical
    assert basic.value.ca
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.key_cert_sign
    assert usage.value.crl_sign
    assert not usage.value.digital_signature
    cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert verify_issued_by(cert, cert)
    assert cert.not_valid_after_utc == datetime(2045, 3, 1, 12, 0, tzinfo=UTC)
    assert cert.not_valid_before_utc <= NOW


def test_signing_cert_has_the_usages_nss_and_pyhanko_need(root, signing):
    _, root_cert = root
    key, cert = signing
    assert isinstance(key.curve, ec.SECP256R1)
    assert cert.issuer == root_cert.subject
    assert verify_issued_by(cert, root_cert)
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature
    assert usage.value.content_commitment
    assert not usage.value.key_cert_sign
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    # An EKU without emailProtection makes NSS (pdfsig) distrust the signer.
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        pass
    else:
        assert ExtendedKeyUsageOID.EMAIL_PROTECTION in eku
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = root_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    assert cert.not_valid_after_utc == datetime(2035, 3, 1, 12, 0, tzinfo=UTC)


def test_serials_are_random(root):
    root_key, root_cert = root
    serials = {
        make_signing_cert(root_key, root_cert, "S", "O", NOW)[1].serial_number for _ in range(3)
    }
    assert len(serials) == 3
    assert all(s.bit_length() > 64 for s in serials)


def test_signing_cert_never_outlives_the_root():
    root_key, root_cert = make_root_ca("R", "O", NOW, years=5)
    _, cert = make_signing_cert(root_key, root_cert, "S", "O", NOW + timedelta(days=365), years=10)
    assert cert.not_valid_after_utc == root_cert.not_valid_after_utc


def test_signing_cert_refuses_a_moment_outside_the_root(root):
    root_key, root_cert = root
    with pytest.raises(ValueError, match="outside"):
        make_signing_cert(root_key, root_cert, "S", "O", NOW + timedelta(days=365 * 21))
    with pytest.raises(ValueError, match="outside"):
        make_signing_cert(root_key, root_cert, "S", "O", NOW - timedelta(days=1))


def test_signing_cert_refuses_a_key_that_is_not_the_roots(root, signing):
    _, root_cert = root
    other_key, _ = make_root_ca("Other", "O", NOW)
    with pytest.raises(KeyMaterialError, match="does not belong"):
        make_signing_cert(other_key, root_cert, "S", "O", NOW)
    signing_key, signing_cert = signing
    with pytest.raises(KeyMaterialError, match="not a CA"):
        make_signing_cert(signing_key, signing_cert, "S", "O", NOW)


@pytest.mark.parametrize("bad_now", [datetime(2025, 3, 1, 12, 0), None])
def test_naive_or_missing_clock_is_refused(bad_now):
    with pytest.raises((ValueError, AttributeError, TypeError)):
        make_root_ca("R", "O", bad_now)


def test_empty_names_are_refused():
    with pytest.raises(ValueError, match="empty"):
        make_root_ca(" ", "O", NOW)


def test_leap_day_plus_years():
    assert add_years(datetime(2024, 2, 29, tzinfo=UTC), 1) == datetime(2025, 2, 28, tzinfo=UTC)
    assert add_years(datetime(2024, 2, 29, tzinfo=UTC), 4) == datetime(2028, 2, 29, tzinfo=UTC)


@pytest.mark.parametrize("passphrase", ["correct horse", b"\xffbytes", "pässwörd"])
def test_key_round_trips_through_encrypted_pem(signing, passphrase):
    key, _ = signing
    pem = private_key_pem(key, passphrase)
    assert b"ENCRYPTED PRIVATE KEY" in pem
    loaded = load_private_key(pem, passphrase)
    assert loaded.private_numbers() == key.private_numbers()


def test_unencrypted_pem_round_trip(signing):
    key, _ = signing
    pem = private_key_pem(key, None)
    assert b"-----BEGIN PRIVATE KEY-----" in pem
    assert load_private_key(pem).private_numbers() == key.private_numbers()


def test_wrong_passphrase_is_a_clear_error(signing):
    key, _ = signing
    pem = private_key_pem(key, "right")
    with pytest.raises(KeyMaterialError, match="wrong passphrase"):
        load_private_key(pem, "wrong")


def test_missing_passphrase_is_a_clear_error(signing):
    key, _ = signing
    pem = private_key_pem(key, "right")
    with pytest.raises(KeyMaterialError, match="passphrase is required"):
        load_private_key(pem, None)
    with pytest.raises(KeyMaterialError, match="passphrase is required"):
        load_private_key(pem, "")


def test_passphrase_for_plain_key_is_a_clear_error(signing):
    key, _ = signing
    with pytest.raises(KeyMaterialError, match="not encrypted"):
        load_private_key(private_key_pem(key), "surplus")


@pytest.mark.parametrize("garbage", [b"", b"not a key", b"-----BEGIN PRIVATE KEY-----\nAAAA\n"])
def test_garbage_is_not_a_key(garbage):
    with pytest.raises(KeyMaterialError):
        load_private_key(garbage)


def test_non_ecdsa_key_is_refused():
    pem = private_key_pem(ed25519.Ed25519PrivateKey.generate())  # type: ignore[arg-type]
    with pytest.raises(KeyMaterialError, match="not an ECDSA"):
        load_private_key(pem)


def test_empty_passphrase_is_refused_when_saving(signing):
    with pytest.raises(ValueError, match="empty"):
        private_key_pem(signing[0], "")


def test_fingerprint_is_what_openssl_shows(root):
    _, cert = root
    fp = cert_fingerprint(cert)
    assert re.fullmatch(r"SHA256:([0-9A-F]{2}:){31}[0-9A-F]{2}", fp)
    import hashlib

    from cryptography.hazmat.primitives import serialization

    digest = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()
    assert fp.removeprefix("SHA256:").replace(":", "") == digest


def test_fingerprints_differ_between_certificates(root, signing):
    assert cert_fingerprint(root[1]) != cert_fingerprint(signing[1])


def test_certificate_pem_and_der_load(root):
    _, cert = root
    assert load_certificate(certificate_pem(cert)) == cert
    from cryptography.hazmat.primitives import serialization

    assert load_certificate(cert.public_bytes(serialization.Encoding.DER)) == cert
    with pytest.raises(KeyMaterialError):
        load_certificate(b"nope")
