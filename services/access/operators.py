"""Camera operators and their API keys (stored hashed, shown once)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.i18n import _
from services.store.models import ApiKey, Operator, utcnow

KEY_PREFIX = "kz"
# Keys are 256 random bits, so a fast hash is enough; a slow KDF would only slow every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_key(plaintext: str) -> str:
    """SHA-256 hex of an API key."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


def create_operator(session: so.Session, name: str, signing_required: bool = True) -> Operator:
    """Register an operator by name (request signing on unless said otherwise); refuses a duplicate name."""
    name = name.strip()
    if not name:
        raise ValueError(_("operator name must not be empty"))
    if session.scalar(sa.select(Operator).where(Operator.name == name)):
        raise ValueError(_("operator '%(name)s' already exists", name=name))
    operator = Operator(name=name, signing_required=signing_required)
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


SIGNATURE_WINDOW_S = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Kuzet-Signature value: sha256=<hex HMAC-SHA256 of "timestamp.body"> keyed with the API key."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def check_signature(secret: str, timestamp: str | None, signature: str | None, body: bytes,
                    now: float | None = None) -> str | None:
    """None when the request is signed right and fresh; otherwise why not (safe to show)."""
    if not timestamp or not signature:
        return "this operator must sign requests: send X-Kuzet-Timestamp and X-Kuzet-Signature"
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return "X-Kuzet-Timestamp must be Unix time in seconds"
    skew = abs((now if now is not None else time.time()) - int(timestamp))
    if skew > SIGNATURE_WINDOW_S:
        return f"X-Kuzet-Timestamp is {skew:.0f} s away from the centre's clock (limit {SIGNATURE_WINDOW_S} s)"
    if not hmac.compare_digest(sign(secret, timestamp, body), signature.strip()):
        return "X-Kuzet-Signature does not match HMAC-SHA256 of \"timestamp.body\" with your API key"
    return None


def revoke_key(session: so.Session, operator: Operator, prefix: str) -> ApiKey:
    """Revoke one of the operator's keys by its prefix (rotation: issue the new one first)."""
    key = session.scalar(sa.select(ApiKey).where(ApiKey.operator_id == operator.id, ApiKey.prefix == prefix))
    if key is None:
        raise ValueError(_("operator '%(name)s' has no key with prefix '%(prefix)s'", name=operator.name,
                           prefix=prefix))
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    session.flush()
    return key


def find_operator(session: so.Session, name: object) -> Operator:
    """An operator by name, or ValueError naming what was asked."""
    operator = session.scalar(sa.select(Operator).where(Operator.name == name)) if isinstance(name, str) else None
    if operator is None:
        raise ValueError(_("no operator '%(name)s'", name=str(name)[:200]))
    return operator


def add_operator(session: so.Session, actor: str, name: str) -> tuple[Operator, str]:
    """Register an operator with its first key (the plaintext returned once); journaled under ``actor``."""
    from services.store import audit

    operator = create_operator(session, name)
    key = issue_key(session, operator, label="first key")
    audit.record(session, actor, "admin.operator.add", operator.name)
    return operator, key


def add_key(session: so.Session, actor: str, operator_name: str, label: str = "") -> str:
    """Another key for an operator (rotation: add, switch the devices, revoke the old); the plaintext is returned
    once and never stored. Journaled with its prefix."""
    from services.store import audit

    operator = find_operator(session, operator_name)
    label = " ".join(str(label or "").split())[:100]
    key = issue_key(session, operator, label=label)
    audit.record(session, actor, "admin.key.add", operator.name, prefix=key.split("_")[1])
    return key


def revoke_operator_key(session: so.Session, actor: str, operator_name: str, prefix: str) -> ApiKey:
    """Revoke one of an operator's keys by its prefix; journaled."""
    from services.store import audit

    operator = find_operator(session, operator_name)
    key = revoke_key(session, operator, prefix if isinstance(prefix, str) else "")
    audit.record(session, actor, "admin.key.revoke", operator.name, prefix=key.prefix)
    return key


def key_rows(session: so.Session) -> list[dict[str, object]]:
    """Every operator's keys, newest first: prefix, label, created, last used, revoked; never the key itself."""
    return [{"id": k.id, "operator": name, "prefix": k.prefix, "label": k.label, "created_at": k.created_at,
             "last_used_at": k.last_used_at, "revoked_at": k.revoked_at}
            for k, name in session.execute(sa.select(ApiKey, Operator.name)
                                           .join(Operator, Operator.id == ApiKey.operator_id)
                                           .order_by(Operator.name, ApiKey.id.desc()))]


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


def set_video_access(session: so.Session, actor: str, operator: Operator, hosts: list[str] | None = None,
                     auth: str | None = None, clear_auth: bool = False) -> Operator:
    """Register where the centre fetches an operator's video (host[:port] each) and the credential it sends.

    Journaled without the credential itself. A malformed host is a ValueError and nothing changes.
    """
    from services.store import audit
    from services.video.upstream import normalise_host

    if hosts is not None:
        operator.video_hosts = sorted({normalise_host(h) for h in hosts})
    if clear_auth:
        operator.video_auth = None
    elif auth is not None:
        operator.video_auth = _video_credential(auth)
    audit.record(session, actor, "admin.operator.video", operator.name, hosts=operator.video_hosts,
                 credential="set" if operator.video_auth else "none")
    return operator


def set_camera_video_auth(session: so.Session, actor: str, operator: Operator, camera_id: str,
                          auth: str | None) -> None:
    """One camera's own video credential, sent instead of its operator's (None: the operator's again); journaled
    without the credential. A camera the operator has not registered is a ValueError."""
    from services.store import audit
    from services.store.models import Camera

    camera = session.scalar(sa.select(Camera).where(Camera.operator_id == operator.id, Camera.external_id == camera_id))
    if camera is None:
        raise ValueError(f"{operator.name} has no camera {camera_id!r}")
    camera.video_auth = _video_credential(auth) if auth is not None else None
    audit.record(session, actor, "admin.camera.video", f"camera:{camera.id}", operator=operator.name,
                 camera=camera_id, credential="own" if camera.video_auth else "operator's")


def _video_credential(auth: str) -> str:
    """An Authorization header value as sent to an operator's video host; ValueError unless it is one line."""
    if not auth.strip() or "\n" in auth or "\r" in auth or len(auth) > 500:
        raise ValueError("the video credential must be one header value (e.g. 'Basic ...'), at most 500 chars")
    return auth.strip()
