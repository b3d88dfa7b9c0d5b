"""The certificate as a W3C Verifiable Credential 2.0, signed with ``eddsa-jcs-2022``, its
keys and its status lists.

- :mod:`~certify.core.credentials.building`: the unsigned credential of a certificate.
- :mod:`~certify.core.credentials.proofs`: signing it and checking its proof.
- :mod:`~certify.core.credentials.keydocs`: the DID document and the key export that
  publish the keys, and a key resolver built from them.
- :mod:`~certify.core.credentials.keys`: Ed25519 credential key material.
- :mod:`~certify.core.credentials.statuslist`: Bitstring Status Lists (revocation and
  suspension).
- :mod:`~certify.core.credentials.context`: certify's JSON-LD contexts (``certify-v1``,
  ``certify-v2``).
- :mod:`~certify.core.credentials.impact`: the impact claims ``certify-v2`` adds (the
  record's published figures and bands).
- :mod:`~certify.core.credentials.urls`, :mod:`~certify.core.credentials.dates`,
  :mod:`~certify.core.credentials.multibase`, :mod:`~certify.core.credentials.vocabulary`:
  the identifiers, date-times, encodings and terms they share.

Decisions worth knowing:

- ``@context`` is the VC 2.0 context and certify's own
  (:mod:`~certify.core.credentials.context`, issue 20): the VC 2.0 context defines no
  catch-all vocabulary, so without it JSON-LD processors dropped certify's claims. The
  context is bundled here and pinned in ``relatedResource`` by its SHA-384; every ``id`` is a
  URL. ``eddsa-jcs-2022`` signs the JSON (RFC 8785) rather than an RDF graph, so no context is
  ever fetched to verify; credentials issued before keep verifying as they are. New
  credentials name ``certify-v2`` (issue 22: impact figures, bands, ``certifiedSince``); those
  naming ``certify-v1`` are still served their context and verify unchanged.
- The proof follows W3C "Data Integrity EdDSA Cryptosuites v1.0", section
  ``eddsa-jcs-2022`` (see :mod:`~certify.core.credentials.proofs`).
- ``issuer.id`` and ``verificationMethod`` use did:web.

Callers import from the module that holds a name; nothing is re-exported here.
"""
