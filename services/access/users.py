"""People who log in: argon2 hashes, lockout after repeated failures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.store.models import Department, Role, User, utcnow

_hasher = PasswordHasher()
# Verifying against a dummy hash keeps unknown usernames as slow as wrong passwords.
_DUMMY_HASH = _hasher.hash("kuzet-dummy-password")
ROLES_WITH_DEPARTMENT = frozenset({Role.DUTY_OFFICER, Role.SUPERVISOR, Role.CHIEF, Role.TRAINER})


class LoginRefused(Exception):
    """Login failed; the message is safe to show."""


@dataclass(frozen=True)
class LockoutPolicy:
    """How many failures lock an account, and for how long."""

    attempts: int = 5
    minutes: int = 10


def hash_password(password: str) -> str:
    """argon2id hash of a password."""
    return _hasher.hash(password)


def create_user(session: so.Session, username: str, password: str, role: str,
                department_code: str | None, display_name: str = "") -> User:
    """Add a user; role must be known and, except for admins, a department given."""
    try:
        role_enum = Role(role)
    except ValueError:
        raise ValueError(f"unknown role {role!r}; roles are {', '.join(r.value for r in Role)}") from None
    if len(password) < 8:
        raise ValueError("password must be at least 8 characters")
    if session.scalar(sa.select(User).where(User.username == username)):
        raise ValueError(f"user {username!r} already exists")
    department = None
    if department_code:
        department = session.scalar(
            sa.select(Department).where(sa.or_(Department.code == department_code,
                                               sa.cast(Department.id, sa.String) == department_code))
        )
        if department is None:
            raise ValueError(f"no department {department_code!r} (see `kuzet departments list`)")
    elif role_enum in ROLES_WITH_DEPARTMENT:
        raise ValueError(f"role {role} needs --department")
    user = User(username=username, password_hash=hash_password(password), role=role_enum.value,
                department_id=department.id if department else None, display_name=display_name or username)
    session.add(user)
    session.flush()
    return user


def authenticate(session: so.Session, username: str, password: str,
                 policy: LockoutPolicy = LockoutPolicy()) -> User:
    """The user for these credentials, or LoginRefused (counting failures toward lockout)."""
    if "\x00" in username or "\x00" in password or len(username) > 64:
        raise LoginRefused("wrong username or password")
    user = session.scalar(sa.select(User).where(User.username == username))
    now = utcnow()
    if user is None or not user.active:
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        raise LoginRefused("wrong username or password")
    if user.locked_until and user.locked_until > now:
        raise LoginRefused("account locked after repeated failed logins; try again later")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        # Counted in SQL, not in Python: parallel guesses must not overwrite each other's failures.
        failures = session.execute(
            sa.update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
            .returning(User.failed_logins)
        ).scalar_one()
        if failures >= policy.attempts:
            session.execute(sa.update(User).where(User.id == user.id)
                            .values(locked_until=now + timedelta(minutes=policy.minutes), failed_logins=0))
        session.expire(user)
        raise LoginRefused("wrong username or password") from None
    user.failed_logins = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.flush()
    return user


def find_department(session: so.Session, key: str) -> Department:
    """A department by code or id, or ValueError naming what was asked."""
    department = session.scalar(sa.select(Department).where(sa.or_(Department.code == key,
                                                                   sa.cast(Department.id, sa.String) == key)))
    if department is None:
        raise ValueError(f"no department {key!r} (see `kuzet departments list`)")
    return department


def grant_department(session: so.Session, actor: str, username: str, department_key: str, *,
                     revoke: bool = False) -> bool:
    """Open a department's replays and archive to a trainer (or close it again); True if anything changed."""
    from services.store import audit
    from services.store.models import DepartmentGrant

    user = session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise ValueError(f"no user {username!r}")
    if user.role != Role.TRAINER.value:
        raise ValueError(f"user {username!r} is a {user.role}; departments are granted to trainers only")
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
