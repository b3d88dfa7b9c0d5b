"""Notifications: the outbox written with each change, e-mail delivery, the in-app list.

``models``: the outbox rows and preferences. ``kinds``: every kind of message, in one table.
``operations``: :func:`~certify.notifications.operations.notify` and what people do with
their messages. ``delivery``: claiming, sending (SMTP or ``.eml`` files) and retrying.
``audiences``: who is told. ``views`` (blueprint ``notifications``): ``/notifications`` and the
admin's ``/admin/mail``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprint, the unread count for the header, and the request for delivery
    after each commit that wrote to the outbox."""
    from certify.notifications import views, wakeup

    app.register_blueprint(views.bp)
    app.context_processor(views.unread_notifications)
    wakeup.listen()
