"""W3C Bitstring Status List v1.0 encoding, bit order, index allocation and credentials."""

from __future__ import annotations

import base64
import gzip
import random
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from certify.core.credentials.proofs import sign_credential, verify_credential
from certify.core.credentials.statuslist import (
    MIN_BITS,
    StatusListError,
    decode_list,
    encode_list,
    get_bit,
    new_list,
    probe_free_index,
    random_free_index,
    set_bit,
    set_indexes,
    status_list_credential,
)
from certify.core.credentials.vocabulary import CredentialError

# The "Example BitstringStatusListCredential" of the specification: 16 KB of zeros.
SPEC_EXAMPLE = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _gzip_b64(data: bytes, **kwargs) -> str:
    return "u" + base64.urlsafe_b64encode(gzip.compress(data, **kwargs)).rstrip(b"=").decode()


def test_minimum_size_is_16_kb():
    assert MIN_BITS == 131_072
    assert len(new_list()) == 16 * 1024
    assert len(new_list(MIN_BITS * 2)) == 32 * 1024
    for bad in [MIN_BITS - 8, MIN_BITS + 1, 0, -8, True, 1.5]:
        with pytest.raises(StatusListError):
            new_list(bad)  # type: ignore[arg-type]


def test_spec_example_decodes_and_is_reproduced():
    bits = decode_list(SPEC_EXAMPLE)
    assert bits == bytes(16 * 1024)
    assert not any(get_bit(SPEC_EXAMPLE, i) for i in (0, 1, 7, 8, MIN_BITS - 1))
    # Our deterministic encoder gives exactly the specification's string for the same list.
    assert encode_list(new_list()) == SPEC_EXAMPLE


def test_encoding_is_deterministic_and_multibase_u():
    bits = bytearray(new_list())
    bits[100] = 0x81
    first = encode_list(bits)
    assert first == encode_list(bytes(bits))
    assert first.startswith("uH4sI")  # 'u' + base64url of the GZIP magic 1f 8b 08
    assert "=" not in first
    assert "+" not in first
    assert "/" not in first
    raw = base64.urlsafe_b64decode(first[1:] + "=" * (-len(first[1:]) % 4))
    assert raw[4:8] == b"\0\0\0\0"  # GZIP MTIME is zero: no clock in the output
    assert gzip.decompress(raw) == bytes(bits)


def test_bit_order_index_zero_is_left_most_bit():
    bits = set_bit(bytes(new_list()), 0)
    assert bits[0] == 0b1000_0000
    bits = set_bit(bits, 7)
    assert bits[0] == 0b1000_0001
    bits = set_bit(bits, 8)
    assert bits[1] == 0b1000_0000
    last = set_bit(bytes(new_list()), MIN_BITS - 1)
    assert last[-1] == 0b0000_0001
    assert set_indexes(bits) == [0, 7, 8]


def test_set_bit_on_encoded_lists_round_trips_and_never_mutates():
    encoded = encode_list(new_list())
    revoked = set_bit(encoded, 94567)
    assert isinstance(revoked, str)
    assert get_bit(revoked, 94567)
    assert not get_bit(revoked, 94566)
    assert not get_bit(revoked, 94568)
    assert not get_bit(encoded, 94567)
    cleared = set_bit(revoked, 94567, False)
    assert cleared == encoded  # deterministic: clearing restores the exact string
    raw = bytearray(new_list())
    out = set_bit(raw, 3)
    assert raw == bytearray(new_list())
    assert isinstance(out, bytes)


def test_reads_lists_made_by_other_encoders():
    # Another implementation may set a real mtime, another level, another OS byte.
    bits = bytearray(16 * 1024)
    bits[2] = 0b0010_0000  # index 18
    other = _gzip_b64(bytes(bits), compresslevel=1, mtime=1_700_000_000)
    assert get_bit(other, 18)
    assert set_indexes(decode_list(other)) == [18]


