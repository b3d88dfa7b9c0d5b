"""Test helper: issue certificates whose credential is what certify signed before issue 22
(``certify-v1``: no impact claims, no ``certifiedSince``), through the real issuance, so the
log entry, the PDF and the record all hold that credential as registries hold theirs."""

from __future__ import annotations

from typing import Any

import pytest

from certify.certificates import issuance
from certify.core.canonical import canonical_json
from certify.core.credentials.context import CONTEXT_V1
from certify.core.credentials.proofs import sign_credential
from certify.core.credentials.vocabulary import VC_CONTEXT_V2
from tests.web.lifecycle_steps import replace_step

#: What certify-v2 added to credentialSubject.
V2_CLAIMS = ("impactFigures", "workforceBand", "impactWorkersBand", "certifiedSince")


def make_v1_credential(ctx: Any) -> None:
    """The ``make_credential`` step as it was: the same document minus what v2 added,
    naming and pinning certify-v1, signed by the current credential key."""
    issuance.make_credential(ctx)
    document = {k: v for k, v in ctx.credential.items() if k != "proof"}
    document["credentialSubject"] = {
        k: v for k, v in document["credentialSubject"].items() if k not in V2_CLAIMS
    }
    document["@context"] = [VC_CONTEXT_V2, CONTEXT_V1.url(ctx.public_url)]
    document["relatedResource"] = [CONTEXT_V1.related_resource(ctx.public_url)]
    key = ctx.keys.current_credential_key
    method = ctx.keys.verification_method(ctx.public_url)
    ctx.credential = sign_credential(document, key.private_key, method, ctx.issued_at)
    ctx.credential_bytes = canonical_json(ctx.credential)


def issue_as_v1(monkeypatch: pytest.MonkeyPatch) -> None:
    """Until the test ends, issuance signs certify-v1 credentials."""
    replace_step(monkeypatch, "make_credential", make_v1_credential)
