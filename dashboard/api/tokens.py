"""POST /api/v1/auth/token: a short-lived bearer token for a user."""

from __future__ import annotations

from flask import Response, jsonify, request

from dashboard.api import api, json_object
from dashboard.auth import issue_token, login_guard, second_factor_roles, token_claims
from services.access.throttle import Throttled
from dashboard.context import db, kuzet
from services.store import audit
from dashboard.api.problems import Problem
from services.i18n import _
from services.i18n.terms import term
from services.access.sessions import revoke
from services.access.second_factor import REFUSED, SecondFactorRefused, check, is_enrolled, must_enrol
from services.access.users import LoginRefused, authenticate
from services.store.models import User


@api.post("/auth/token")
def create_token() -> Response:
    """Exchange username, password and, when enrolled, a TOTP code for a bearer token (the login page's limits)."""
    body = json_object(request.get_json(silent=True))
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise Problem(400, "validation", _("Username and password required"),
                      _("Send %(example)s.", example="{\"username\": ..., \"password\": ...}"))
    session = db()
    try:
        user = authenticate(session, username, password, login_guard(), request.remote_addr or "")
    except Throttled as throttled:
        kuzet().metrics.logins_refused.labels("throttled").inc()
        raise Problem(429, "rate-limited", _("Too many login attempts"), _("Wait and try again."),
                      headers={"Retry-After": str(max(1, int(throttled.retry_after + 0.999)))}) from None
    except LoginRefused as refused:
        kuzet().metrics.logins_refused.labels("refused").inc()
        audit.record(session, username[:64], "login.refused", "api", ip=request.remote_addr, reason=str(refused))
        session.commit()
        raise Problem(401, "unauthorized", _("Login refused"), str(refused)) from None
    factor = _second_factor(user, body.get("otp"))
    audit.record(session, user.username, "login", "api", ip=request.remote_addr, factor=factor)
    token = issue_token(user)
    session.commit()
    ttl = kuzet().settings.api_token_ttl_s
    return jsonify({"access_token": token, "token_type": "Bearer", "expires_in": ttl})


def _second_factor(user: User, otp: object) -> str:
    """The enrolled user's code, checked like the login page's second step; refusals as problem details."""
    if must_enrol(user, second_factor_roles()):
        raise Problem(403, "second-factor-enrolment-required", _("Second factor required"),
                      _("The role “%(role)s” logs in with a second factor: sign in once on the web page to enrol it.",
                        role=term("role", user.role)))
    if not is_enrolled(user):
        return "password"
    if otp is None:
        raise Problem(401, "second-factor-required", _("Second factor required"),
                      _("Send “otp”: the current code from the authenticator app, or a recovery code."))
    if not isinstance(otp, str):
        raise Problem(401, "unauthorized", _("Login refused"), REFUSED)
    try:
        used = check(db(), user, otp, login_guard(), request.remote_addr or "?")
    except Throttled as throttled:
        kuzet().metrics.logins_refused.labels("throttled").inc()
        raise Problem(429, "rate-limited", _("Too many login attempts"), _("Wait and try again."),
                      headers={"Retry-After": str(max(1, int(throttled.retry_after + 0.999)))}) from None
    except SecondFactorRefused:
        kuzet().metrics.logins_refused.labels("second_factor").inc()
        audit.record(db(), user.username, "login.refused", "api", ip=request.remote_addr, reason="second factor")
        db().commit()
        raise Problem(401, "unauthorized", _("Login refused"), REFUSED) from None
    return used


@api.post("/auth/revoke")
def revoke_token() -> Response:
    """End the bearer token sent with this request (its login), before its TTL."""
    header = request.headers.get("Authorization", "")
    claims = token_claims(header[7:].strip()) if header.startswith("Bearer ") else None
    if claims is None:
        raise Problem(401, "unauthorized", _("Login required"),
                      _("Send the token to revoke as Authorization: Bearer."))
    user = db().get(User, claims["uid"])
    if user is not None and revoke(db(), claims.get("sid"), user.username):
        audit.record(db(), user.username, "logout", "api", ip=request.remote_addr)
    db().commit()
    return jsonify({"revoked": True})
