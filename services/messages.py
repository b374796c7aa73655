"""Typed messages: what travels on the event bus, and what the change feed hands to its publishers.

One module, so an ``event_id`` can be followed by reading types: the gateway's ``QueuedEvent`` inside
an ``EventBatch`` on the bus, the worker's stored row, the ``Change`` the live publisher pushes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec


class QueuedEvent(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One accepted event on its way to the store: the normalised v1 record and what ingest resolved."""

    camera_pk: int  # the centre's camera id (not the operator's camera_id, which is in the record)
    late: bool  # occurred more than 24 h before it was received
    record: dict[str, Any]  # the Kuzet Event Format v1 record, normalised
    # Said once per batch on the wire; EventBatch.unpack() copies them here for the worker.
    operator_id: int = 0
    received_at: str = ""

    @property
    def key(self) -> tuple[int, str]:
        """What makes an event unique: (operator, the operator's event_id)."""
        return self.operator_id, self.record["event_id"]


class EventBatch(msgspec.Struct, kw_only=True):
    """One stream entry: the events of one accepted submission, with what they share said once.

    One entry per HTTP batch keeps the bus's cost per event small (one XADD for 1,000 events).
    """

    operator_id: int
    received_at: str  # ISO 8601, UTC
    events: list[QueuedEvent]

    def unpack(self) -> list[QueuedEvent]:
        """The events, each told its operator and arrival time (idempotent: a redelivery gets the same)."""
        for event in self.events:
            event.operator_id, event.received_at = self.operator_id, self.received_at
        return self.events


_encode = msgspec.json.Encoder().encode
_decode_batch = msgspec.json.Decoder(EventBatch).decode
_decode_single = msgspec.json.Decoder(QueuedEvent).decode


def encode_batch(batch: EventBatch) -> bytes:
    """The wire form of a batch (JSON, so an operator of Redis can read the stream)."""
    return _encode(batch)


def decode_batch(data: bytes) -> EventBatch:
    """A batch from its wire form; raises ``msgspec.DecodeError`` (a ``ValueError``) for anything else.

    Entries written before batching held one event with its operator and arrival time: read as a batch of one.
    """
    try:
        return _decode_batch(data)
    except msgspec.ValidationError:
        single = _decode_single(data)
        if not single.operator_id or not single.received_at:
            raise
        return EventBatch(operator_id=single.operator_id, received_at=single.received_at, events=[single])


class Change(msgspec.Struct, frozen=True, kw_only=True):
    """One committed change from the feed (table ``changes``), as publishers receive it."""

    id: int
    at: str  # ISO 8601, UTC
    entity: str  # "incident", "unit", or "cameras" (a department's cameras whose health changed)
    entity_id: int  # the incident's or unit's id; for "cameras" the department's, data["cameras"] lists them
    department_id: int
    previous_department_id: int | None  # set when the change moved the entity (a transfer)
    action: str  # what happened: "acknowledge", "open", "merge", "position", "health", ...
    actor: str  # username, "system" or "operator:<name>"
    data: dict[str, Any]  # the entity as it is after the change (a queue row for incidents)


Publisher = Callable[[list[Change]], None]
"""Receives the changes of each committed transaction, in feed order."""
