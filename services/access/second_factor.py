"""The TOTP second factor: enrolment, codes checked once, recovery codes, and who must have one."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyotp
import sqlalchemy as sa
import sqlalchemy.orm as so

from services.i18n import N_, _
from services.i18n.terms import term
from services.store import audit
from services.store.models import RecoveryCode, Role, User, utcnow

if TYPE_CHECKING:
    from services.access.throttle import LoginGuard

ISSUER = "Kuzet"
STEP_S = 30  # RFC 6238's default, the one every authenticator app uses
RECOVERY_CODES = 10
# Without the dashes, ten characters of Crockford-like base32 (no 0/O, 1/I/L): about 50 bits each.
_RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"


class SecondFactorRefused(Exception):
    """A code was wrong, already used, or there is nothing to check it against; the message is safe to show."""


def required_roles(setting: str) -> frozenset[str]:
    """The roles that must enrol, from a comma-separated setting (``totp_required_roles``); unknown names are an error."""
    names = {part.strip() for part in setting.split(",") if part.strip()}
    known = {r.value for r in Role}
    if names - known:
        # A setting's mistake, read by whoever deploys (in the log at start), not by an officer: English.
        raise ValueError(f"totp_required_roles names unknown roles {sorted(names - known)}; roles are {sorted(known)}")
    return frozenset(names)


def is_enrolled(user: User) -> bool:
    """Whether the user has a confirmed authenticator."""
    return bool(user.totp_secret)


def must_enrol(user: User, roles: frozenset[str]) -> bool:
    """Whether this user may not log in before enrolling (their role requires a second factor)."""
    return user.role in roles and not is_enrolled(user)


@dataclass(frozen=True)
class Enrolment:
    """What the person scans or types into the authenticator app."""

    secret: str
    uri: str


def begin_enrolment(session: so.Session, user: User) -> Enrolment:
    """A new secret for the user to scan; it counts only once a code from it is confirmed."""
    user.totp_pending_secret = pyotp.random_base32()
    session.flush()
    return pending_enrolment(user)


def pending_enrolment(user: User) -> Enrolment:
    """The secret being enrolled (begin_enrolment first)."""
    secret = user.totp_pending_secret or ""
    if not secret:
        raise SecondFactorRefused(_("no enrolment in progress: start again"))
    return Enrolment(secret, pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER))


def confirm_enrolment(session: so.Session, user: User, code: str, *, now: float | None = None) -> list[str]:
    """Make the pending secret the user's once a code from it checks; returns fresh recovery codes (shown once)."""
    secret = user.totp_pending_secret
    if not secret:
        raise SecondFactorRefused(_("no enrolment in progress: start again"))
    step = _matching_step(secret, code, now)
    if step is None:
        raise SecondFactorRefused(_("the code does not match: check the phone's clock and type the current code"))
    user.totp_secret, user.totp_pending_secret = secret, None
    user.totp_enabled_at, user.totp_last_step = utcnow(), step
    codes = _new_recovery_codes(session, user)
    audit.record(session, user.username, "user.second_factor.enrol", user.username)
    return codes


def verify(session: so.Session, user: User, code: str, *, now: float | None = None) -> str:
    """Accept a current TOTP code, once, or an unused recovery code; returns which ("totp" or "recovery").

    A TOTP code is accepted only for a time step later than the last one accepted, and the step is
    claimed with one conditional UPDATE, so the same code sent twice at once passes only once.
    """
    if not user.totp_secret:
        raise SecondFactorRefused(_("no second factor enrolled"))
    code = (code or "").strip()
    if len(code) > 32 or "\x00" in code:
        raise SecondFactorRefused(_(REFUSED))
    digits = code.replace(" ", "")
    if digits.isdigit():
        step = _matching_step(user.totp_secret, digits, now)
        if step is not None:
            claimed = session.execute(
                sa.update(User).where(User.id == user.id,
                                      sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step))
                .values(totp_last_step=step).execution_options(synchronize_session=False))
            if claimed.rowcount == 1:
                user.totp_last_step = step
                return "totp"
        raise SecondFactorRefused(_(REFUSED))
    used = session.execute(
        sa.update(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None),
                                      RecoveryCode.code_hash == _hash_recovery(code))
        .values(used_at=utcnow()).execution_options(synchronize_session=False))
    if used.rowcount != 1:
        raise SecondFactorRefused(_(REFUSED))
    audit.record(session, user.username, "user.second_factor.recovery_code_used", user.username,
                 left=recovery_codes_left(session, user))
    return "recovery"


REFUSED = N_("wrong or already used code: type the current one from the app, or a recovery code")


def check(session: so.Session, user: User, code: str, guard: "LoginGuard", address: str, *,
          confirm: bool = False) -> list[str] | str:
    """A code under the login limits (Throttled, SecondFactorRefused): counted before it is checked, like a password.

    Returns the factor used ("totp" or "recovery"), or with ``confirm`` the new recovery codes of an enrolment.
    """
    guard.admit(address or "?")
    if not guard.claim(user.username, address or "?"):
        raise SecondFactorRefused(_(REFUSED))
    result: list[str] | str = confirm_enrolment(session, user, code) if confirm else verify(session, user, code)
    guard.succeeded(user.username, address or "?")
    return result


def recovery_codes_left(session: so.Session, user: User) -> int:
    """How many unused recovery codes the user has."""
    return session.scalar(sa.select(sa.func.count(RecoveryCode.id))
                          .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def regenerate_recovery_codes(session: so.Session, user: User) -> list[str]:
    """Replace every recovery code of an enrolled user with new ones (shown once)."""
    if not user.totp_secret:
        raise SecondFactorRefused(_("no second factor enrolled"))
    codes = _new_recovery_codes(session, user)
    audit.record(session, user.username, "user.second_factor.recovery_codes", user.username)
    return codes


def remove(session: so.Session, actor: str, user: User, roles: frozenset[str]) -> None:
    """Switch the second factor off for a user whose role does not require it (they asked, with a code)."""
    if user.role in roles:
        raise SecondFactorRefused(_("the role %(role)s must keep a second factor", role=term("role", user.role)))
    _clear(session, user)
    audit.record(session, actor, "user.second_factor.remove", user.username)


def reset(session: so.Session, actor: str, username: str) -> list[str]:
    """An admin's reset after a lost phone: the factor and codes go, every login ends; the next login enrols."""
    from services.access.sessions import revoke_all

    user = session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise ValueError(_("no user %(name)r", name=username))
    _clear(session, user)
    ended = revoke_all(session, user.id, actor)
    audit.record(session, actor, "admin.user.reset_second_factor", username, sessions_ended=len(ended))
    return ended


def _clear(session: so.Session, user: User) -> None:
    user.totp_secret = user.totp_pending_secret = None
    user.totp_enabled_at = user.totp_last_step = None
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.flush()


def _matching_step(secret: str, code: str, now: float | None) -> int | None:
    """The time step (previous, current or next: clocks drift) whose code this is, or None."""
    code = (code or "").replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // STEP_S)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.at(step * STEP_S), code):
            return step
    return None


def _new_recovery_codes(session: so.Session, user: User) -> list[str]:
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _n in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _c in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(user_id=user.id, code_hash=_hash_recovery(raw), created_at=utcnow()))
    session.flush()
    return codes


def _hash_recovery(code: str) -> str:
    # Fifty random bits need no slow hash: a plain digest cannot be guessed back, and checking stays cheap.
    return hashlib.sha256(code.strip().lower().replace("-", "").replace(" ", "").encode()).hexdigest()
