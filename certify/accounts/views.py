"""Sign-in, registration, invitations, password change, staff accounts and dashboards."""

from __future__ import annotations

import math
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import func, select

from certify import clock, signals
from certify.access import public
from certify.accounts.access import (
    actor_of,
    current_session,
    current_user,
    login_required,
    roles_required,
)
from certify.accounts.forms import (
    ForgotPasswordForm,
    InviteForm,
    JoinForm,
    LoginForm,
    PasswordChangeForm,
    RegisterForm,
    ResetPasswordForm,
    StaffForm,
)
from certify.accounts.models import STAFF_ROLES, Organisation, Role, SessionEnd, User, UserRole
from certify.accounts.operations import (
    SiteData,
    change_password,
    create_staff_user,
    register_issp,
    sign_in,
)
from certify.accounts.reauth import fresh_second_factor
from certify.accounts.sessions import end_session
from certify.accounts.signin import after_password, landing, open_session
from certify.accounts.tokens import (
    INVITATION_DAYS,
    RESET_MINUTES,
    SETUP_DAYS,
    accept_invitation,
    find_invitation,
    find_token,
    request_password_reset,
    send_account_setup,
    send_invitation,
    set_password_with_token,
)
from certify.db import db_session
from certify.operations import OperationError
from certify.ratelimit import public_limit
from certify.transaction import attempt, keep_changes

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    next_url = request.args.get("next")
    if current_user() is not None:
        return redirect(landing(next_url))
    form = LoginForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        result = sign_in(
            db_session(),
            form.email.data or "",
            form.password.data or "",
            request.remote_addr or "unknown",
        )
        if result.user is not None:
            return after_password(result.user, next_url)
        keep_changes()  # the failure counts stick, although the answer is an error
        form.password.errors = [result.message or "Sign-in failed."]
        status = 401
        if result.wait_until is not None:
            status = 429
            seconds = (result.wait_until - clock.now()).total_seconds()
            headers["Retry-After"] = str(max(1, math.ceil(seconds)))
    elif request.method == "POST":
        status = 400
    page = render_template("accounts/login.html", form=form, next=next_url)
    return page, status, headers


@bp.post("/logout")
@login_required
def logout() -> Any:
    record = current_session()
    if record is not None:
        end_session(db_session(), record, SessionEnd.SIGNED_OUT)
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("main.index"))


