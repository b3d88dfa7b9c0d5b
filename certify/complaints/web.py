"""What the complaint pages share: the blueprint, the signed-in user, the uploads of a
request, the labels templates read, and loading complaints and appeals with access checked
(someone who may not see one gets a 404, as if it did not exist)."""

from __future__ import annotations

from typing import Any, BinaryIO, cast

from flask import Blueprint, Flask, abort, make_response, request
from sqlalchemy import select

from certify.accounts.access import current_user
from certify.accounts.models import Role, User
from certify.complaints.attachments import Upload
from certify.complaints.models import Appeal, Complaint
from certify.core import labels
from certify.db import db_session

bp = Blueprint("complaints", __name__)


def me() -> User:
    user = current_user()
    assert user is not None  # the route's access rule guarantees one
    return user


def uploads(field_name: str) -> list[Upload]:
    return [
        Upload(cast(BinaryIO, f.stream), f.filename or "file")
        for f in request.files.getlist(field_name)
        if f and f.filename
    ]


def can_view_complaint(user: User, complaint: Complaint) -> bool:
    """Admins (to assign and oversee) and the handler. Nobody else: not the ISSP, not its
    auditor or reviewer."""
    return user.has_role(Role.ADMIN) or complaint.handler_id == user.id


def get_complaint_or_404(public_id: str) -> Complaint:
    complaint = db_session().scalar(select(Complaint).where(Complaint.public_id == public_id))
    if complaint is None or not can_view_complaint(me(), complaint):
        abort(404)
    return complaint


def can_view_appeal(user: User, appeal: Appeal) -> bool:
    """Admins, the decider, and the appealing organisation's members."""
    return (
        user.has_role(Role.ADMIN)
        or appeal.decider_id == user.id
        or (user.has_role(Role.ISSP) and user.organisation_id == appeal.organisation_id)
    )


def get_appeal_or_404(public_id: str) -> Appeal:
    appeal = db_session().scalar(select(Appeal).where(Appeal.public_id == public_id))
    if appeal is None or not can_view_appeal(me(), appeal):
        abort(404)
    return appeal


def _label(identifier: str | None, table: str) -> str:
    return labels.label(getattr(labels, table), identifier)


def register_filters(app: Flask) -> None:
    """``{{ c.category|clabel('COMPLAINT_CATEGORIES') }}``: a complaint or appeal label."""
    app.jinja_env.filters["clabel"] = _label


def no_store(page: Any, status: int = 200) -> Any:
    """*page* as a response that is never cached (a shared computer, a proxy): pages
    showing a complaint."""
    response = make_response(page, status)
    response.headers["Cache-Control"] = "private, no-store"
    return response
