"""The change feed: every committed change of an incident, a unit or a camera's health, in one table.

Services call :func:`record` inside the transaction that makes the change, so the feed row commits or
rolls back with it. After a commit, the store hands the session's new rows to its subscribers (the
live publisher, tests); nothing else pushes to walls. Replay and shift statistics read the same rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.messages import Change
from services.store.models import ChangeEntry, utcnow

logger = logging.getLogger(__name__)

PENDING = "kuzet.changes"  # session.info key: changes flushed in this transaction, published after commit


def record(session: so.Session, entity: str, items: Iterable[tuple[int, int, dict[str, Any]]], action: str,
           actor: str, previous_department: dict[int, int] | None = None) -> list[Change]:
    """Append one feed row per (entity id, department id, data) in the session's transaction."""
    now = utcnow()
    moved = previous_department or {}
    rows = [{"at": now, "entity": entity, "entity_id": entity_id, "department_id": department_id,
             "previous_department_id": moved.get(entity_id) if moved.get(entity_id) != department_id else None,
             "action": action, "actor": actor, "data": data} for entity_id, department_id, data in items]
    if not rows:
        return []
    ids = session.scalars(sa.insert(ChangeEntry).returning(ChangeEntry.id, sort_by_parameter_order=True), rows).all()
    changes = [Change(id=pk, at=row["at"].isoformat(), entity=entity, entity_id=row["entity_id"],
                      department_id=row["department_id"], previous_department_id=row["previous_department_id"],
                      action=action, actor=actor, data=row["data"]) for pk, row in zip(ids, rows)]
    session.info.setdefault(PENDING, []).extend(changes)
    return changes


def take_pending(session: so.Session) -> list[Change]:
    """The changes of the transaction just committed, handed over once."""
    return session.info.pop(PENDING, [])


def discard_pending(session: so.Session) -> None:
    """Forget changes of a transaction that rolled back: they never happened."""
    session.info.pop(PENDING, None)


def since(session: so.Session, after_id: int, department_ids: set[int], limit: int = 1000) -> list[ChangeEntry]:
    """Feed rows after ``after_id`` for the departments, oldest first (replay, statistics, catch-up)."""
    return list(session.scalars(sa.select(ChangeEntry).where(
        ChangeEntry.id > after_id, sa.or_(ChangeEntry.department_id.in_(department_ids),
                                          ChangeEntry.previous_department_id.in_(department_ids)))
        .order_by(ChangeEntry.id).limit(limit)))
