"""The second step of a login (a TOTP or recovery code), enrolment with a QR code, and the account's security page."""

from __future__ import annotations

import logging
import time
from typing import Any

import segno
from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from dashboard.auth import check_csrf, csrf_token, finish_login, login_guard, second_factor_roles
from dashboard.context import db, kuzet
from services.access import second_factor
from services.access.second_factor import Enrolment, SecondFactorRefused
from services.access.throttle import Throttled
from services.i18n import _, ngettext
from services.store import audit
from services.store.models import User

logger = logging.getLogger(__name__)

bp = Blueprint("account", __name__)
PENDING_S = 300  # after the password, this long to type the code; then the password again


def _pending() -> tuple[User, str] | None:
    """The user whose password was right a moment ago, and where they were going; None when expired."""
    state = session.get("mfa")
    if not isinstance(state, dict) or not isinstance(state.get("uid"), int) or \
            not isinstance(state.get("at"), (int, float)) or time.time() - state["at"] > PENDING_S:
        return None
    user = db().get(User, state["uid"])
    return (user, str(state.get("next") or "/wall")) if user is not None and user.active else None


def _qr(enrolment: Enrolment) -> str:
    # Inline SVG drawn from our own URI: no script, no image request, nothing the CSP has to allow.
    return segno.make(enrolment.uri, error="m").svg_inline(scale=5, dark="#0b1220", light="#ffffff", border=2)


def _grouped(secret: str) -> str:
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def _enrol_context(user: User, action: str) -> dict[str, Any]:
    """What the enrolment page shows: the QR code and key of the pending secret, where the code goes."""
    enrolment = second_factor.pending_enrolment(user)
    return {"qr": _qr(enrolment), "secret": _grouped(enrolment.secret), "action": action, "username": user.username,
            "required": user.role in second_factor_roles()}


def _enrol_page(user: User, action: str) -> str:
    return render_template("enrol.html", csrf=csrf_token(), **_enrol_context(user, action))


def _checked(user: User, code: str, *, confirm: bool = False) -> list[str] | str:
    """Check a code against the login limits (Throttled, SecondFactorRefused); the codes or the factor used."""
    return second_factor.check(db(), user, code, login_guard(), request.remote_addr or "?", confirm=confirm)


def _refused(who: User, error: Exception, template: str, **context: Any) -> Response:
    if isinstance(error, Throttled):
        kuzet().metrics.logins_refused.labels("throttled").inc()
        flash(_("Too many attempts; wait a minute"))
        answer = Response(render_template(template, csrf=csrf_token(), **context), status=429)
        answer.headers["Retry-After"] = str(max(1, int(error.retry_after + 0.999)))
        return answer
    kuzet().metrics.logins_refused.labels("second_factor").inc()
    audit.record(db(), who.username, "login.refused", "web", ip=request.remote_addr, reason="second factor")
    db().commit()
    flash(_("Refused: %(why)s", why=error))
    return Response(render_template(template, csrf=csrf_token(), **context), status=401)


@bp.route("/login/code", methods=["GET", "POST"])
def login_code() -> Any:
    """The second step: the current code from the authenticator app, or a recovery code."""
    pending = _pending()
    if pending is None:
        flash(_("Sign in again"))
        return redirect(url_for("auth.login"))
    user, target = pending
    if request.method == "POST":
        check_csrf()
        try:
            used = _checked(user, str(request.form.get("code", "")))
        except (SecondFactorRefused, Throttled) as error:
            return _refused(user, error, "login_code.html")
        finish_login(user, used)
        if used == "recovery":
            left = second_factor.recovery_codes_left(db(), user)
            flash(ngettext("Signed in with a recovery code; %(n)s left", "Signed in with a recovery code; %(n)s left",
                           left))
            return redirect(url_for("account.security"))
        return redirect(target)
    return render_template("login_code.html", csrf=csrf_token())


@bp.route("/login/enrol", methods=["GET", "POST"])
def login_enrol() -> Any:
    """First login of a role that requires a second factor: scan the code, confirm one, keep the recovery codes."""
    pending = _pending()
    if pending is None or second_factor.is_enrolled(pending[0]):
        return redirect(url_for("auth.login"))
    user, target = pending
    if request.method == "POST":
        check_csrf()
        try:
            codes = _checked(user, str(request.form.get("code", "")), confirm=True)
        except (SecondFactorRefused, Throttled) as error:
            return _refused(user, error, "enrol.html", **_enrol_context(user, url_for("account.login_enrol")))
        finish_login(user, "totp")
        return render_template("recovery_codes.html", codes=codes, target=target)
    if not user.totp_pending_secret:
        second_factor.begin_enrolment(db(), user)
        db().commit()
    return _enrol_page(user, url_for("account.login_enrol"))


def _me() -> User | None:
    return current_user.user if current_user.is_authenticated else None


@bp.route("/account/security", methods=["GET"])
def security() -> Any:
    """The account's second factor: on or off, recovery codes left, and what may be changed."""
    user = _me()
    if user is None:
        return redirect(url_for("auth.login", next="/account/security"))
    return render_template("account_security.html", csrf=csrf_token(), user=user,
                           enrolled=second_factor.is_enrolled(user), required=user.role in second_factor_roles(),
                           left=second_factor.recovery_codes_left(db(), user))


@bp.route("/account/security/enrol", methods=["POST"])
def security_enrol() -> Any:
    """Set up (or, with a code, confirm) an authenticator for the logged-in user."""
    user = _me()
    if user is None:
        return redirect(url_for("auth.login"))
    check_csrf()
    if second_factor.is_enrolled(user):
        return redirect(url_for("account.security"))
    if "code" not in request.form or not user.totp_pending_secret:
        second_factor.begin_enrolment(db(), user)
        db().commit()
        return _enrol_page(user, url_for("account.security_enrol"))
    try:
        codes = _checked(user, str(request.form.get("code", "")), confirm=True)
    except (SecondFactorRefused, Throttled) as error:
        return _refused(user, error, "enrol.html", **_enrol_context(user, url_for("account.security_enrol")))
    db().commit()
    return render_template("recovery_codes.html", codes=codes, target=url_for("account.security"))


@bp.route("/account/security/recovery", methods=["POST"])
def security_recovery() -> Any:
    """New recovery codes (the old ones stop working), after a current code."""
    return _with_code(lambda user: render_template(
        "recovery_codes.html", codes=second_factor.regenerate_recovery_codes(db(), user),
        target=url_for("account.security")))


@bp.route("/account/security/remove", methods=["POST"])
def security_remove() -> Any:
    """Switch the second factor off, where the role allows it, after a current code."""
    def remove(user: User) -> Any:
        second_factor.remove(db(), user.username, user, second_factor_roles())
        flash(_("Second factor switched off"))
        return redirect(url_for("account.security"))

    return _with_code(remove)


def _with_code(then: Any) -> Any:
    user = _me()
    if user is None:
        return redirect(url_for("auth.login"))
    check_csrf()
    context = dict(user=user, enrolled=second_factor.is_enrolled(user), required=user.role in second_factor_roles(),
                   left=second_factor.recovery_codes_left(db(), user))
    try:
        _checked(user, str(request.form.get("code", "")))
        answer = then(user)
    except (SecondFactorRefused, Throttled) as error:
        db().rollback()
        return _refused(user, error, "account_security.html", **context)
    db().commit()
    return answer
