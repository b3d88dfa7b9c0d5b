"""base58btc, base64url and Ed25519 Multikey encodings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from certify.core.credentials.keys import public_key_raw
from certify.core.credentials.multibase import (
    MultibaseError,
    b58decode,
    b58encode,
    b64url_decode,
    b64url_encode,
    ed25519_public_from_multikey,
    ed25519_public_multikey,
    ed25519_secret_from_multikey,
    ed25519_secret_multikey,
    multibase_decode,
    multibase_encode,
)

VECTORS = Path(__file__).parent / "data" / "vc-di-eddsa"

# Bitcoin's base58 test vectors (bitcoin/src/test/data/base58_encode_decode.json).
BASE58_VECTORS = [
    ("", ""),
    ("61", "2g"),
    ("626262", "a3gV"),
    ("636363", "aPEr"),
    ("73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"),
    ("00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"),
    ("516b6fcd0f", "ABnLTmg"),
    ("bf4f89001e670274dd", "3SEo3LWLoPntC"),
    ("572e4794", "3EFU7m"),
    ("ecac89cad93923c02321", "EJDM8drfXA6uyA"),
    ("10c8511e", "Rt5zm"),
    ("00000000000000000000", "1111111111"),
]


@pytest.mark.parametrize(("hex_data", "text"), BASE58_VECTORS)
def test_base58_bitcoin_vectors(hex_data, text):
    data = bytes.fromhex(hex_data)
    assert b58encode(data) == text
    assert b58decode(text) == data


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=80))
def test_base58_round_trip(data):
    assert b58decode(b58encode(data)) == data
    assert multibase_decode(multibase_encode(data, "z")) == data
    assert multibase_decode(multibase_encode(data, "u")) == data


@pytest.mark.parametrize("bad", ["0", "O", "I", "l", "abc+", " 2g", "2g\n", "é"])
def test_base58_rejects_foreign_characters(bad):
    with pytest.raises(MultibaseError):
        b58decode(bad)


def test_base58_rejects_non_strings_and_huge_input():
    with pytest.raises(MultibaseError):
        b58decode(b"2g")  # type: ignore[arg-type]
    with pytest.raises(MultibaseError, match="too long"):
        b58decode("2" * 5000)


def test_base64url_strict():
    assert b64url_encode(b"\xff\xfe") == "__4"
    assert b64url_decode("__4") == b"\xff\xfe"
    for bad in ["__4=", "//4", "a", "ab cd", "__5"]:  # padding, std alphabet, length, space, bits
        with pytest.raises(MultibaseError):
            b64url_decode(bad)


def test_multibase_prefixes():
    assert multibase_encode(b"\x00\x01", "z") == "z12"
    with pytest.raises(ValueError, match="unsupported"):
        multibase_encode(b"", "m")
    for bad in ["", "m1234", "f00", 7, None]:
        with pytest.raises(MultibaseError):
            multibase_decode(bad)  # type: ignore[arg-type]
    with pytest.raises(MultibaseError, match="expected multibase prefix 'z'"):
        multibase_decode("uAAAA", expected="z")


def test_w3c_key_pair_vector():
    pair = json.loads((VECTORS / "keyPair.json").read_text())
    seed = ed25519_secret_from_multikey(pair["privateKeyMultibase"])
    assert len(seed) == 32
    key = Ed25519PrivateKey.from_private_bytes(seed)
    # The public Multikey derived from the secret one matches the vector's.
    assert ed25519_public_multikey(public_key_raw(key)) == pair["publicKeyMultibase"]
    assert ed25519_public_from_multikey(pair["publicKeyMultibase"]) == public_key_raw(key)
    assert ed25519_secret_multikey(seed) == pair["privateKeyMultibase"]
    assert pair["publicKeyMultibase"].startswith("z6Mk")


def test_public_multikey_refuses_secret_and_malformed_keys():
    pair = json.loads((VECTORS / "keyPair.json").read_text())
    with pytest.raises(MultibaseError, match="secret key"):
        ed25519_public_from_multikey(pair["privateKeyMultibase"])
    raw = bytes(range(32))
    good = ed25519_public_multikey(raw)
    for bad in [
        multibase_encode(b"\xed\x01" + raw[:31], "z"),  # short
        multibase_encode(b"\xed\x01" + raw + b"\x00", "z"),  # long
        multibase_encode(b"\xe7\x01" + raw, "z"),  # secp256k1 codec
        multibase_encode(b"\xed\x01" + raw, "u"),  # right bytes, wrong base
        good[1:],  # no multibase prefix
        "z" + "0" * 46,
    ]:
        with pytest.raises(MultibaseError):
            ed25519_public_from_multikey(bad)
    with pytest.raises(MultibaseError):
        ed25519_secret_from_multikey(good)


def test_multikey_encoders_check_length():
    with pytest.raises(ValueError, match="32 bytes"):
        ed25519_public_multikey(b"\x00" * 31)
    with pytest.raises(ValueError, match="32 bytes"):
        ed25519_secret_multikey(b"\x00" * 33)
