"""The credential vocabulary certify signs with: contexts, types, the cryptosuite, the status
purposes, and :class:`CredentialError`."""

from __future__ import annotations

VC_CONTEXT_V2 = "https://www.w3.org/ns/credentials/v2"
DID_CONTEXTS = ("https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1")
CREDENTIAL_TYPE = "ImpactSourcingCertificate"
PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
PROOF_PURPOSE = "assertionMethod"
STATUS_PURPOSES = ("revocation", "suspension")


class CredentialError(ValueError):
    """Input cannot make a well-formed credential (bad snapshot, URL, key list...)."""
