"""Certificate verification: is this document genuine, unmodified, issued by this registry,
and valid today?

Pure: given the document's bytes (a signed PDF or a credential JSON), the registry's key export
(what a verifier pins) and, when online, what the registry says about the serial now, run the
checks of the public contract in order and return one verdict. The web pages, the API and the
offline ``certify-verify`` all call
:func:`~certify.core.verification.document.verify_document`.

Checks, in order (each ``ok`` True, False, or None when not run): ``file_readable``,
``pdf_signature``, ``pdf_coverage``, ``signer_trusted``, ``credential_proof``,
``credential_issuer``, ``record_match``, ``status``, ``validity_period``, ``log_inclusion``.

- :mod:`~certify.core.verification.model`: checks, verdicts, keys, records, the result.
- :mod:`~certify.core.verification.document`: reading the document and the order of checks.
- :mod:`~certify.core.verification.checks`: the checks after the document's own.
- :mod:`~certify.core.verification.verdict`: the verdict, and today's status on a stored
  result.

Callers import from the module that holds a name; nothing is re-exported here.
"""