@settings(max_examples=50, deadline=None)
@given(st.sets(st.integers(min_value=0, max_value=MIN_BITS - 1), max_size=30))
def test_any_set_of_bits_round_trips(indexes):
    bits = bytes(new_list())
    for i in indexes:
        bits = set_bit(bits, i)
    decoded = decode_list(encode_list(bits))
    assert set_indexes(decoded) == sorted(indexes)
    assert all(get_bit(decoded, i) for i in indexes)


@pytest.mark.parametrize("index", [-1, MIN_BITS, 2**64, True, "5", 1.0, None])
def test_out_of_range_or_non_integer_index(index):
    with pytest.raises(StatusListError):
        get_bit(SPEC_EXAMPLE, index)  # type: ignore[arg-type]
    with pytest.raises(StatusListError):
        set_bit(SPEC_EXAMPLE, index)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("encoded", "message"),
    [
        (SPEC_EXAMPLE[1:], "multibase"),  # no 'u' prefix
        ("z" + SPEC_EXAMPLE[1:], "multibase"),
        (SPEC_EXAMPLE + "==", "multibase"),  # padding
        (SPEC_EXAMPLE.replace("-", "+"), "multibase"),  # standard base64 alphabet
        ("u" + base64.urlsafe_b64encode(b"not gzip at all").rstrip(b"=").decode(), "not GZIP"),
        ("u", "truncated"),
        (SPEC_EXAMPLE[:-8], "truncated|not GZIP|multibase"),
        # mtime=0: the parameters (and so the test ids) must not depend on the clock, or pytest
        # workers collecting in different seconds disagree about which tests exist
        (_gzip_b64(bytes(1024), mtime=0), "at least 131072"),
        (_gzip_b64(bytes(16 * 1024), mtime=0) + "AAAA", "trailing|multibase"),
        (5, "multibase"),
        (None, "multibase"),
    ],
)
def test_malformed_lists(encoded, message):
    with pytest.raises(StatusListError, match=message):
        decode_list(encoded)  # type: ignore[arg-type]


def test_trailing_gzip_member_is_refused():
    data = gzip.compress(bytes(16 * 1024), mtime=0) + gzip.compress(b"\x80", mtime=0)
    with pytest.raises(StatusListError, match="trailing"):
        decode_list("u" + base64.urlsafe_b64encode(data).rstrip(b"=").decode())


def test_decompression_bomb_is_refused():
    bomb = _gzip_b64(bytes(64 * 1024 * 1024), mtime=0)
    assert len(bomb) < 100_000
    with pytest.raises(StatusListError, match="larger than allowed"):
        decode_list(bomb)
    with pytest.raises(StatusListError, match="larger than allowed"):
        decode_list(_gzip_b64(bytes(32 * 1024)), max_bytes=16 * 1024)


def test_encode_refuses_short_lists():
    with pytest.raises(StatusListError, match="at least"):
        encode_list(bytes(1024))
    with pytest.raises(StatusListError):
        encode_list("bits")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- index allocation


def test_random_free_index_is_free_and_in_range():
    rng = random.Random(7)
    used: set[int] = set()
    for _ in range(2000):
        index = random_free_index(used, MIN_BITS, rng)
        assert 0 <= index < MIN_BITS
        assert index not in used
        used.add(index)
    # Random, not sequential: indexes are spread across the list.
    assert max(used) > MIN_BITS * 0.9
    assert min(used) < MIN_BITS * 0.1


def test_random_free_index_fills_a_small_list_exactly():
    rng = random.Random(3)
    used: set[int] = set()
    for _ in range(64):
        used.add(random_free_index(used, 64, rng))
    assert used == set(range(64))
    with pytest.raises(StatusListError, match="full"):
        random_free_index(used, 64, rng)


def test_random_free_index_nearly_full_and_out_of_range_used():
    rng = random.Random(5)
    used = set(range(1000)) - {617} | {5000, -3}
    assert random_free_index(used, 1000, rng) == 617


