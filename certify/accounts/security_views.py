"""Second factors in the browser: the sign-in's second step, re-authentication for dangerous
actions, and the security page (authenticator app, passkeys, recovery codes).

Everything works without JavaScript except the passkey ceremonies, which browsers only offer
to scripts (``static/js/passkeys.js``): their two JSON endpoints each take a challenge the
server made (:mod:`certify.accounts.passkeys`). A code typed in is the no-script path.
"""

from __future__ import annotations

import math
from typing import Any

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from certify import clock
from certify.access import public
from certify.accounts.access import current_session, current_user, login_required
from certify.accounts.factors import (
    FactorRefused,
    check_code,
    enrol_totp,
    factors_of,
    new_recovery_codes,
    record_reauthentication,
    remove_totp,
)
from certify.accounts.forms import ActionForm, CodeForm, PasskeyNameForm, TotpEnrolForm
from certify.accounts.models import User
from certify.accounts.passkeys import (
    authentication_options,
    check_passkey,
    new_challenge,
    register_passkey,
    registration_options,
    remove_passkey,
    take_challenge,
)
from certify.accounts.reauth import (
    ask_for_second_factor,
    fresh_second_factor,
    has_fresh_second_factor,
    needs_enrolment,
)
from certify.accounts.sessions import mark_second_factor
from certify.accounts.signin import finish_sign_in, landing, pending
from certify.core.second_factor import new_totp_secret, provisioning_uri
from certify.db import db_session
from certify.operations import OperationError
from certify.transaction import attempt, keep_changes

bp = Blueprint("security", __name__)

_TOTP_SETUP = "totp_setup"
_SIGN_CHALLENGE = "passkey_sign"
_ADD_CHALLENGE = "passkey_add"


def _me() -> User:
    user = current_user()
    assert user is not None
    return user


def _refusal(refused: FactorRefused) -> tuple[int, dict[str, str]]:
    if refused.wait_until is None:
        return 401, {}
    seconds = (refused.wait_until - clock.now()).total_seconds()
    return 429, {"Retry-After": str(max(1, math.ceil(seconds)))}


def _confirmed(user: User, method: str) -> None:
    record = current_session()
    assert record is not None
    mark_second_factor(db_session(), record)
    record_reauthentication(db_session(), user, method)


def _code_page(
    user: User,
    form: CodeForm,
    purpose: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
    next_url: str | None = None,
) -> Any:
    page = render_template(
        "accounts/second_factor.html",
        form=form,
        factors=factors_of(db_session(), user),
        purpose=purpose,
        minutes=current_app.config["REAUTH_MINUTES"],
        next=next_url,
    )
    return page, status, headers or {}


# -- the second step of signing in --------------------------------------------------------------


@bp.route("/login/second-factor", methods=["GET", "POST"])
@public
def second_factor() -> Any:
    held = pending()
    if held is None:
        flash("Sign in with your e-mail address and password first.", "info")
        return redirect(url_for("accounts.login"))
    user, next_url = held
    form = CodeForm()
    if form.validate_on_submit():
        try:
            check_code(db_session(), user, form.code.data or "")
        except FactorRefused as refused:
            keep_changes()  # the failure counts although the answer is an error
            form.code.errors = [refused.message]
            status, headers = _refusal(refused)
            return _code_page(user, form, "sign-in", status, headers=headers)
        return redirect(finish_sign_in(user, next_url))
    return _code_page(user, form, "sign-in", 400 if request.method == "POST" else 200)


