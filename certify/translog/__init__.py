"""The public transparency log of issuance, status and key changes.

``models``: entries, stored subtree hashes, signed checkpoints, the head. ``operations``:
appends (in the caller's transaction, serialised by the head row), roots and proofs from
stored nodes, a certificate's history, the audit behind ``log verify``, and the two
issuance steps. ``views`` (blueprint ``translog``): ``/api/v1/log/*``,
``/api/v1/certificates/<serial>/status`` and the ``/log`` page. ``cli``: ``log verify`` and
the ``flask init`` step that logs key changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprint and a public navigation link to ``/log``, the ``log`` command
    group, the ``flask init`` step, the key-rotation step and the issuance steps
    (``log_reserve`` before ``credential``, ``log_append`` right after it)."""
    from certify.certificates.issuance import add_issuance_step
    from certify.certificates.operations import KEY_ROTATION_STEPS
    from certify.templating import add_nav_link
    from certify.translog import cli, operations, views

    app.register_blueprint(views.bp)
    add_nav_link(app, "translog.log_page", "Transparency log")
    app.cli.add_command(cli.log_group)
    app.extensions.setdefault("certify.init_steps", []).append(cli.log_key_changes_step)
    app.extensions.setdefault(KEY_ROTATION_STEPS, []).append(operations.log_rotated_keys)
    add_issuance_step(app, "log_reserve", operations.step_log_reserve, before="credential")
    add_issuance_step(app, "log_append", operations.step_log_append, after="credential")
