"""People who log in: argon2 hashes, lockout after repeated failures."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.i18n import N_, _
from services.store.models import Department, LoginSession, Role, User, utcnow

if TYPE_CHECKING:
    from services.access.throttle import LoginGuard

_hasher = PasswordHasher()
# Verifying against a dummy hash keeps unknown usernames as slow as wrong passwords.
_DUMMY_HASH = _hasher.hash("kuzet-dummy-password")
ROLES_WITH_DEPARTMENT = frozenset({Role.DUTY_OFFICER, Role.SUPERVISOR, Role.CHIEF, Role.TRAINER})


class LoginRefused(Exception):
    """Login failed; the message is safe to show."""


MIN_PASSWORD = 12
# The most used passwords of the big public breach lists (for example NCSC's "100k-most-used" list), a
# short sample, lower-cased: a duty room's password must not be one a guesser tries first.
COMMON_PASSWORDS = frozenset("""
123456789012 1234567890123 123456789123 qwertyuiop12 qwertyuiopas qwerty123456 password1234 password123456
passwordpassword 1q2w3e4r5t6y 1qaz2wsx3edc qazwsxedcrfv iloveyou1234 111111111111 000000000000 123123123123
abc123456789 adminadmin123 administrator welcome12345 letmein12345 monkey123456 football1234 baseball1234
sunshine1234 princess1234 dragon123456 master123456 superman1234 trustno11234 changeme1234 qwertyqwerty
asdfghjkl123 zxcvbnm12345 йцукенгшщзхъ пароль123456 парольпароль qwerty12345678 kazakhstan123 almaty123456
astana123456 police123456 politsiya123 kuzet1234567 password12345 1234567890qwe
""".split())


def check_password(password: str, username: str) -> None:
    """ValueError unless the password is at least 12 characters, not the username and not a common one."""
    if len(password) < MIN_PASSWORD or not password.strip() or len(password.strip()) < MIN_PASSWORD:
        raise ValueError(_("password must be at least %(min)s characters (spaces alone do not count)",
                           min=MIN_PASSWORD))
    folded = password.casefold()
    if username and (folded == username.casefold() or username.casefold() in folded and
                     len(folded) - len(username) < 6):
        raise ValueError(_("password must not be the username or the username with a few characters added"))
    if folded in COMMON_PASSWORDS or len(set(folded)) < 4:
        raise ValueError(_("password is too common or too repetitive: choose a passphrase of your own"))


def hash_password(password: str) -> str:
    """argon2id hash of a password."""
    return _hasher.hash(password)


def create_user(session: so.Session, username: str, password: str, role: str,
                department_code: str | None, display_name: str = "", operator_name: str | None = None) -> User:
    """Add a user; role must be known, a department given for the police roles, an operator for an operator's login."""
    try:
        role_enum = Role(role)
    except ValueError:
        raise ValueError(_("unknown role '%(role)s'; roles are %(roles)s", role=role,
                           roles=", ".join(r.value for r in Role))) from None
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() or not c.isprintable() for c in username):
        raise ValueError(_("username must be 1 to 64 printable characters without spaces"))
    check_password(password, username)
    if session.scalar(sa.select(User).where(User.username == username)):
        raise ValueError(_("user '%(name)s' already exists", name=username))
    department = None
    if department_code:
        department = session.scalar(
            sa.select(Department).where(sa.or_(Department.code == department_code,
                                               sa.cast(Department.id, sa.String) == department_code))
        )
        if department is None:
            raise ValueError(_("no department '%(key)s' (see `kuzet departments list`)", key=department_code))
    elif role_enum in ROLES_WITH_DEPARTMENT:
        raise ValueError(_("role %(role)s needs --department", role=role))
    operator = None
    if (role_enum is Role.OPERATOR) != bool(operator_name):
        raise ValueError(_("an operator's login needs --operator, and only an operator's login takes it"))
    if operator_name:
        from services.store.models import Operator

        operator = session.scalar(sa.select(Operator).where(Operator.name == operator_name))
        if operator is None:
            raise ValueError(_("no operator '%(name)s' (see `kuzet operators list`)", name=operator_name))
        if department is not None:
            raise ValueError(_("an operator's login belongs to no department"))
    user = User(username=username, password_hash=hash_password(password), role=role_enum.value,
                department_id=department.id if department else None, display_name=display_name or username,
                operator_id=operator.id if operator else None)
    session.add(user)
    session.flush()
    return user


REFUSED = N_("wrong username or password, or too many attempts: wait and try again")


def authenticate(session: so.Session, username: str, password: str, guard: "LoginGuard",
                 address: str = "") -> User:
    """The user for these credentials, or LoginRefused; Throttled when the address or the centre is over its rate.

    Unknown, disabled, locked and wrong all answer the same, after the same argon2 work.
    """
    guard.admit(address or "?")
    if "\x00" in username or "\x00" in password or len(username) > 64 or len(password) > 1024:
        raise LoginRefused(_(REFUSED))
    allowed = guard.claim(username, address or "?")  # counted before the check: parallel guesses too
    with guard.checking():
        user = session.scalar(sa.select(User).where(User.username == username))
        if user is None or not user.active or not allowed:
            _verify(_DUMMY_HASH, password)
            raise LoginRefused(_(REFUSED))
        if not _verify(user.password_hash, password):
            raise LoginRefused(_(REFUSED))
    guard.succeeded(username, address or "?")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.flush()
    return user


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False

