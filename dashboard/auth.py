"""Logins: Flask-Login sessions for people, short-lived bearer tokens for integrations."""

from __future__ import annotations

import hmac
import re
import logging
import secrets
import time
from typing import Any
from urllib.parse import urlparse

import sqlalchemy as sa
from flask import (Blueprint, Flask, Response, abort, flash, jsonify, redirect, render_template, request, session,
                   url_for)
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from dashboard.context import db, kuzet
from services.access.permissions import Page, may_open
from services.store import audit
from services.store.models import Department, User
from services.access.sessions import is_live, open_session, revoke, sockets_of
from services.access.throttle import LoginGuard, Throttled
from services.access.second_factor import is_enrolled, must_enrol, required_roles
from services.access.users import LoginRefused, authenticate
from services.i18n import _

logger = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)
PUBLIC_PREFIXES = ("/login", "/language/", "/api/", "/video/", "/assets/", "/_dash-component-suites/", "/healthz", "/metrics", "/favicon.ico")


class SessionUser(UserMixin):
    """The logged-in person as Flask-Login sees them; wraps the stored user."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return str(self.user.id)

    @property
    def role(self) -> str:
        return self.user.role


def login_guard() -> LoginGuard:
    """This app's limits on password checks."""
    guard = kuzet().guard
    assert guard is not None, "create_app sets the guard"
    return guard


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(kuzet().settings.secret_key, salt="kuzet-api-token")


def issue_token(user: User) -> str:
    """A bearer token for this user, valid for the configured TTL and until revoked (a login of its own)."""
    return _serializer().dumps({"uid": user.id, "sid": open_session(db(), user, "token")})


def token_claims(token: str) -> dict[str, Any] | None:
    """The user and login ids inside a valid, unexpired token, or None."""
    try:
        data = _serializer().loads(token, max_age=kuzet().settings.api_token_ttl_s)
    except (SignatureExpired, BadSignature):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("uid"), int) else None


def user_from_token(token: str) -> User | None:
    """The active user a bearer token belongs to, or None if invalid or expired."""
    data = token_claims(token)
    if data is None or not is_live(db(), data.get("sid"), data["uid"]):
        return None  # expired, forged, or its login was ended (logout, a disabled user)
    user = db().get(User, data["uid"])
    return user if user is not None and user.active else None


