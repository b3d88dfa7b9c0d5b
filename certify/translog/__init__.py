"""The public transparency log of issuance, status and key changes.

``models``: entries, stored subtree hashes, signed checkpoints, the head. ``store``: appends
(in the caller's transaction, serialised by the head row), roots, proofs, checkpoints;
``writer``: an append's statements on the connection's own cursor; ``errors``: ``LogError``.
``steps``: what gets logged, and the log's steps in the lifecycle (:mod:`certify.lifecycle`).
``history``: a certificate's logged history with proofs. ``audit``: ``log verify``.
``views`` (blueprint ``translog``): ``/api/v1/log/*``, ``/api/v1/certificates/<serial>/status``
and the ``/log`` page. ``cli``: ``log verify`` and the ``flask init`` step logging key changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprint and the ``log`` commands."""
    from certify.translog import cli, views

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.log_group)