def test_random_free_index_is_uniform_enough():
    rng = random.Random(11)
    counts = [0] * 10
    for _ in range(5000):
        counts[random_free_index({0}, 10, rng)] += 1
    assert counts[0] == 0
    assert all(400 < c < 720 for c in counts[1:])  # expected 555 each


def test_random_free_index_works_with_secrets():
    import secrets

    assert 0 <= random_free_index(set(), MIN_BITS, secrets) < MIN_BITS
    with pytest.raises(StatusListError):
        random_free_index(set(), 0, secrets)


# --------------------------------------------------------------------------- credentials


def test_status_list_credential_shape():
    encoded = set_bit(encode_list(new_list()), 42)
    doc = status_list_credential(
        "http://127.0.0.1:5000/",
        "revocation",
        "1",
        encoded,
        T0,
        valid_until=T0 + timedelta(days=1),
        issuer_name="CB",
    )
    assert doc == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "http://127.0.0.1:5000/status/revocation/1",
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": {"id": "did:web:127.0.0.1%3A5000", "name": "CB"},
        "validFrom": "2025-03-01T12:00:00Z",
        "validUntil": "2025-03-02T12:00:00Z",
        "credentialSubject": {
            "id": "http://127.0.0.1:5000/status/revocation/1#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded,
        },
    }
    plain = status_list_credential("https://r.example", "suspension", "a_1", encoded, T0)
    assert plain["issuer"] == "did:web:r.example"
    assert "validUntil" not in plain


def test_status_list_credential_signs_and_verifies():
    key = Ed25519PrivateKey.generate()
    doc = status_list_credential(
        "https://r.example", "suspension", "1", encode_list(new_list()), T0
    )
    signed = sign_credential(doc, key, "did:web:r.example#k", T0)
    assert verify_credential(signed, {"did:web:r.example#k": key.public_key()}.get).ok
    signed["credentialSubject"]["encodedList"] = set_bit(doc["credentialSubject"]["encodedList"], 9)
    assert not verify_credential(signed, {"did:web:r.example#k": key.public_key()}.get).ok


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("https://r.example", "message", "1"), CredentialError),
        (("https://r.example", "revocation", "../x"), CredentialError),
        (("https://r.example", "revocation", ""), CredentialError),
        (("r.example", "revocation", "1"), CredentialError),
    ],
)
def test_status_list_credential_rejects_bad_arguments(args, error):
    with pytest.raises(error):
        status_list_credential(*args, encode_list(new_list()), T0)


def test_status_list_credential_refuses_broken_lists_and_windows():
    with pytest.raises(StatusListError):
        status_list_credential("https://r.example", "revocation", "1", "uAAAA", T0)
    with pytest.raises(CredentialError, match="after validFrom"):
        status_list_credential(
            "https://r.example", "revocation", "1", SPEC_EXAMPLE, T0, valid_until=T0
        )


def test_probe_free_index_asks_one_index_at_a_time():
    rng = random.Random(13)
    used = set(range(0, 1000, 2))  # half the list
    asked: list[int] = []

    def is_used(i: int) -> bool:
        asked.append(i)
        return i in used

    index = probe_free_index(is_used, 1000, rng)
    assert index is not None and index % 2 == 1 and index == asked[-1]
    assert all(i in used for i in asked[:-1])


def test_probe_free_index_gives_up_on_a_full_list_and_is_uniform():
    assert probe_free_index(lambda i: True, 64, random.Random(1), probes=16) is None
    rng = random.Random(17)
    counts = [0] * 10
    for _ in range(5000):
        index = probe_free_index(lambda i: i == 0, 10, rng)
        assert index is not None
        counts[index] += 1
    assert counts[0] == 0
    assert all(400 < c < 720 for c in counts[1:])  # expected 555 each
    with pytest.raises(StatusListError, match="positive"):
        probe_free_index(lambda i: False, 0, rng)