def current_person() -> User | None:
    """The user behind this request: bearer token first, then the session."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer ") and not header[7:].startswith("kz_"):
        return user_from_token(header[7:].strip())
    if current_user.is_authenticated:
        return current_user.user
    return None


def logged_in(page: Page = Page.DUTY_ROOM) -> User | None:
    """The session's user (for pages and callbacks), if logged in and allowed to open ``page`` (the duty room's, unless named)."""
    user = current_user.user if current_user.is_authenticated else None
    return user if user is not None and may_open(user.role, page) else None


def csrf_token() -> str:
    """The session's CSRF token for HTML forms."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> None:
    """Abort 400 unless the posted form carries this session's CSRF token."""
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(str(request.form.get("csrf", "")), expected):
        abort(400, _("The form has expired; reload the page."))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The login form; locks an account after repeated failures."""
    if request.method == "POST":
        check_csrf()
        try:
            user = authenticate(db(), request.form.get("username", ""), request.form.get("password", ""),
                                login_guard(), request.remote_addr or "")
        except Throttled as throttled:
            # Not journaled one by one: a flood must not become a flood of journal writes.
            logger.warning("login throttled from %s", request.remote_addr)
            kuzet().metrics.logins_refused.labels("throttled").inc()
            flash(_("Too many login attempts; wait a minute"))
            answer = Response(render_template("login.html", csrf=csrf_token()), status=429)
            answer.headers["Retry-After"] = str(max(1, int(throttled.retry_after + 0.999)))
            return answer
        except LoginRefused as refused:
            kuzet().metrics.logins_refused.labels("refused").inc()
            audit.record(db(), request.form.get("username", "")[:64] or "?", "login.refused", "web",
                         ip=request.remote_addr, reason=str(refused))
            db().commit()
            flash(str(refused))
            logger.info("login refused for %r from %s", request.form.get("username", "")[:64], request.remote_addr)
            return render_template("login.html", csrf=csrf_token()), 401
        target = safe_next(request.args.get("next", ""))
        roles = second_factor_roles()
        if is_enrolled(user) or must_enrol(user, roles):
            # The password was right; the login opens only after the code (or the enrolment) too.
            session.clear()
            session["mfa"] = {"uid": user.id, "at": time.time(), "next": target}
            return redirect(url_for("account.login_code" if is_enrolled(user) else "account.login_enrol"))
        finish_login(user, "web")
        return redirect(target)
    return render_template("login.html", csrf=csrf_token())


def second_factor_roles() -> frozenset[str]:
    """The roles that must log in with a second factor here (KUZET_TOTP_REQUIRED_ROLES)."""
    return required_roles(kuzet().settings.totp_required_roles)


def finish_login(user: User, method: str) -> None:
    """Open the browser session: a fresh cookie, a server-side login row, the journal entry."""
    audit.record(db(), user.username, "login", "web", ip=request.remote_addr, factor=method)
    session.clear()
    session.permanent = True
    session["sid"] = open_session(db(), user, "web")
    db().commit()
    login_user(SessionUser(user))
    logger.info("login %s (%s)", user.username, method)


SAFE_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*")


def safe_next(target: object) -> str:
    """Where to go after logging in: a path on this site only, else the wall.

    Browsers drop tabs and newlines inside a URL and read a backslash as a slash, so "/\t/evil.example"
    would leave the site: only a plain path of URL characters, not starting "//" or "/\", passes.
    """
    if isinstance(target, str) and len(target) <= 2000 and SAFE_PATH.fullmatch(target):
        return target
    return "/wall"


@bp.route("/logout", methods=["POST", "GET"])
def logout() -> Response:
    """End the session on the server too: the cookie, a copy of it, and the sockets it opened stop working."""
    sid = session.get("sid")
    if current_user.is_authenticated and revoke(db(), sid, current_user.user.username):
        audit.record(db(), current_user.user.username, "logout", "web", ip=request.remote_addr)
        db().commit()
        from dashboard.live import disconnect_login

        disconnect_login(sockets_of(db(), [str(sid)]))
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/healthz")
def healthz() -> Any:
    """Readiness: the database, Redis and the worker's backlog; 503 when any is down or too far behind."""
    from services.readiness import check

    kz = kuzet()
    ready = check(kz.store, kz.bus, kz.settings.redis_url)
    answer = jsonify({"status": "ok" if ready.ok else "degraded", **ready.parts})
    answer.status_code = 200 if ready.ok else 503
    answer.headers["Cache-Control"] = "no-store"
    return answer


def _guard() -> Any:
    path = request.path
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and "Authorization" not in request.headers:
        origin = request.headers.get("Origin")
        if origin and urlparse(origin).netloc != request.host:
            abort(403, _("Cross-origin request refused."))
    if path.startswith(PUBLIC_PREFIXES) or current_user.is_authenticated:
        return None
    if path.startswith(("/_dash-", "/_reload-hash")):
        abort(401)
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def department_label(department_id: int | None) -> str:
    """Russian name of a department, for headers."""
    if department_id is None:
        return "—"
    return db().scalar(sa.select(Department.name_ru).where(Department.id == department_id)) or "—"


def init_app(app: Flask) -> None:
    """Wire Flask-Login, the login pages and the access guard into the app."""
    manager = LoginManager()
    manager.login_view = "auth.login"
    manager.session_protection = "strong"

    @manager.user_loader
    def load_user(user_id: str) -> SessionUser | None:
        user = db().get(User, int(user_id)) if user_id.isdigit() else None
        if user is None or not user.active or not is_live(db(), session.get("sid"), user.id):
            return None  # a cookie of an ended login (logout, disabled) opens nothing, a copy included
        return SessionUser(user)

    manager.init_app(app)
    app.register_blueprint(bp)
    from dashboard import account

    app.register_blueprint(account.bp)
    app.before_request(_guard)
    from dashboard.http import secure_headers

    app.after_request(secure_headers)
