"""The strict reader of JSON from outside: repeated keys refused, a byte order mark skipped."""

from __future__ import annotations

import pytest

from certify.core.strict_json import DuplicateKeyError, JsonInputError, parse_json
from certify.core.tlog.logproof import LogProofError, issuance_entry


@pytest.mark.parametrize(
    "text",
    [
        b'{"a": 1, "a": 2}',
        b'{"credentialSubject": {"name": "Fake"}, "credentialSubject": {"name": "Real"}}',
        b'{"x": [{"k": 1, "k": 1}]}',  # equal values too: the text is still ambiguous
        b'{"outer": {"inner": {"z": 0, "y": 1, "z": 2}}}',
        '{"caf\\u00e9": 1, "café": 2}'.encode(),  # the same key, written two ways
    ],
)
def test_a_repeated_key_anywhere_is_refused(text: bytes) -> None:
    with pytest.raises(DuplicateKeyError, match="appears twice"):
        parse_json(text)


def test_a_leading_byte_order_mark_is_skipped() -> None:
    assert parse_json(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}
    assert parse_json('\ufeff{"a": 1}') == {"a": 1}
    with pytest.raises(JsonInputError):  # only one, and only at the start
        parse_json(b'\xef\xbb\xbf\xef\xbb\xbf{"a": 1}')


@pytest.mark.parametrize(
    "text",
    [b"", b"{", b"\xff\xfe{}", b'{"a": NaN}', b"[Infinity]", b"[" * 100_000 + b"]" * 100_000],
)
def test_what_is_not_strict_json_is_one_error(text: bytes) -> None:
    with pytest.raises(JsonInputError):
        parse_json(text)


def test_plain_json_reads_as_json() -> None:
    assert parse_json(b'{"a": [1, 2.5, "x", null, true], "b": {}}') == {
        "a": [1, 2.5, "x", None, True],
        "b": {},
    }


def test_a_credential_with_a_repeated_key_has_no_log_entry() -> None:
    with pytest.raises(LogProofError, match="appears twice"):
        issuance_entry(b'{"transparencyLog": {"index": 1}, "transparencyLog": {"index": 2}}')
