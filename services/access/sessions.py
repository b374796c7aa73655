"""Logins the server can end: each browser session and bearer token is a row, alive until revoked."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.store import audit
from services.store.models import LoginSession, User, utcnow


def open_session(session: so.Session, user: User, kind: str) -> str:
    """A new login of ``user``; returns its id (kept in the session cookie or inside the token)."""
    sid = secrets.token_urlsafe(32)
    session.add(LoginSession(id=sid, user_id=user.id, kind=kind, created_at=utcnow(), revoked_by=""))
    session.flush()
    return sid


def is_live(session: so.Session, sid: object, user_id: int) -> bool:
    """Whether ``sid`` is a login of this user that nobody has ended."""
    if not isinstance(sid, str) or not sid or len(sid) > 64:
        return False
    row = session.get(LoginSession, sid)
    return row is not None and row.user_id == user_id and row.revoked_at is None


MAX_SOCKETS = 20  # a wall reconnects now and then; the newest ones are the ones still open


def add_socket(session: so.Session, sid: str, socket_id: str) -> None:
    """Remember a Socket.IO connection this login opened (so that ending the login cuts it, on any process)."""
    row = session.get(LoginSession, sid)
    if row is not None:
        row.sockets = [*[s for s in (row.sockets or []) if s != socket_id], socket_id][-MAX_SOCKETS:]
        session.flush()


def sockets_of(session: so.Session, sids: list[str]) -> list[str]:
    """The Socket.IO connections these logins opened."""
    if not sids:
        return []
    return [s for row in session.scalars(sa.select(LoginSession).where(LoginSession.id.in_(sids)))
            for s in (row.sockets or [])]


def revoke(session: so.Session, sid: object, actor: str) -> bool:
    """End one login (logout); True if it was alive."""
    row = session.get(LoginSession, sid) if isinstance(sid, str) and sid else None
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at, row.revoked_by = utcnow(), actor[:64]
    session.flush()
    return True


def revoke_all(session: so.Session, user_id: int, actor: str) -> list[str]:
    """End every live login of a user (disabled, password reset); returns the ended ids."""
    ended = list(session.scalars(sa.select(LoginSession.id).where(LoginSession.user_id == user_id,
                                                                  LoginSession.revoked_at.is_(None))))
    if ended:
        session.execute(sa.update(LoginSession).where(LoginSession.id.in_(ended))
                        .values(revoked_at=utcnow(), revoked_by=actor[:64]))
    return ended


def disable_user(session: so.Session, actor: str, username: str) -> list[str]:
    """Disable an account: it can no longer log in, and every login it holds ends now."""
    from services.access.users import find_user

    user = find_user(session, username)
    user.active = False
    ended = revoke_all(session, user.id, actor)
    audit.record(session, actor, "admin.user.disable", username, sessions_ended=len(ended))
    return ended


def enable_user(session: so.Session, actor: str, username: str) -> bool:
    """Let a disabled account log in again (its old logins stay ended); True if it was disabled. Journaled."""
    from services.access.users import find_user

    user = find_user(session, username)
    if user.active:
        return False
    user.active = True
    session.flush()
    audit.record(session, actor, "admin.user.enable", username)
    return True
