"""The envelope format of encrypted evidence (certify.core.envelope)."""

from __future__ import annotations

import hashlib
import io
import os

import pytest

from certify.core import envelope

NAME = hashlib.sha256(b"name").hexdigest()


def _encrypt(data: bytes, key: bytes, name: str = NAME) -> bytes:
    out = io.BytesIO()
    written = envelope.encrypt_stream(io.BytesIO(data), out, key, name)
    assert written == len(out.getvalue()) == envelope.encrypted_size(len(data))
    return out.getvalue()


def _decrypt(blob: bytes, key: bytes, name: str = NAME) -> bytes:
    with envelope.open_decrypted(io.BytesIO(blob), key, name) as handle:
        return handle.read()


@pytest.mark.parametrize("size", [0, 1, envelope.CHUNK - 1, envelope.CHUNK, 3 * envelope.CHUNK + 5])
def test_round_trip_of_every_size(size: int) -> None:
    key = envelope.new_data_key()
    data = os.urandom(size)
    blob = _encrypt(data, key)
    assert envelope.is_encrypted(blob) and (size < 16 or data[:16] not in blob)
    assert _decrypt(blob, key) == data


def test_altered_reordered_cut_or_renamed_ciphertext_is_refused() -> None:
    key = envelope.new_data_key()
    data = os.urandom(2 * envelope.CHUNK + 10)
    blob = _encrypt(data, key)
    flipped = bytearray(blob)
    flipped[envelope.HEADER_SIZE + 100] ^= 1
    chunk = envelope.CHUNK + envelope.TAG_SIZE
    head, body = blob[: envelope.HEADER_SIZE], blob[envelope.HEADER_SIZE :]
    swapped = head + body[chunk : 2 * chunk] + body[:chunk] + body[2 * chunk :]
    for bad in (bytes(flipped), swapped, blob[: envelope.HEADER_SIZE + chunk], blob[:-1]):
        with pytest.raises(envelope.DamagedCiphertext):
            _decrypt(bad, key)
    with pytest.raises(envelope.DamagedCiphertext):
        _decrypt(blob, key, hashlib.sha256(b"other").hexdigest())
    with pytest.raises(envelope.DamagedCiphertext):
        _decrypt(blob, envelope.new_data_key())


def test_wrapped_keys_name_their_kek_and_their_file() -> None:
    kek, other = envelope.new_kek(), envelope.new_kek()
    key = envelope.new_data_key()
    wrapped = envelope.wrap_key(kek, key, NAME)
    assert len(wrapped) == envelope.WRAPPED_SIZE and key not in wrapped
    assert envelope.unwrap_key(kek, wrapped, NAME) == key
    assert envelope.wrapped_kek_id(wrapped) == kek.key_id
    with pytest.raises(envelope.WrongKek, match=other.key_id):
        envelope.unwrap_key(other, wrapped, NAME)
    with pytest.raises(envelope.DamagedCiphertext):
        envelope.unwrap_key(kek, wrapped, hashlib.sha256(b"other").hexdigest())
    with pytest.raises(envelope.DamagedCiphertext):
        envelope.unwrap_key(kek, wrapped[:-1] + bytes([wrapped[-1] ^ 1]), NAME)
    with pytest.raises(envelope.DamagedCiphertext):
        envelope.unwrap_key(kek, b"not a key", NAME)
    assert kek.key.hex() not in repr(kek)
