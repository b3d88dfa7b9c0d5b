"""Optional hooks between features, as blinker signals (Flask ships blinker).

Only for what is truly optional: a feature adding a panel to a page another feature owns,
where the page is whole without it, or measuring what another feature does (metrics).
Anything that must happen, in order (issuing, status changes, key rotation), is a list in
:mod:`certify.lifecycle`, never a signal.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent (sender: the app) when a signed-in user's dashboard is built, with ``user``. Each
#: receiver returns a dict of template values for its panel (or an empty dict).
dashboard = _signals.signal("dashboard")

#: Sent (sender: the app) when an issuance ends, with ``seconds`` (how long it took) and
#: ``ok`` (False when it failed and nothing was recorded); the metrics count them.
issuance_finished = _signals.signal("issuance-finished")

#: Sent (sender: the app) by the last step of issuing, with ``session`` and ``certificate``,
#: inside the issuance's transaction: watchers of the holder are told (certify.clients).
certificate_issued = _signals.signal("certificate-issued")

#: Sent (sender: the app) by the last step of a status change, with ``change`` (a
#: :class:`certify.certificates.operations.StatusChange`), inside its transaction.
certificate_status_changed = _signals.signal("certificate-status-changed")

#: Sent (sender: the app) when the holder is warned that a certificate expires, with
#: ``session``, ``certificate`` and ``days``, inside that warning's transaction.
certificate_expiring = _signals.signal("certificate-expiring")
