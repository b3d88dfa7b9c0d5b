"""Sealing bytes with a passphrase (scrypt + AES-256-GCM): round trip, wrong passphrase,
tampering, and garbage are each told apart."""

from __future__ import annotations

import pytest

from certify.core.sealed import SealError, WrongPassphrase, seal, unseal

PASSPHRASE = "correct horse battery staple"


def test_a_sealed_box_opens_with_its_passphrase_only() -> None:
    box = seal(b"private keys", PASSPHRASE, n=2**10)
    assert b"private keys" not in box
    assert unseal(box, PASSPHRASE) == b"private keys"
    with pytest.raises(WrongPassphrase, match="wrong passphrase"):
        unseal(box, PASSPHRASE + "!")


def test_two_seals_of_the_same_bytes_differ() -> None:
    assert seal(b"x", PASSPHRASE, n=2**10) != seal(b"x", PASSPHRASE, n=2**10)


def test_an_altered_box_or_header_is_refused() -> None:
    box = seal(b"private keys", PASSPHRASE, n=2**10)
    flipped = box[:-1] + bytes([box[-1] ^ 1])
    with pytest.raises(WrongPassphrase):
        unseal(flipped, PASSPHRASE)
    # a weaker cost written into the header breaks the authenticated header
    weaker = box.replace(b'"n":1024', b'"n":2048')
    assert weaker != box
    with pytest.raises(WrongPassphrase):
        unseal(weaker, PASSPHRASE)


@pytest.mark.parametrize("garbage", [b"", b"hello", b"{}\nxx", b'{"format":"x"}\n' + b"a" * 40])
def test_garbage_is_not_a_box(garbage: bytes) -> None:
    with pytest.raises(SealError, match="not a sealed certify file"):
        unseal(garbage, PASSPHRASE)


def test_a_short_passphrase_is_refused() -> None:
    with pytest.raises(SealError, match="at least 12"):
        seal(b"x", "short")
