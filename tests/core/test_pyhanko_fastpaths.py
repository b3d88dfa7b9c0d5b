"""The pyHanko fast paths give pyHanko's own answers (values, stream positions and errors)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from asn1crypto import cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from hypothesis import given
from hypothesis import strategies as st
from pyhanko.pdf_utils import generic
from pyhanko.sign import general

from certify.core.pdf import fastpaths as pyhanko_fastpaths
from certify.core.pdf import validation as pdf_signing
from certify.core.pdf.fastpaths import (
    ORIGINAL_MATCH_ISSUER_SERIAL,
    ORIGINAL_READ_HEX_STRING,
    match_issuer_serial,
    read_hex_string,
)
from certify.core.pdf.pki import make_root_ca, make_signing_cert

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def test_importing_pdf_signing_installs_both() -> None:
    assert pdf_signing is not None
    assert generic.read_hex_string_from_stream is read_hex_string
    assert general.match_issuer_serial is match_issuer_serial
    pyhanko_fastpaths.install()  # idempotent
    assert generic.read_hex_string_from_stream is read_hex_string


# --------------------------------------------------------------------------- hex strings


def outcome(reader, data: bytes) -> tuple[object, ...]:
    """(kind, value, position) of reading a hex string at the start of *data*."""
    stream = io.BytesIO(data)
    try:
        value = reader(stream)
    except Exception as exc:  # the same error type and message is part of the contract
        return ("error", type(exc).__name__, str(exc), stream.tell())
    return ("value", type(value).__name__, bytes(value.original_bytes), stream.tell())


PIECES = st.one_of(
    st.sampled_from([b"0", b"9", b"a", b"F", b"c4", b"A9", b"fe ff"]),
    st.sampled_from([b" ", b"\n", b"\r\n", b"\t", b"\x00", b"\x0c"]),
    st.sampled_from([b"% a comment > with a bracket\n", b"%\r", b"g", b"<", b"(", b"\x80"]),
    st.binary(max_size=3),
)


@given(
    body=st.lists(PIECES, max_size=40).map(b"".join),
    closed=st.booleans(),
    tail=st.sampled_from([b"", b" /Next 1 0 R>>", b">>", b"\nendobj\n"]),
)
def test_hex_reader_agrees_with_pyhanko(body: bytes, closed: bool, tail: bytes) -> None:
    data = b"<" + body + (b">" if closed else b"") + tail
    assert outcome(read_hex_string, data) == outcome(ORIGINAL_READ_HEX_STRING, data)


@pytest.mark.parametrize(
    "data",
    [
        b"<>",
        b"<48656c6c6f>",
        b"<48 65 6C\n6c 6f> tail",
        b"<FEFF00480069>",  # UTF-16 text
        b"<901FA>",  # odd: the last digit is followed by an implied 0
        b"<41 % comment > inside\n 42>",  # the comment's ">" does not close the string
        b"<4G>",  # not a hex digit
        b"<4142",  # never closed
        b"<" + b"0123456789abcdef" * 2048 + b">",  # longer than one read
        b"<" + b"ab" * 4095 + b" >",  # the closing ">" just past the first chunk
    ],
)
def test_hex_reader_edge_cases(data: bytes) -> None:
    fast = outcome(read_hex_string, data)
    assert fast == outcome(ORIGINAL_READ_HEX_STRING, data)


def test_hex_reader_reads_a_signature_sized_string_to_the_byte() -> None:
    payload = bytes(range(256)) * 20
    data = b"<" + payload.hex().encode() + b"> /Rest"
    kind, _type, value, position = outcome(read_hex_string, data)
    assert (kind, value, data[position:]) == ("value", payload, b" /Rest")


# --------------------------------------------------------------------------- issuer + serial


def asn1(cert) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


@pytest.fixture(scope="module")
def chain() -> dict[str, asn1_x509.Certificate]:
    root_key, root = make_root_ca("Registry Root CA", "Impact Sourcing Registry", NOW)
    _, signing = make_signing_cert(root_key, root, "Document signing", "Impact Sourcing", NOW)
    other_key, other_root = make_root_ca("Registry Root CA", "Another Body", NOW)
    _, foreign = make_signing_cert(other_key, other_root, "Document signing", "Another", NOW)
    return {
        "root": asn1(root),
        "signing": asn1(signing),
        "other_root": asn1(other_root),
        "foreign": asn1(foreign),
    }


def ess_issuer_serial(cert: asn1_x509.Certificate) -> tsp.IssuerSerial:
    attribute = general.as_signing_certificate_v2(cert)
    return attribute["certs"][0]["issuer_serial"]


def cms_issuer_serial(cert: asn1_x509.Certificate) -> cms.IssuerAndSerialNumber:
    return cms.IssuerAndSerialNumber({"issuer": cert.issuer, "serial_number": cert.serial_number})


def issuer_serial_with_name(name: asn1_x509.Name, serial: int) -> tsp.IssuerSerial:
    return tsp.IssuerSerial(
        {
            "issuer": [asn1_x509.GeneralName(name="directory_name", value=name)],
            "serial_number": serial,
        }
    )


@pytest.mark.parametrize("make", [ess_issuer_serial, cms_issuer_serial])
def test_issuer_serial_matching_agrees_with_pyhanko(chain, make) -> None:
    for identified in chain.values():
        expected = make(identified)
        for candidate in chain.values():
            fast = match_issuer_serial(expected, candidate)
            assert fast == ORIGINAL_MATCH_ISSUER_SERIAL(expected, candidate)
            assert fast == (candidate is identified)


def test_names_equal_only_after_string_preparation_still_match(chain) -> None:
    signing = chain["signing"]
    # RFC 4518: case and repeated spaces do not matter; the DER differs, so the slow path runs
    altered = {
        "Registry Root CA": "REGISTRY  root ca",
        "Impact Sourcing Registry": "impact SOURCING  registry",
    }
    rdns = [
        asn1_x509.RelativeDistinguishedName(
            [
                asn1_x509.NameTypeAndValue(
                    {
                        "type": rdn[0]["type"].native,
                        "value": asn1_x509.DirectoryString(
                            name="utf8_string", value=altered[rdn[0]["value"].native]
                        ),
                    }
                )
            ]
        )
        for rdn in signing.issuer.chosen
    ]
    name = asn1_x509.Name(name="", value=asn1_x509.RDNSequence(rdns))
    assert name.dump() != signing.issuer.dump()
    expected = issuer_serial_with_name(name, signing.serial_number)
    assert ORIGINAL_MATCH_ISSUER_SERIAL(expected, signing) is True
    assert match_issuer_serial(expected, signing) is True


def test_unusual_issuer_forms_are_left_to_pyhanko(chain) -> None:
    signing = chain["signing"]
    two_names = tsp.IssuerSerial(
        {
            "issuer": [
                asn1_x509.GeneralName(name="directory_name", value=signing.issuer),
                asn1_x509.GeneralName(name="directory_name", value=signing.issuer),
            ],
            "serial_number": signing.serial_number,
        }
    )
    uri = tsp.IssuerSerial(
        {
            "issuer": [
                asn1_x509.GeneralName(name="uniform_resource_identifier", value="https://x")
            ],
            "serial_number": signing.serial_number,
        }
    )
    for expected in (two_names, uri):
        assert match_issuer_serial(expected, signing) is False
        assert ORIGINAL_MATCH_ISSUER_SERIAL(expected, signing) is False


def test_as_shipped_restores_pyhankos_functions_for_the_block_only() -> None:
    with pyhanko_fastpaths.as_shipped():
        assert generic.read_hex_string_from_stream is ORIGINAL_READ_HEX_STRING
        assert general.match_issuer_serial is ORIGINAL_MATCH_ISSUER_SERIAL
    assert generic.read_hex_string_from_stream is read_hex_string
    assert general.match_issuer_serial is match_issuer_serial
    with pytest.raises(RuntimeError), pyhanko_fastpaths.as_shipped():
        raise RuntimeError("the fast paths come back after an error too")
    assert generic.read_hex_string_from_stream is read_hex_string
