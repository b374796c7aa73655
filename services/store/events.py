"""Storing events and offences in bulk: PostgreSQL COPY in production, a multi-row insert on SQLite."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import msgspec
import sqlalchemy as sa
import sqlalchemy.orm as so

from services.store.models import Event, Offence

EVENT_COLUMNS = ("operator_id", "event_id", "camera_id", "department_id", "incident_id", "category", "type",
                 "occurred_at", "received_at", "stored_at", "late", "confidence", "lat", "lon", "record")
EVENT_TIMES = ("occurred_at", "received_at", "stored_at")
OFFENCE_COLUMNS = ("event_id", "operator_id", "camera_id", "department_id", "type", "plate", "plate_country",
                   "speed_kmh", "limit_kmh", "occurred_at", "evidence")
JSON_COLUMNS = frozenset({"record", "evidence"})


def stored_keys(session: so.Session, keys: Iterable[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which of these (operator, event_id) pairs are stored already."""
    by_operator: dict[int, list[str]] = defaultdict(list)
    for operator_id, event_id in keys:
        by_operator[operator_id].append(event_id)
    found: set[tuple[int, str]] = set()
    for operator_id, ids in by_operator.items():
        for event_id in session.scalars(
            sa.select(Event.event_id).where(Event.operator_id == operator_id, Event.event_id.in_(ids))
        ):
            found.add((operator_id, event_id))
    return found


def insert_events(session: so.Session, rows: list[dict[str, Any]]) -> None:
    """Store event rows (every column of ``EVENT_COLUMNS``, timestamps as ISO 8601 text) and set each row's "id"."""
    if session.get_bind().dialect.name != "postgresql":
        typed = [{**row, **{t: datetime.fromisoformat(row[t]) for t in EVENT_TIMES}} for row in rows]
        stored = session.execute(sa.insert(Event).returning(Event.id, Event.event_id, Event.operator_id), typed)
        ids = {(event_id, operator_id): pk for pk, event_id, operator_id in stored}
        for row in rows:
            row["id"] = ids[row["event_id"], row["operator_id"]]
        return
    # Ids drawn from the sequence first: the offence rows need them, and there is no lookup afterwards.
    pks = session.scalars(sa.text("SELECT nextval(pg_get_serial_sequence('events', 'id')) "
                                  "FROM generate_series(1, :n)"), {"n": len(rows)}).all()
    for row, pk in zip(rows, pks):
        row["id"] = pk
    _copy(session, "events", ("id", *EVENT_COLUMNS), rows)


def insert_offences(session: so.Session, rows: list[dict[str, Any]]) -> None:
    """Store offence-register rows (every column of ``OFFENCE_COLUMNS``, occurred_at as ISO 8601 text)."""
    if session.get_bind().dialect.name == "postgresql":
        _copy(session, "offences", OFFENCE_COLUMNS, rows)
    else:
        session.execute(Offence.__table__.insert(),
                        [{**row, "occurred_at": datetime.fromisoformat(row["occurred_at"])} for row in rows])


def _copy(session: so.Session, table: str, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    """PostgreSQL COPY of ``rows`` into ``table`` inside the session's transaction (every column given).

    COPY streams while the rows are written, so the server stores them while Python formats the next;
    a statement per row, or one big statement, costs several times more at thousands of events a second.
    """
    connection = session.connection().connection.driver_connection  # psycopg, inside this transaction
    encode = msgspec.json.Encoder().encode
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([encode(row[c]).decode() if c in JSON_COLUMNS else row[c] for c in columns])
