"""Fixtures for keys in a PKCS#11 token: one real SoftHSM2 token per test session.

SoftHSM reads its token folder once per process (``tests/softhsm.py``), so the token is made
once and every test's keys live in it side by side, told apart by their random ``CKA_ID``.
A missing SoftHSM2 or python-pkcs11 skips the tests, and fails them in CI
(``CERTIFY_REQUIRE_TOOLS``).
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from tests.core.tools import require_tool, tools_required
from tests.softhsm import SoftHsmToken, make_token, softhsm_module


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory) -> SoftHsmToken:
    require_tool("softhsm2-util")
    if softhsm_module() is None:
        message = "the SoftHSM2 PKCS#11 module is missing (Debian package softhsm2)"
        if tools_required():
            pytest.fail(f"{message}, and CERTIFY_REQUIRE_TOOLS is set")
        pytest.skip(message)
    pytest.importorskip("pkcs11", reason="python-pkcs11 (test extra) is not installed")
    return make_token(tmp_path_factory.mktemp("softhsm"))


@pytest.fixture
def token_config(softhsm: SoftHsmToken, tmp_path) -> dict[str, Any]:
    """certify's settings for the session's token (the PIN in a file in instance/), with a
    label prefix of the test's own: objects found by label (the evidence KEK) stay apart."""
    return {
        **softhsm.settings(tmp_path / "instance" / "pkcs11-pin"),
        "PKCS11_LABEL_PREFIX": f"t{secrets.token_hex(4)}",
    }
