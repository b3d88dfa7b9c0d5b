"""Certificates: keys, serials, the issuance pipeline, credentials, status lists, lifecycle.

``keys``: the key store on disk. ``fonts``: the PDF's fonts on disk. ``issuance``:
:func:`issue_certificate`, an ordered list of steps, all or nothing. ``statuslists``: Bitstring
Status Lists, re-signed on every change. ``operations``: suspend, reinstate, withdraw,
supersede. ``views`` (blueprint ``certificates``): the served credential, status lists,
``/.well-known`` key documents and the admin pages. ``cli``: ``keys`` and ``certificates``
commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprint, the ``keys`` and ``certificates`` commands, the ``flask init``
    step creating missing keys, the issuance steps, the dashboard provider and the admin
    navigation link."""
    from certify.certificates import (
        cli,
        issuance,
        pdf,
        pdf_views,  # noqa: F401 - adds its route to the blueprint
        views,
    )
    from certify.templating import add_nav_link

    views.init_app(app)
    issuance.install_default_steps(app)
    pdf.install_pdf_steps(app)
    app.cli.add_command(cli.keys_group)
    app.cli.add_command(cli.certificates_group)
    app.extensions.setdefault("certify.init_steps", []).append(cli.create_missing_keys)
    add_nav_link(app, "certificates.admin_index", "Certificates", roles=["admin"])