def find_department(session: so.Session, key: str) -> Department:
    """A department by code or id, or ValueError naming what was asked."""
    department = session.scalar(sa.select(Department).where(sa.or_(Department.code == key,
                                                                   sa.cast(Department.id, sa.String) == key)))
    if department is None:
        raise ValueError(_("no department '%(key)s' (see `kuzet departments list`)", key=key))
    return department


def grant_department(session: so.Session, actor: str, username: str, department_key: str, *,
                     revoke: bool = False) -> bool:
    """Open a department's replays and archive to a trainer (or close it again); True if anything changed."""
    from services.store import audit
    from services.store.models import DepartmentGrant

    user = find_user(session, username)
    if user.role != Role.TRAINER.value:
        raise ValueError(_("user '%(name)s' is a %(role)s; departments are granted to trainers only", name=username,
                           role=user.role))
    department = find_department(session, department_key)
    existing = session.get(DepartmentGrant, (user.id, department.id))
    if revoke:
        if existing is None:
            return False
        session.delete(existing)
    else:
        if existing is not None:
            return False
        session.add(DepartmentGrant(user_id=user.id, department_id=department.id, granted_by=actor, granted_at=utcnow()))
    session.flush()
    audit.record(session, actor, "admin.user.revoke_department" if revoke else "admin.user.grant_department",
                 username, department=department.code)
    return True


def choose_language(session: so.Session, user: User, code: str) -> bool:
    """Remember the language a person chose for their pages; True if it changed. Unknown codes are refused."""
    from services.i18n import LANGUAGES, gettext

    if code not in LANGUAGES:
        raise ValueError(gettext("Unknown language %(code)s; one of: %(known)s", code=code[:8], known=", ".join(LANGUAGES)))
    if user.language == code:
        return False
    user.language = code
    session.flush()
    return True


def find_user(session: so.Session, username: object) -> User:
    """A user by username, or ValueError naming what was asked."""
    user = session.scalar(sa.select(User).where(User.username == username)) if isinstance(username, str) else None
    if user is None:
        raise ValueError(_("no user '%(name)s'", name=str(username)[:64]))
    return user


def add_user(session: so.Session, actor: str, username: str, password: str, role: str, department: str | None,
             operator_name: str | None = None) -> User:
    """Create a user (``create_user``'s checks, the password rules among them) and journal it under ``actor``."""
    user = create_user(session, username, password, role, department or None, operator_name=operator_name or None)
    from services.store import audit

    audit.record(session, actor, "admin.user.add", user.username, role=role, department=department,
                 operator=operator_name)
    return user


def reset_password(session: so.Session, actor: str, username: str, password: str) -> list[str]:
    """Give a user a new password (the same rules as a new user's) and end every login they hold; journaled."""
    from services.access.sessions import revoke_all
    from services.store import audit

    user = find_user(session, username)
    check_password(password, user.username)
    user.password_hash = hash_password(password)
    ended = revoke_all(session, user.id, actor)
    session.flush()
    audit.record(session, actor, "admin.user.reset_password", user.username, sessions_ended=len(ended))
    return ended


def unlock_user(session: so.Session, actor: str, username: str, guard: "LoginGuard") -> int:
    """Forget a user's failed logins, from every address: they may try again now; journaled. Returns the
    number of addresses the account was locked from."""
    from services.store import audit

    user = find_user(session, username)
    addresses = guard.unlock(user.username)
    user.failed_logins, user.locked_until = 0, None
    session.flush()
    audit.record(session, actor, "admin.user.unlock", user.username, addresses=addresses)
    return addresses


def user_rows(session: so.Session, guard: "LoginGuard | None" = None) -> list[dict[str, object]]:
    """Every user as the admin console lists them: role, department, active, locked until, last login, grants."""
    from datetime import timedelta

    from services.store.models import DepartmentGrant

    last = dict(session.execute(sa.select(LoginSession.user_id, sa.func.max(LoginSession.created_at))
                                .group_by(LoginSession.user_id)).all())
    granted: dict[int, list[str]] = {}
    for user_id, code in session.execute(sa.select(DepartmentGrant.user_id, Department.code)
                                         .join(Department, Department.id == DepartmentGrant.department_id)
                                         .order_by(Department.code)):
        granted.setdefault(user_id, []).append(code)
    rows = []
    for user in session.scalars(sa.select(User).order_by(User.username)):
        left = guard.locked_for(user.username) if guard is not None else 0.0
        locked = utcnow() + timedelta(seconds=left) if left > 0 else None
        if user.locked_until is not None and (locked is None or user.locked_until > locked):
            locked = user.locked_until
        rows.append({"id": user.id, "username": user.username, "role": user.role,
                     "department": user.department.code if user.department else None,
                     "department_id": user.department_id, "active": user.active, "locked_until": locked,
                     "last_login": last.get(user.id), "grants": granted.get(user.id, []),
                     "operator_id": user.operator_id})
    return rows
