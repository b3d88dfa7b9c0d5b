"""The offline check of a certificate's transparency-log proof (``log_inclusion``)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from certify.core.canonical import canonical_json, canonical_sha256
from certify.core.tlog.checkpoint import format_checkpoint
from certify.core.tlog.entry import LogEvent, log_entry
from certify.core.tlog.logproof import LogProofError, issuance_entry, verify_certificate_log_proof
from certify.core.tlog.merkle import MemoryTree
from certify.core.tlog.note import sign_note, verifier_key
from certify.core.tlog.proof import format_tlog_proof

ORIGIN = "registry.test/log"
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
VKEY = verifier_key(ORIGIN, KEY.public_key())
ISSUED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def credential(index: int = 3) -> dict:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "validFrom": "2026-03-01T09:30:00Z",
        "credentialSubject": {"serial": "ISR-AAAA-BBBB-CCCC-D", "name": "Org"},
        "transparencyLog": {"index": index, "origin": ORIGIN},
        "proof": {"verificationMethod": "did:web:registry.test#k1", "proofValue": "z1"},
    }


def proof_for(document: dict, size: int = 6, key=KEY, origin: str = ORIGIN) -> str:
    """A log of *size* entries whose entry #index is *document*'s issuance; its tlog proof."""
    index = document["transparencyLog"]["index"]
    tree = MemoryTree()
    for i in range(size):
        if i == index:
            tree.append_entry(
                log_entry(
                    i,
                    ISSUED,
                    LogEvent.ISSUED,
                    "ISR-AAAA-BBBB-CCCC-D",
                    canonical_sha256(document),
                    None,
                    "k1",
                )
            )
        else:
            tree.append_entry(
                log_entry(i, ISSUED, LogEvent.CREDENTIAL_KEY_ADDED, None, None, None, f"key{i}")
            )
    note = sign_note(format_checkpoint(origin, size, tree.root_hash()), origin, key)
    return format_tlog_proof(index, tree.inclusion_proof(index), note)


def test_a_genuine_proof_verifies() -> None:
    document = credential()
    ok, detail = verify_certificate_log_proof(
        proof_for(document), canonical_json(document), VKEY, ORIGIN
    )
    assert ok and "entry #3" in detail


def test_pretty_printed_credential_bytes_still_verify() -> None:
    document = credential()
    ok, _ = verify_certificate_log_proof(
        proof_for(document), json.dumps(document, indent=2).encode(), VKEY, None
    )
    assert ok


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["credentialSubject"].update(name="Other"),
        lambda d: d.update(validFrom="2026-03-01T09:30:01Z"),
        lambda d: d["proof"].update(verificationMethod="did:web:registry.test#k2"),
        lambda d: d["transparencyLog"].update(index=2),
        lambda d: d["transparencyLog"].update(origin="elsewhere/log"),
        lambda d: d.pop("transparencyLog"),
        lambda d: d.pop("proof"),
        lambda d: d.update(validFrom="yesterday"),
        lambda d: d["credentialSubject"].update(serial=None),
    ],
)
def test_any_change_to_the_credential_fails(change) -> None:
    document = credential()
    proof = proof_for(document)
    altered = copy.deepcopy(document)
    change(altered)
    ok, detail = verify_certificate_log_proof(proof, canonical_json(altered), VKEY, ORIGIN)
    assert not ok and detail


def test_another_key_or_origin_fails() -> None:
    document = credential()
    data = canonical_json(document)
    other = Ed25519PrivateKey.generate()
    assert not verify_certificate_log_proof(proof_for(document, key=other), data, VKEY, ORIGIN)[0]
    assert not verify_certificate_log_proof(proof_for(document), data, VKEY, "other/log")[0]
    assert not verify_certificate_log_proof(
        proof_for(document), data, verifier_key(ORIGIN, other.public_key()), ORIGIN
    )[0]


@pytest.mark.parametrize(
    "proof", ["", "garbage", "c2sp.org/tlog-proof@v1\nindex 3\n\nnot a note", "\x00" * 10]
)
def test_malformed_proofs_fail_without_raising(proof) -> None:
    ok, detail = verify_certificate_log_proof(proof, canonical_json(credential()), VKEY, ORIGIN)
    assert not ok and detail


@pytest.mark.parametrize("data", [b"", b"not json", b"[]", b"\xff", b'{"transparencyLog": 1}'])
def test_unreadable_credentials_fail_without_raising(data) -> None:
    ok, _ = verify_certificate_log_proof(proof_for(credential()), data, VKEY, ORIGIN)
    assert not ok


def test_a_proof_for_another_index_fails() -> None:
    document = credential(index=3)
    proof = proof_for(document)
    moved = proof.replace("index 3\n", "index 4\n", 1)
    assert not verify_certificate_log_proof(moved, canonical_json(document), VKEY, ORIGIN)[0]


def test_issuance_entry_rebuilds_the_leaf() -> None:
    index, origin, entry = issuance_entry(credential())
    assert (index, origin) == (3, ORIGIN)
    assert json.loads(entry)["event"] == "issued"
    with pytest.raises(LogProofError):
        issuance_entry({"transparencyLog": {"index": True}})
