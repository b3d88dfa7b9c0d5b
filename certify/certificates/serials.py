"""Serials as people type them: the canonical form and the one true URL of a certificate.

A serial copied from paper may come in lower case, with spaces or with O for 0; every page
that takes a serial in its path answers such a form with a permanent redirect to the
canonical URL, and text that cannot be a serial with a 404.
"""

from __future__ import annotations

from flask import abort, current_app, redirect, url_for
from werkzeug.wrappers import Response

from certify.core.serial import SerialError, normalise_serial

__all__ = ["canonical_serial", "redirect_to_canonical"]


def canonical_serial(text: str) -> str | None:
    """The canonical form of a typed serial, or None when *text* cannot be one."""
    try:
        return normalise_serial(text, current_app.config["SERIAL_PREFIX"])
    except SerialError:
        return None


def redirect_to_canonical(endpoint: str, serial: str) -> Response | None:
    """None when *serial* is canonical; else a 301 to *endpoint* with the canonical serial.

    Raises:
        NotFound: *serial* cannot be a serial (404).
    """
    canonical = canonical_serial(serial)
    if canonical is None:
        abort(404)
    if canonical == serial:
        return None
    return redirect(url_for(endpoint, serial=canonical), code=301)
