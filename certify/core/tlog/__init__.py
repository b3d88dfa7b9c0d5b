"""The transparency log's formats and math, pure (no storage).

- :mod:`~certify.core.tlog.merkle`: RFC 9162 Merkle tree hashes, proofs and their
  verification, over stored complete-subtree hashes.
- :mod:`~certify.core.tlog.note`: C2SP signed notes and their Ed25519 keys.
- :mod:`~certify.core.tlog.checkpoint`: C2SP tlog checkpoints and the log's origin.
- :mod:`~certify.core.tlog.proof`: C2SP tlog proofs, verified offline.
- :mod:`~certify.core.tlog.entry`: certify's log leaf (canonical JSON, no personal data).
- :mod:`~certify.core.tlog.logproof`: the log proof a certificate carries, checked from the
  credential alone.
- :mod:`~certify.core.tlog.errors` and :mod:`~certify.core.tlog.codec`: the errors (all a
  :class:`~certify.core.tlog.errors.NoteError`) and the strict codecs they share.

Callers import from the module that holds a name; nothing is re-exported here.
"""
