"""The certificate as a W3C Verifiable Credential 2.0, signed with ``eddsa-jcs-2022``, its
keys and its status lists.

- :mod:`~certify.core.credentials.building`: the unsigned credential of a certificate.
- :mod:`~certify.core.credentials.proofs`: signing it and checking its proof.
- :mod:`~certify.core.credentials.keydocs`: the DID document and the key export that
  publish the keys, and a key resolver built from them.
- :mod:`~certify.core.credentials.keys`: Ed25519 credential key material.
- :mod:`~certify.core.credentials.statuslist`: Bitstring Status Lists (revocation and
  suspension).
- :mod:`~certify.core.credentials.urls`, :mod:`~certify.core.credentials.dates`,
  :mod:`~certify.core.credentials.multibase`, :mod:`~certify.core.credentials.vocabulary`:
  the identifiers, date-times, encodings and terms they share.

Decisions worth knowing:

- ``@context`` is only ``https://www.w3.org/ns/credentials/v2``. The VC 2.0 base context has
  ``"@vocab": "https://www.w3.org/ns/credentials/issuer-dependent#"``, so our own terms
  (``ImpactSourcingCertificate``, ``overallScore``, ``transparencyLog`` ...) are valid JSON-LD
  without a context of our own, and ``eddsa-jcs-2022`` signs the JSON (RFC 8785) rather than
  an RDF graph, so no context is ever fetched to verify. The VC spec encourages a published
  vocabulary for production; adding one later means a new ``@context`` entry (and so a new
  signature), not a format change.
- The proof follows W3C "Data Integrity EdDSA Cryptosuites v1.0", section
  ``eddsa-jcs-2022`` (see :mod:`~certify.core.credentials.proofs`).
- ``issuer.id`` and ``verificationMethod`` use did:web.

Callers import from the module that holds a name; nothing is re-exported here.
"""
