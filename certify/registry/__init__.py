"""The public registry (blueprint ``registry``): search, certificate pages, CSV and Atom.

``models``: the search terms table and the indexes the registry needs. ``search``: filters,
word and prefix search, pages and live statuses, shared with the JSON API. ``views``: the
pages, ``/registry/export.csv`` and ``/registry/feed.atom``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def step_registry_terms(ctx: Any) -> None:
    """Issuance step: add the new certificate to the registry (its narrow copy and search
    terms) in the same transaction."""
    from certify.registry.search import index_certificate

    index_certificate(ctx.session, ctx.certificate)


def init_app(app: Flask) -> None:
    """Register the blueprint, the issuance step filling the search index, the rate limiter
    and the public "Registry" navigation link."""
    from certify import ratelimit
    from certify.certificates.issuance import add_issuance_step, issuance_steps
    from certify.registry import models as _models  # noqa: F401  (tables and indexes)
    from certify.registry import views
    from certify.templating import add_nav_link

    if "certify.ratelimit" not in app.extensions:
        ratelimit.init_app(app)
        app.extensions["certify.ratelimit"] = True
    views.init_app(app)
    if "registry_terms" not in [name for name, _ in issuance_steps(app)]:
        add_issuance_step(app, "registry_terms", step_registry_terms, after="record")
    add_nav_link(app, "registry.index", "Registry")
