"""The clients' core: Standard Webhooks signatures, the SSRF policy, bulk files, the badge."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import itertools

import pytest

from certify.core.clients import addresses, badge, bulk, webhooks

# The Standard Webhooks specification's example (standard-webhooks/spec.md).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_signature_matches_the_specifications_example() -> None:
    assert webhooks.sign(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_signed_headers_verify_and_carry_one_signature_per_secret() -> None:
    other = webhooks.new_secret(b"\x01" * 32)
    headers = webhooks.signed_headers([SPEC_SECRET, other], SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)
    assert len(headers["webhook-signature"].split()) == 2
    for secret in (SPEC_SECRET, other):
        assert webhooks.verify(secret, headers, SPEC_BODY, now=SPEC_TIMESTAMP + 10)
    assert not webhooks.verify(SPEC_SECRET, headers, SPEC_BODY + b" ", now=SPEC_TIMESTAMP)
    assert not webhooks.verify(SPEC_SECRET, headers, SPEC_BODY, now=SPEC_TIMESTAMP + 3600)


def test_a_new_secret_has_32_random_bytes() -> None:
    secret = webhooks.new_secret()
    assert secret.startswith("whsec_") and len(webhooks.secret_key(secret)) == 32
    key = webhooks.secret_key(secret)
    expected = base64.b64encode(hmac.new(key, b"a.1.b", hashlib.sha256).digest()).decode()
    assert webhooks.sign(secret, "a", 1, b"b") == "v1," + expected


def test_retries_back_off_then_stop() -> None:
    delays = [webhooks.retry_delay(n) for n in range(1, webhooks.MAX_ATTEMPTS + 1)]
    assert delays[-1] is None
    assert all(a < b for a, b in itertools.pairwise(delays[:-1]))


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
        "240.0.0.1",
    ],
)
def test_internal_addresses_are_refused(address: str) -> None:
    ip = ipaddress.ip_address(address)
    assert addresses.address_problem(ip) is not None
    with pytest.raises(addresses.TargetRefused):
        addresses.check_addresses(
            "h", [ipaddress.ip_address("93.184.215.14"), ip], allow_internal=False
        )
    assert addresses.check_addresses("h", [ip], allow_internal=True) == [ip]


def test_public_addresses_pass() -> None:
    for address in ("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"):
        assert addresses.address_problem(ipaddress.ip_address(address)) is None


def test_targets_are_parsed_strictly() -> None:
    target = addresses.parse_target("https://hooks.example.com:8443/in?x=1")
    assert (target.host, target.port, target.path) == ("hooks.example.com", 8443, "/in?x=1")
    for bad in (
        "http://example.com/",
        "https://u:p@example.com/",
        "https://example.com:25/",
        "https://example.com/#f",
        "javascript:alert(1)",
        "https:///x",
        "https://[::1",
    ):
        with pytest.raises(addresses.TargetRefused):
            addresses.parse_target(bad, allow_http=False)


def test_bulk_files_too_large_or_in_other_encodings_are_refused() -> None:
    with pytest.raises(bulk.BulkInputError, match="larger than"):
        bulk.decode(b"a" * (bulk.MAX_BYTES + 1))
    with pytest.raises(bulk.BulkInputError, match="line 2"):
        bulk.decode(b"ok\n\xe9t\xe9")
    assert bulk.decode("\ufeffISR".encode()) == "ISR"
    assert bulk.decode("ISR".encode("utf-16")) == "ISR"


def test_every_line_is_one_entry_and_cells_are_formula_safe() -> None:
    entries = bulk.parse("serial\nISR-1\n\nAcme Ltd\n=1+2\n", "ISR")
    assert [e.line for e in entries] == [2, 3, 4, 5]
    assert [e.kind for e in entries] == ["malformed", "malformed", "name", "name"]
    text = bulk.to_csv(entries)
    assert "'=1+2" in text
    assert bulk.safe_cell("-1") == "'-1" and bulk.safe_cell("ok") == "ok"


def test_the_badge_is_a_static_svg_with_a_text_alternative() -> None:
    svg = badge.render_badge("Reg <x>", "suspended", "ISR-AAAA", "1 Jan 2027").decode()
    assert svg.startswith("<svg") and "<script" not in svg and "href" not in svg
    assert "<title>Reg &lt;x&gt;: certificate ISR-AAAA, Suspended" in svg
