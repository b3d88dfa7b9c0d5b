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