@bp.route("/register", methods=["GET", "POST"])
@public
def register() -> Any:
    if current_user() is not None:
        flash("You are already signed in. Sign out first to register another organisation.", "info")
        return redirect(url_for("accounts.dashboard"))
    form = RegisterForm()
    if form.validate_on_submit():
        sites = [
            SiteData(
                e.form.name.data.strip(),
                e.form.address.data.strip(),
                e.form.country.data or form.country.data,
            )
            for e in form.sites.entries
            if (e.form.name.data or "").strip() and (e.form.address.data or "").strip()
        ]
        with attempt(form) as done:
            user = register_issp(
                db_session(),
                legal_name=form.legal_name.data,
                country=form.country.data,
                registration_number=form.registration_number.data,
                website=form.website.data,
                sites=sites,
                full_name=form.full_name.data,
                email=form.email.data,
                password=form.password.data,
            )
        if done:
            open_session(user, second_factor=False)
            flash("Your organisation is registered. Next: start an application.", "success")
            return redirect(url_for("accounts.dashboard"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/register.html", form=form), status


@bp.get("/dashboard")
@login_required
def dashboard() -> Any:
    user = current_user()
    assert user is not None
    context: dict[str, Any] = {"user": user}
    if user.has_role(Role.ADMIN):
        s = db_session()
        context["counts"] = {
            "organisations": s.scalar(select(func.count()).select_from(Organisation)),
            "staff": s.scalar(
                select(func.count(func.distinct(UserRole.user_id))).where(
                    UserRole.role.in_([r.value for r in STAFF_ROLES])
                )
            ),
        }
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the real app
    for _receiver, panel in signals.dashboard.send(app, user=user):
        context.update(panel or {})
    return render_template("accounts/dashboard.html", **context)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password() -> Any:
    user = current_user()
    assert user is not None
    form = PasswordChangeForm()
    if form.validate_on_submit():
        with attempt(form) as done:
            change_password(
                db_session(),
                user,
                form.current_password.data,
                form.password.data,
                keep=current_session(),  # this session stays; the others end
            )
        if done:
            flash(
                "Your password is changed. Other devices signed in as you are signed out.",
                "success",
            )
            return redirect(url_for("accounts.dashboard"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/password.html", form=form), status


@bp.get("/organisation")
@roles_required(Role.ISSP)
def organisation() -> Any:
    user = current_user()
    assert user is not None
    if user.organisation is None:
        abort(404)
    return render_template("accounts/organisation.html", org=user.organisation, form=InviteForm())


@bp.post("/organisation/invitations")
@roles_required(Role.ISSP)
def invite() -> Any:
    user = current_user()
    assert user is not None
    if user.organisation is None:
        abort(404)
    form = InviteForm()
    if form.validate_on_submit():
        with attempt(form) as done:
            send_invitation(db_session(), user, form.email.data)
        if done:
            flash(
                f"Invitation sent to {form.email.data}. The link works once, for "
                f"{INVITATION_DAYS} days.",
                "success",
            )
            return redirect(url_for("accounts.organisation"))
    return render_template("accounts/organisation.html", org=user.organisation, form=form), 400


@bp.route("/password/forgot", methods=["GET", "POST"])
@public_limit("password_reset")
@public
def forgot_password() -> Any:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        request_password_reset(db_session(), form.email.data)
        # The same answer whether or not the address has an account: no one learns who does.
        flash(
            f"If an account uses {form.email.data}, a link to choose a new password is on its "
            f"way there. It works once, for {RESET_MINUTES} minutes.",
            "info",
        )
        return redirect(url_for("accounts.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/forgot.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public_limit("password_reset")
@public
def reset_password(token: str) -> Any:
    try:
        find_token(db_session(), token)
    except OperationError as error:
        return render_template("accounts/link_invalid.html", message=error.message), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        with attempt(form) as done:
            set_password_with_token(db_session(), token, form.password.data)
        if done:
            session.clear()
            flash("Your new password is set. Sign in with it.", "success")
            return redirect(url_for("accounts.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/reset.html", form=form), status


@bp.route("/invite/<token>", methods=["GET", "POST"])
@public
def join(token: str) -> Any:
    if current_user() is not None:
        flash("Sign out first to accept an invitation for a new account.", "info")
        return redirect(url_for("accounts.dashboard"))
    try:
        invitation = find_invitation(db_session(), token)
    except OperationError as error:
        return render_template("accounts/invitation_invalid.html", message=error.message), 404
    form = JoinForm()
    if request.method == "GET" and invitation.email_normalised:
        form.email.data = invitation.email_normalised
    if form.validate_on_submit():
        with attempt(form) as done:
            user = accept_invitation(
                db_session(),
                token,
                full_name=form.full_name.data,
                email=form.email.data,
                password=form.password.data,
            )
        if done:
            open_session(user, second_factor=False)
            flash(
                f"Welcome to {user.organisation.legal_name if user.organisation else ''}.",
                "success",
            )
            return redirect(url_for("accounts.dashboard"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/join.html", form=form, org=invitation.organisation), status


@bp.route("/admin/staff", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
@fresh_second_factor
def staff() -> Any:
    admin = current_user()
    assert admin is not None
    form = StaffForm()
    if form.validate_on_submit():
        with attempt(form) as done:
            created = create_staff_user(
                db_session(),
                actor_of(admin),
                email=form.email.data,
                full_name=form.full_name.data,
                roles={Role(r) for r in form.roles.data},
            )
            send_account_setup(db_session(), created, actor_of(admin))
        if done:
            flash(
                f"Account created for {created.email}. A link to choose a password was sent "
                f"to that address; it works once, for {SETUP_DAYS} days.",
                "success",
            )
            return redirect(url_for("accounts.staff"))
    people = (
        db_session()
        .scalars(
            select(User)
            .join(UserRole)
            .where(UserRole.role.in_([r.value for r in STAFF_ROLES]))
            .distinct()
            .order_by(User.full_name)
        )
        .all()
    )
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/staff.html", form=form, people=people), status


def inject_user() -> dict[str, Any]:
    """The signed-in user (or None) and the roles, for every template."""
    try:
        user = current_user()
    except Exception:  # an error page must render even when the database is down
        user = None
    return {"current_user": user, "Role": Role}
