"""Camera operators and their API keys (stored hashed, shown once)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.models import ApiKey, Operator, utcnow

KEY_PREFIX = "kz"
# Keys are 256 random bits, so a fast hash is enough; a slow KDF would only slow every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_key(plaintext: str) -> str:
    """SHA-256 hex of an API key."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


def create_operator(session: so.Session, name: str) -> Operator:
    """Register an operator by name; refuses a duplicate name."""
    name = name.strip()
    if not name:
        raise ValueError("operator name must not be empty")
    if session.scalar(sa.select(Operator).where(Operator.name == name)):
        raise ValueError(f"operator {name!r} already exists")
    operator = Operator(name=name)
    session.add(operator)
    session.flush()
    return operator


def issue_key(session: so.Session, operator: Operator, label: str = "") -> str:
    """Create a key for the operator and return the plaintext, the only time it exists."""
    prefix = secrets.token_hex(4)
    plaintext = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    session.add(ApiKey(operator_id=operator.id, prefix=prefix, key_hash=hash_key(plaintext), label=label))
    session.flush()
    return plaintext


def authenticate_key(session: so.Session, plaintext: str) -> Operator | None:
    """The operator owning an unrevoked key, or None."""
    key = session.scalar(
        sa.select(ApiKey).where(ApiKey.key_hash == hash_key(plaintext), ApiKey.revoked_at.is_(None))
    )
    if key is None:
        return None
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        key.last_used_at = now
    return key.operator
