"""POST /api/v1/auth/token: a short-lived bearer token for a user."""

from __future__ import annotations

from flask import Response, jsonify, request

from dashboard.api import api, json_object
from dashboard.auth import issue_token, login_guard, token_claims
from services.access.throttle import Throttled
from dashboard.context import db, kuzet
from services.store import audit
from dashboard.api.problems import Problem
from services.access.sessions import revoke
from services.access.users import LoginRefused, authenticate
from services.store.models import User


@api.post("/auth/token")
def create_token() -> Response:
    """Exchange username and password for a bearer token (same lockout as the login page)."""
    body = json_object(request.get_json(silent=True))
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise Problem(400, "validation", "username and password required",
                      "send {\"username\": ..., \"password\": ...}")
    session = db()
    try:
        user = authenticate(session, username, password, login_guard(), request.remote_addr or "")
    except Throttled as throttled:
        kuzet().metrics.logins_refused.labels("throttled").inc()
        raise Problem(429, "rate-limited", "Too many login attempts", "wait and try again",
                      headers={"Retry-After": str(max(1, int(throttled.retry_after + 0.999)))}) from None
    except LoginRefused as refused:
        kuzet().metrics.logins_refused.labels("refused").inc()
        audit.record(session, username[:64], "login.refused", "api", ip=request.remote_addr, reason=str(refused))
        session.commit()
        raise Problem(401, "unauthorized", "Login refused", str(refused)) from None
    audit.record(session, user.username, "login", "api", ip=request.remote_addr)
    token = issue_token(user)
    session.commit()
    ttl = kuzet().settings.api_token_ttl_s
    return jsonify({"access_token": token, "token_type": "Bearer", "expires_in": ttl})


@api.post("/auth/revoke")
def revoke_token() -> Response:
    """End the bearer token sent with this request (its login), before its TTL."""
    header = request.headers.get("Authorization", "")
    claims = token_claims(header[7:].strip()) if header.startswith("Bearer ") else None
    if claims is None:
        raise Problem(401, "unauthorized", "Login required", "send the token to revoke as Authorization: Bearer")
    user = db().get(User, claims["uid"])
    if user is not None and revoke(db(), claims.get("sid"), user.username):
        audit.record(db(), user.username, "logout", "api", ip=request.remote_addr)
    db().commit()
    return jsonify({"revoked": True})