@bp.route("/account/reauth", methods=["GET", "POST"])
@login_required
def reauth() -> Any:
    user = _me()
    next_url = request.args.get("next")
    if not factors_of(db_session(), user).any:
        flash("Set up a second factor first: dangerous actions need one.", "info")
        return redirect(url_for("security.index"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            method = check_code(db_session(), user, form.code.data or "")
        except FactorRefused as refused:
            keep_changes()
            form.code.errors = [refused.message]
            status, headers = _refusal(refused)
            return _code_page(user, form, "reauth", status, headers, next_url)
        _confirmed(user, method)
        flash("Confirmed: it is you. Submit the action again.", "success")
        return redirect(landing(next_url))
    status = 400 if request.method == "POST" else 200
    return _code_page(user, form, "reauth", status, next_url=next_url)


# -- passkey assertions: signing in, or re-authenticating --------------------------------------


def _signing() -> tuple[User, str | None, bool] | None:
    """Who is showing a passkey: (user, where next, already signed in)."""
    user = current_user()
    if user is not None:
        return user, None, True
    held = pending()
    return None if held is None else (held[0], held[1], False)


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("credential"), dict):
        abort(400)
    return body


@bp.post("/passkeys/challenge")
@public
def passkey_sign_options() -> Any:
    who = _signing()
    if who is None:
        return jsonify(error="Sign in with your password first."), 401
    kept = new_challenge()
    session[_SIGN_CHALLENGE] = kept
    options = authentication_options(db_session(), who[0], take_challenge(kept))
    return Response(options, mimetype="application/json")


@bp.post("/passkeys/answer")
@public
def passkey_sign() -> Any:
    who = _signing()
    if who is None:
        return jsonify(error="Sign in with your password first."), 401
    user, next_url, signed_in = who
    body = _json_body()
    try:
        challenge = take_challenge(session.pop(_SIGN_CHALLENGE, None))
        check_passkey(db_session(), user, body["credential"], challenge)
    except FactorRefused as refused:
        keep_changes()
        status, headers = _refusal(refused)
        return jsonify(error=refused.message), status, headers
    except OperationError as error:
        return jsonify(error=error.message), 400
    if signed_in:
        _confirmed(user, "passkey")
        flash("Confirmed: it is you. Submit the action again.", "success")
        return jsonify(redirect=landing(str(body.get("next") or "") or None))
    return jsonify(redirect=finish_sign_in(user, next_url))


# -- the security page ---------------------------------------------------------------------------


@bp.get("/account/security")
@login_required
def index() -> Any:
    user = _me()
    return render_template(
        "accounts/security.html",
        factors=factors_of(db_session(), user),
        must_enrol=needs_enrolment(),
        fresh=has_fresh_second_factor(),
        action_form=ActionForm(),
        passkey_form=PasskeyNameForm(),
    )


def _adding_needs_reauth(user: User) -> bool:
    """Adding a factor to an account that has one needs a fresh second factor (else a stolen
    session could add the thief's own)."""
    return factors_of(db_session(), user).any and not has_fresh_second_factor()


@bp.route("/account/security/totp", methods=["GET", "POST"])
@login_required
def totp() -> Any:
    user = _me()
    if factors_of(db_session(), user).totp is not None:
        flash("You already have an authenticator app. Remove it first to use another.", "info")
        return redirect(url_for("security.index"))
    if _adding_needs_reauth(user):
        return ask_for_second_factor()
    secret = str(session.get(_TOTP_SETUP) or new_totp_secret())
    session[_TOTP_SETUP] = secret
    form = TotpEnrolForm()
    if form.validate_on_submit():
        with attempt(form) as done:
            codes = enrol_totp(db_session(), user, secret, form.code.data or "")
            record = current_session()
            assert record is not None
            mark_second_factor(db_session(), record)
        if done:
            session.pop(_TOTP_SETUP, None)
            flash("Your authenticator app is set up.", "success")
            if codes:
                return render_template("accounts/recovery_codes.html", codes=codes)
            return redirect(url_for("security.index"))
    uri = provisioning_uri(secret, user.email, str(current_app.config["REGISTRY_NAME"]))
    qr = segno.make(uri, error="m").svg_data_uri(scale=5, dark="#000", light="#fff")
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/totp.html", form=form, secret=secret, qr=qr, uri=uri), status


@bp.post("/account/security/totp/remove")
@login_required
@fresh_second_factor
def totp_remove() -> Any:
    if not ActionForm().validate_on_submit():
        abort(400)
    with attempt() as done:
        remove_totp(db_session(), _me())
    if done:
        flash("Your authenticator app is removed.", "success")
    return redirect(url_for("security.index"))


@bp.post("/account/security/recovery-codes")
@login_required
@fresh_second_factor
def recovery_codes() -> Any:
    user = _me()
    if not ActionForm().validate_on_submit():
        abort(400)
    if not factors_of(db_session(), user).any:
        flash("Set up an authenticator app or a passkey first.", "info")
        return redirect(url_for("security.index"))
    codes = new_recovery_codes(db_session(), user)
    return render_template("accounts/recovery_codes.html", codes=codes)


@bp.post("/account/security/passkeys/challenge")
@login_required
def passkey_options() -> Any:
    user = _me()
    if _adding_needs_reauth(user):
        refusal = ask_for_second_factor()
        return jsonify(error="Confirm it is you first.", redirect=refusal.location), 403
    kept = new_challenge()
    session[_ADD_CHALLENGE] = kept
    options = registration_options(db_session(), user, take_challenge(kept))
    return Response(options, mimetype="application/json")


@bp.post("/account/security/passkeys")
@login_required
def passkey_add() -> Any:
    user = _me()
    body = _json_body()
    if _adding_needs_reauth(user):
        return jsonify(error="Confirm it is you first."), 403
    name = str(body.get("name") or "")[:100]
    with attempt(shown_by_page=(OperationError,)) as done:
        challenge = take_challenge(session.pop(_ADD_CHALLENGE, None))
        register_passkey(db_session(), user, body["credential"], challenge, name)
        record = current_session()
        assert record is not None
        mark_second_factor(db_session(), record)
    if done.error is not None:
        return jsonify(error=done.error.message), 400
    flash("Your passkey is added.", "success")
    return jsonify(redirect=url_for("security.index"))


@bp.post("/account/security/passkeys/<public_id>/remove")
@login_required
@fresh_second_factor
def passkey_remove(public_id: str) -> Any:
    user = _me()
    if not ActionForm().validate_on_submit():
        abort(400)
    with attempt() as done:
        remove_passkey(
            db_session(), user, public_id, factors_of(db_session(), user).totp is not None
        )
    if done:
        flash("The passkey is removed.", "success")
    return redirect(url_for("security.index"))
