"""What clients of the registry rely on, as plain data in and out (no I/O).

- :mod:`~certify.core.clients.webhooks`: Standard Webhooks signatures (``webhook-id``,
  ``webhook-timestamp``, ``webhook-signature``), secrets and the retry schedule.
- :mod:`~certify.core.clients.addresses`: which webhook targets are allowed (no loopback,
  private, link-local or otherwise internal addresses: server-side request forgery).
- :mod:`~certify.core.clients.bulk`: reading a client's CSV of serials or names, one clear
  row per line, and writing the answer formula-safe.
- :mod:`~certify.core.clients.badge`: the embeddable SVG badge.

Callers import from the module that holds a name; nothing is re-exported here.
"""
