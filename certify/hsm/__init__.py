"""Signing keys (and optionally the evidence KEK) in a PKCS#11 token (issue 24, item 6).

With ``PKCS11_MODULE`` unset nothing here is used and every key is a file in ``KEYS_DIR``.
With it set, new document-signing and credential keys are made in the token
(:mod:`certify.hsm.objects`) and used there: pyHanko's ``PKCS11Signer`` signs the PDFs,
``CKM_EDDSA`` the credentials, ``CKM_AES_GCM`` wraps evidence data keys when
``EVIDENCE_KEK_IN_TOKEN`` is on. The key manifest records, per key, whether it is a file or a
token object (by ``CKA_ID``), so files and token keys can follow each other across a rotation.

What stays in files, and why:

- the root CA's key: it signs a document-signing certificate or a CRL a few times a year and
  belongs offline (removable media, ``--root-key``), not in the token the servers log in to;
- the transparency log's key: not moved by this change (the issue names the document-signing
  and credential keys); it signs checkpoints with Ed25519 like the credential key, so
  :class:`~certify.hsm.objects.TokenEd25519Key` could carry it later;
- certificates (public): beside the manifest, as before.

This package talks to the token; it imports nothing from Flask or the database, and the core
reaches the token only through the protocols it defines (``Ed25519Signer``,
``KeyEncryptionKey``, a pyHanko ``Signer``).
"""
