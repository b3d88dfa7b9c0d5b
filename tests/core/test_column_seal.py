"""Short secrets sealed for a database column (certify.core.column_seal)."""

from __future__ import annotations

import base64

import pytest

from certify.core import column_seal
from certify.core.envelope import DamagedCiphertext, WrongKek, new_kek

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
ROW = "totp_credential.secret\0user-a\0cred-a"


def test_a_sealed_secret_opens_for_its_row_and_never_shows_the_secret() -> None:
    kek = new_kek()
    stored = column_seal.seal_text(kek, SECRET, ROW)
    assert stored.startswith("sealed1:") and column_seal.is_sealed(stored)
    assert SECRET not in stored and base64.b32decode(SECRET).hex() not in stored
    assert column_seal.sealed_kek_id(stored) == kek.key_id
    assert column_seal.open_text(kek, stored, ROW) == SECRET
    # a fresh nonce each time: sealing twice gives two values, both open
    again = column_seal.seal_text(kek, SECRET, ROW)
    assert again != stored and column_seal.open_text(kek, again, ROW) == SECRET


def test_a_base32_secret_is_never_taken_for_a_sealed_one() -> None:
    assert not column_seal.is_sealed(SECRET)
    assert column_seal.sealed_kek_id(SECRET) is None
    with pytest.raises(DamagedCiphertext):
        column_seal.open_text(new_kek(), SECRET, ROW)


def test_a_sealed_secret_moved_to_another_row_or_altered_does_not_open() -> None:
    kek = new_kek()
    stored = column_seal.seal_text(kek, SECRET, ROW)
    with pytest.raises(DamagedCiphertext, match="another row"):
        column_seal.open_text(kek, stored, "totp_credential.secret\0user-b\0cred-a")
    raw = bytearray(base64.urlsafe_b64decode(stored[len("sealed1:") :]))
    raw[-1] ^= 1
    altered = "sealed1:" + base64.urlsafe_b64encode(bytes(raw)).decode()
    with pytest.raises(DamagedCiphertext):
        column_seal.open_text(kek, altered, ROW)
    for broken in ("sealed1:", "sealed1:!!!", "sealed1:" + "A" * 8):
        with pytest.raises(DamagedCiphertext):
            column_seal.open_text(kek, broken, ROW)


def test_a_secret_sealed_by_another_kek_names_both_keys() -> None:
    first, second = new_kek(), new_kek()
    stored = column_seal.seal_text(first, SECRET, ROW)
    with pytest.raises(WrongKek) as refused:
        column_seal.open_text(second, stored, ROW)
    assert first.key_id in refused.value.message and second.key_id in refused.value.message


def test_the_longest_secret_ever_stored_fits_the_column() -> None:
    stored = column_seal.seal_text(new_kek(), "A" * 64, ROW)
    assert len(stored) <= 255
