"""``/notifications`` (mine: the list, read marks, e-mail preferences) and the admin's
``/admin/mail`` (the outbox: what was sent, what failed, resend)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from wtforms import BooleanField, HiddenField

from certify.accounts.access import actor_of, current_user, login_required, roles_required
from certify.accounts.models import Role, User
from certify.db import db_session
from certify.forms import Form
from certify.notifications.kinds import KINDS, OPTIONAL_KINDS
from certify.notifications.models import DeliveryStatus, Notification, NotificationPreference
from certify.notifications.operations import mark_read, resend, set_email_preferences, unread_count

bp = Blueprint("notifications", __name__)

PER_PAGE = 50


class ReadForm(Form):
    notification = HiddenField()


def preferences_form_class() -> type[Form]:
    """One checkbox per optional kind: send it by e-mail, or only list it here."""
    fields = {kind.name.replace(".", "__"): BooleanField(kind.label) for kind in OPTIONAL_KINDS}
    return type("PreferencesForm", (Form,), fields)


def _me() -> User:
    user = current_user()
    assert user is not None
    return user


def unread_notifications() -> dict[str, Any]:
    """Template value: the signed-in user's unread count (for the header)."""
    try:
        user = current_user()
        count = unread_count(db_session(), user) if user is not None else 0
    except Exception:  # the error page must render even when the database is down
        count = 0
    return {"unread_notifications": count}


@bp.get("/notifications")
@login_required
def index() -> str:
    user = _me()
    rows = db_session().scalars(
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(PER_PAGE)
    )
    wanted = dict(
        db_session()
        .execute(
            select(NotificationPreference.kind, NotificationPreference.email).where(
                NotificationPreference.user_id == user.id
            )
        )
        .all()
    )
    form = preferences_form_class()()
    for kind in OPTIONAL_KINDS:
        form[kind.name.replace(".", "__")].data = wanted.get(kind.name, True)
    return render_template(
        "notifications/index.html", notifications=list(rows), form=form, read_form=ReadForm()
    )


@bp.post("/notifications/read")
@login_required
def read() -> Any:
    form = ReadForm()
    if not form.validate_on_submit():
        abort(400)
    one = [form.notification.data] if form.notification.data else None
    marked = mark_read(db_session(), _me(), one)
    flash(f"{marked} notification(s) marked as read.", "success")
    return redirect(url_for("notifications.index"))


@bp.post("/notifications/preferences")
@login_required
def preferences() -> Any:
    form = preferences_form_class()()
    if not form.validate_on_submit():
        abort(400)
    wanted = {kind.name: bool(form[kind.name.replace(".", "__")].data) for kind in OPTIONAL_KINDS}
    set_email_preferences(db_session(), _me(), wanted)
    flash("Your e-mail choices are saved.", "success")
    return redirect(url_for("notifications.index", _anchor="preferences"))


@bp.get("/admin/mail")
@roles_required(Role.ADMIN)
def admin_mail() -> str:
    status = request.args.get("status") or None
    if status is not None and status not in {s.value for s in DeliveryStatus}:
        abort(400, "Unknown status.")
    query = select(Notification).order_by(Notification.id.desc()).limit(200)
    if status:
        query = query.where(Notification.status == status)
    counts = dict(
        db_session()
        .execute(select(Notification.status, func.count()).group_by(Notification.status))
        .all()
    )
    return render_template(
        "notifications/admin_mail.html",
        rows=list(db_session().scalars(query)),
        counts=counts,
        status=status,
        statuses=[s.value for s in DeliveryStatus],
        kinds=KINDS,
        resend_form=ReadForm(),
    )


@bp.get("/admin/mail/<public_id>")
@roles_required(Role.ADMIN)
def admin_message(public_id: str) -> str:
    row = _message_or_404(public_id)
    return render_template(
        "notifications/admin_message.html",
        row=row,
        kind=KINDS.get(row.kind),
        resend_form=ReadForm(),
    )


@bp.post("/admin/mail/<public_id>/resend")
@roles_required(Role.ADMIN)
def admin_resend(public_id: str) -> Any:
    row = _message_or_404(public_id)
    if not ReadForm().validate_on_submit():
        abort(400)
    if row.status not in (DeliveryStatus.FAILED.value, DeliveryStatus.SENT.value):
        flash("This message is still waiting to be sent.", "info")
    else:
        resend(db_session(), row, actor_of(_me()))
        to = KINDS[row.kind].recipient(row.to_address) if row.kind in KINDS else row.to_address
        flash(f"The message to {to} is queued again.", "success")
    return redirect(url_for("notifications.admin_message", public_id=public_id))


def _message_or_404(public_id: str) -> Notification:
    row = db_session().scalar(select(Notification).where(Notification.public_id == public_id))
    if row is None:
        abort(404)
    return row
