"""Retention: personal data older than the centre keeps it is masked in place, rows and references stay.

Past ``retention_days`` (KUZET_RETENTION_DAYS), plates in the offence register and in events' records
are cut to their region code, evidence links and vendor extras leave the records, 102 callers' names,
numbers and words, notes and reasons are masked by the rules of docs/masking.md, and rejected payloads
(raw bodies full of plates) are deleted. Every row keeps its id, times, type, amounts and links: the
offence register's rows, which the fines system and the operators' settlement refer to, remain whole
records of what happened, minus who. Each run moves a watermark, so a run reads only what aged since.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.replay.masking import mask_name, mask_plate, mask_text
from services.store import audit
from services.store.models import (DeadLetter, Event, Incident, IncidentHistory, IncidentNote, Offence,
                                   RetentionMark, utcnow)

logger = logging.getLogger(__name__)

CHUNK = 5000  # rows per statement round: a year of a city's offences is millions


@dataclass(frozen=True)
class Purged:
    """What one run masked or deleted, and up to when."""

    before: datetime
    offences: int = 0
    events: int = 0
    incidents: int = 0
    notes: int = 0
    history: int = 0
    dead_letters: int = 0


def run(session: so.Session, actor: str, days: int, now: datetime | None = None) -> Purged:
    """Mask what is older than ``days`` and not yet masked; journal the run. ``days`` 0 keeps everything."""
    if days <= 0:
        raise ValueError("retention is off (KUZET_RETENTION_DAYS=0): nothing to do")
    cutoff = (now or utcnow()) - timedelta(days=days)
    mark = session.get(RetentionMark, "personal_data")
    since = mark.done_before if mark is not None else None
    if since is not None and since >= cutoff:
        return Purged(cutoff)

    def window(column: sa.ColumnElement[datetime]) -> sa.ColumnElement[bool]:
        return sa.and_(column < cutoff, column >= since) if since is not None else column < cutoff

    offences = 0
    for chunk in _chunks(session, sa.select(Offence.id, Offence.plate).where(window(Offence.occurred_at))):
        session.execute(sa.update(Offence), [{"id": pk, "plate": mask_plate(plate)[:16], "evidence": {"media": []}}
                                             for pk, plate in chunk])
        offences += len(chunk)
    events = 0
    for chunk in _chunks(session, sa.select(Event.id, Event.record).where(window(Event.occurred_at))):
        session.execute(sa.update(Event), [{"id": pk, "record": _record(record or {})} for pk, record in chunk])
        events += len(chunk)
    incidents = 0
    for chunk in _chunks(session, sa.select(Incident.id, Incident.description, Incident.caller_name,
                                            Incident.caller_phone, Incident.outcome_note)
                         .where(window(Incident.created_at))):
        session.execute(sa.update(Incident), [
            {"id": pk, "description": mask_text(text), "caller_name": mask_name(name),
             "caller_phone": "[phone]" if phone else "", "outcome_note": mask_text(note)}
            for pk, text, name, phone, note in chunk])
        incidents += len(chunk)
    notes = 0
    for chunk in _chunks(session, sa.select(IncidentNote.id, IncidentNote.text).where(window(IncidentNote.at))):
        session.execute(sa.update(IncidentNote), [{"id": pk, "text": mask_text(text)} for pk, text in chunk])
        notes += len(chunk)
    history = 0
    for chunk in _chunks(session, sa.select(IncidentHistory.id, IncidentHistory.reason)
                         .where(window(IncidentHistory.at), IncidentHistory.reason != "")):
        session.execute(sa.update(IncidentHistory), [{"id": pk, "reason": mask_text(reason)} for pk, reason in chunk])
        history += len(chunk)
    dead = session.execute(sa.delete(DeadLetter).where(DeadLetter.received_at < cutoff)).rowcount or 0
    if mark is None:
        session.add(RetentionMark(key="personal_data", done_before=cutoff))
    else:
        mark.done_before = cutoff
    purged = Purged(cutoff, offences, events, incidents, notes, history, dead)
    audit.record(session, actor, "retention.run", "personal_data", before=cutoff.isoformat(), days=days,
                 offences=offences, events=events, incidents=incidents, notes=notes, history=history,
                 dead_letters=dead)
    logger.info("retention: masked %d offences, %d events, %d incidents older than %s; %d dead letters deleted",
                offences, events, incidents, cutoff.isoformat(), dead)
    return purged


def _chunks(session: so.Session, query: sa.Select[tuple]) -> list[list[tuple]]:
    """The query's rows in lists of CHUNK (read first: the updates then touch only those)."""
    rows = [tuple(r) for r in session.execute(query)]
    return [rows[i:i + CHUNK] for i in range(0, len(rows), CHUNK)]


def _record(record: dict[str, object]) -> dict[str, object]:
    """An event's record without its person: plate cut to the region, no evidence links, no vendor extras."""
    out = {k: v for k, v in record.items() if k not in ("media", "attributes")}
    plate = record.get("plate")
    if isinstance(plate, dict):
        out["plate"] = {**plate, "number": mask_plate(str(plate.get("number", "")))}
    out["retention_masked"] = True
    return out
