"""Keeping what was refused: every rejected payload is stored for review and replay, never dropped."""

from __future__ import annotations

import logging

import sqlalchemy.orm as so

from services.store.models import DeadLetter

logger = logging.getLogger(__name__)

RAW_CAP = 64 * 1024  # bytes of a payload kept; enough to see what was wrong, not a way to fill the disk


def keep(session: so.Session, operator_id: int | None, endpoint: str, reason: str, raw: bytes,
         params: dict[str, str] | None = None) -> None:
    """Keep a rejected payload in the session's transaction for admin review and replay."""
    session.add(DeadLetter(operator_id=operator_id, endpoint=endpoint, reason=reason[:2000],
                           raw=raw[:RAW_CAP], params=params or {}))
    logger.info("dead-lettered payload from operator %s: %s", operator_id, reason[:200])
