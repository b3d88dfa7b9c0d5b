"""The client's pages: registration, the watch list, webhooks (with the delivery log) and API
tokens. Thin: load, check access, one operation, respond."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from certify.access import public
from certify.accounts.access import current_user, roles_required
from certify.accounts.models import Role, User
from certify.clients import operations
from certify.clients.forms import (
    ApiTokenForm,
    ClientRegisterForm,
    EmptyForm,
    WatchForm,
    WebhookForm,
)
from certify.clients.models import ApiToken, Watch, WebhookDelivery, WebhookEndpoint
from certify.db import db_session
from certify.ratelimit import public_limit
from certify.transaction import attempt

bp = Blueprint("clients", __name__)

client_required = roles_required(Role.CLIENT)


def _me() -> User:
    user = current_user()
    assert user is not None
    return user


def _owned(model: Any, public_id: str) -> Any:
    """The caller's row of *model*; 404 for anyone else's (ids reveal nothing)."""
    row = db_session().scalar(
        select(model).where(model.public_id == public_id, model.user_id == _me().id)
    )
    if row is None:
        abort(404)
    return row


@bp.route("/clients/register", methods=["GET", "POST"])
@public_limit("password_reset")
@public
def register() -> Any:
    if current_user() is not None:
        flash("You are already signed in.", "info")
        return redirect(url_for("accounts.dashboard"))
    form = ClientRegisterForm()
    if form.validate_on_submit():
        with attempt(form) as done:
            operations.register_client(
                db_session(), email=form.email.data, full_name=form.full_name.data
            )
        if done:
            flash(
                f"Almost done: we sent a link to {form.email.data}. Follow it to confirm the "
                "address and choose your password.",
                "success",
            )
            return redirect(url_for("accounts.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("clients/register.html", form=form), status


def _watch_rows(user: User) -> list[Watch]:
    return list(
        db_session().scalars(
            select(Watch).where(Watch.user_id == user.id).order_by(Watch.created_at, Watch.id)
        )
    )


@bp.route("/watches", methods=["GET", "POST"])
@client_required
def watches() -> Any:
    form = WatchForm()
    if form.validate_on_submit():
        with attempt(form) as done:
            operations.add_watch(db_session(), _me(), form.subject.data)
        if done:
            flash("Added to your watch list.", "success")
            return redirect(url_for("clients.watches"))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "clients/watches.html", form=form, watches=_watch_rows(_me()), remove=EmptyForm()
    ), status


@bp.post("/watches/<public_id>/remove")
@client_required
def remove_watch(public_id: str) -> Any:
    watch = _owned(Watch, public_id)
    if EmptyForm().validate_on_submit():
        operations.remove_watch(db_session(), _me(), watch)
        flash("Removed from your watch list.", "success")
    return redirect(url_for("clients.watches"))


def _webhook_page(form: WebhookForm, secret: str | None = None, status: int = 200) -> Any:
    user = _me()
    s = db_session()
    endpoints = s.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.user_id == user.id)
        .order_by(WebhookEndpoint.created_at)
    ).all()
    deliveries = s.scalars(
        select(WebhookDelivery)
        .join(WebhookEndpoint)
        .where(WebhookEndpoint.user_id == user.id)
        .order_by(WebhookDelivery.id.desc())
        .limit(50)
    ).all()
    return render_template(
        "clients/webhooks.html",
        form=form,
        endpoints=endpoints,
        deliveries=deliveries,
        secret=secret,
        button=EmptyForm(),
    ), status


@bp.route("/webhooks", methods=["GET", "POST"])
@client_required
def webhooks() -> Any:
    form = WebhookForm()
    if form.validate_on_submit():
        with attempt(form) as done:
            _endpoint, secret = operations.add_webhook(db_session(), _me(), form.url.data)
        if done:
            # shown once, on this answer only: the page is never cached (HTML is no-store)
            return _webhook_page(WebhookForm(formdata=None), secret=secret)
    return _webhook_page(form, status=400 if request.method == "POST" else 200)


@bp.post("/webhooks/<public_id>/rotate")
@client_required
def rotate_webhook(public_id: str) -> Any:
    endpoint = _owned(WebhookEndpoint, public_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    secret = operations.rotate_webhook_secret(db_session(), _me(), endpoint)
    return _webhook_page(WebhookForm(formdata=None), secret=secret)


@bp.post("/webhooks/<public_id>/remove")
@client_required
def remove_webhook(public_id: str) -> Any:
    endpoint = _owned(WebhookEndpoint, public_id)
    if EmptyForm().validate_on_submit():
        operations.remove_webhook(db_session(), _me(), endpoint)
        flash("The webhook is removed.", "success")
    return redirect(url_for("clients.webhooks"))


@bp.route("/account/api-tokens", methods=["GET", "POST"])
@client_required
def api_tokens() -> Any:
    form = ApiTokenForm()
    token = None
    if form.validate_on_submit():
        with attempt(form) as done:
            _row, token = operations.create_api_token(
                db_session(), _me(), form.name.data, list(form.scopes.data or [])
            )
        if done:
            form = ApiTokenForm(formdata=None)
    rows = (
        db_session()
        .scalars(select(ApiToken).where(ApiToken.user_id == _me().id).order_by(ApiToken.created_at))
        .all()
    )
    status = 400 if request.method == "POST" and token is None else 200
    return render_template(
        "clients/api_tokens.html", form=form, tokens=rows, token=token, button=EmptyForm()
    ), status


@bp.post("/account/api-tokens/<public_id>/revoke")
@client_required
def revoke_api_token(public_id: str) -> Any:
    row = _owned(ApiToken, public_id)
    if EmptyForm().validate_on_submit():
        operations.revoke_api_token(db_session(), _me(), row)
        flash("The token is revoked: it no longer works.", "success")
    return redirect(url_for("clients.api_tokens"))


def dashboard_context(_app: Any, user: User) -> dict[str, Any]:
    """The client's panel on the dashboard: how many watches and webhooks."""
    if not user.has_role(Role.CLIENT):
        return {}
    s = db_session()
    return {
        "client_watch_count": len(
            s.scalars(select(Watch.id).where(Watch.user_id == user.id)).all()
        ),
        "client_webhook_count": len(
            s.scalars(select(WebhookEndpoint.id).where(WebhookEndpoint.user_id == user.id)).all()
        ),
    }
