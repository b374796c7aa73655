"""The dead-letter store: what was refused, kept for review, and replayed after a fix."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.store import audit
from services.intake.adapters import Context
from services.cameras.registry import resolve_aliases
from services.errors import Rejected
from services.i18n import _
from services.intake.ingest import CONTENT_TYPE_PARAM, IngestService
from services.store.models import DeadLetter, Operator, User, utcnow



def recent(session: so.Session, limit: int = 500, *, operator_id: int | None = None, endpoint: str | None = None,
           replayed: bool | None = None, reason: str | None = None, since: datetime | None = None) -> list[dict[str, Any]]:
    """Newest dead letters first, for the admin page: of one operator, entry point, replayed or not, a reason's words."""
    query = sa.select(DeadLetter, Operator.name).outerjoin(Operator)
    if operator_id is not None:
        query = query.where(DeadLetter.operator_id == operator_id)
    if endpoint:
        query = query.where(DeadLetter.endpoint == endpoint)
    if replayed is not None:
        query = query.where(DeadLetter.replayed_at.is_not(None) if replayed else DeadLetter.replayed_at.is_(None))
    if reason:
        escaped = reason.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(DeadLetter.reason.ilike(f"%{escaped}%", escape="\\"))
    if since is not None:
        query = query.where(DeadLetter.received_at >= since)
    rows = session.execute(query.order_by(DeadLetter.id.desc()).limit(limit))
    return [{"id": d.id, "received_at": d.received_at.isoformat(), "operator": name or "—", "endpoint": d.endpoint,
             "reason": d.reason[:300], "size": len(d.raw), "replayed_at": d.replayed_at.isoformat() if d.replayed_at
             else None, "replay_result": d.replay_result} for d, name in rows]


def filter_choices(session: so.Session) -> tuple[list[tuple[int, str]], list[str]]:
    """The operators and entry points that have dead letters, for the page's filters."""
    operators = session.execute(sa.select(Operator.id, Operator.name).where(
        Operator.id.in_(sa.select(DeadLetter.operator_id).distinct())).order_by(Operator.name)).all()
    endpoints = list(session.scalars(sa.select(DeadLetter.endpoint).distinct().order_by(DeadLetter.endpoint)))
    return [(i, n) for i, n in operators], endpoints


def _is_v1_record(raw: bytes) -> bool:
    try:
        document = json.loads(raw)
    except ValueError:
        return False
    return isinstance(document, dict) and document.get("spec", "").startswith("kuzet.event/")


def raw_text(letter: DeadLetter, limit: int = 20_000) -> str:
    """The kept body as text for display (binary parts shown as replacement characters)."""
    return letter.raw[:limit].decode("utf-8", errors="replace")


def replay(session: so.Session, ingest: IngestService, letter: DeadLetter, actor: User) -> str:
    """Submit the kept body again as its operator; records the outcome on the letter and in the journal."""
    if letter.operator_id is None:
        raise ValueError(_("no operator is known for this payload (it failed authentication)"))
    try:
        if letter.endpoint == "events" or (letter.endpoint.startswith("ingest/") and _is_v1_record(letter.raw)):
            # A whole body, or one already-translated record the centre refused (say, unknown camera):
            # the vendor identity may have been registered since, so it is mapped again.
            body = letter.raw
            if letter.endpoint.startswith("ingest/"):
                record = json.loads(body)
                aliases = resolve_aliases(session, letter.operator_id, {record["camera_id"]})
                record["camera_id"] = aliases.get(record["camera_id"], record["camera_id"])
                body = json.dumps(record).encode()
            results = ingest.submit(session, letter.operator_id, body, keep_rejects=False)
            summary = ", ".join(f"{r.status}" + (f" ({r.reason})" if r.reason else "") for r in results)
        elif letter.endpoint.startswith("ingest/"):
            adapter = letter.endpoint.split("/", 1)[1]
            params = dict(letter.params or {})
            content_type = params.pop(CONTENT_TYPE_PARAM, "")
            answer = ingest.submit_native(session, letter.operator_id, adapter, letter.raw,
                                          Context(content_type=content_type, params=params), keep_rejects=False)
            summary = ", ".join([r["status"] for r in answer["results"]] +
                                [f"not translated: {u}" for u in answer["unmapped"]]) or "nothing to ingest"
        else:
            raise ValueError(_("payloads of %(endpoint)s are not replayable; the operator must resend them",
                               endpoint=letter.endpoint))
    except Rejected as problem:
        summary = f"refused again: {problem.message}"
    letter.replayed_at = utcnow()
    letter.replay_result = summary[:2000]
    audit.record(session, actor.username, "admin.deadletter.replay", f"dead_letter:{letter.id}", result=summary[:500])
    session.flush()
    return summary
