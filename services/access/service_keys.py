"""Keys for the centre's own systems (the fines system): one purpose each, stored hashed, shown once."""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.access.operators import hash_key
from services.store import audit
from services.store.models import ServiceKey, utcnow

PURPOSES = ("fines",)
KEY_PREFIX = "kzs"
LAST_USED_RESOLUTION = timedelta(minutes=1)


def issue_service_key(session: so.Session, actor: str, purpose: str, label: str = "") -> str:
    """A new key for one purpose; the plaintext is returned once and never stored."""
    if purpose not in PURPOSES:
        raise ValueError(f"purpose {purpose!r}: one of {', '.join(PURPOSES)}")
    prefix = secrets.token_hex(4)
    plaintext = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    session.add(ServiceKey(purpose=purpose, prefix=prefix, key_hash=hash_key(plaintext), label=label[:100],
                           created_at=utcnow()))
    session.flush()
    audit.record(session, actor, "admin.service_key.issue", f"{purpose}/{prefix}", label=label[:100])
    return plaintext


def authenticate_service_key(session: so.Session, plaintext: str, purpose: str) -> ServiceKey | None:
    """The live key of this purpose, or None; notes when it was last used."""
    if not plaintext.startswith(f"{KEY_PREFIX}_") or len(plaintext) > 200:
        return None
    key = session.scalar(sa.select(ServiceKey).where(ServiceKey.key_hash == hash_key(plaintext),
                                                     ServiceKey.purpose == purpose,
                                                     ServiceKey.revoked_at.is_(None)))
    if key is not None:
        now = utcnow()
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            key.last_used_at = now
    return key
