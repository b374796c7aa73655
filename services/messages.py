"""Typed messages: what travels on the event bus, and what the change feed hands to its publishers.

One module, so an ``event_id`` can be followed by reading types: the gateway's ``QueuedEvent`` inside
an ``EventBatch`` on the bus, the worker's stored row, the ``Change`` the live publisher pushes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec


class QueuedEvent(msgspec.Struct, kw_only=True):
    """One accepted event on its way to the store: the normalised v1 record and what ingest resolved."""

    camera_pk: int  # the centre's camera id (not the operator's camera_id, which is in the record)
    late: bool  # occurred more than 24 h before it was received
    record: dict[str, Any]  # the Kuzet Event Format v1 record, normalised
    operator_id: int = 0  # filled from the batch on the consumer side
    received_at: str = ""


class EventBatch(msgspec.Struct, kw_only=True):
    """One stream entry: the events of one accepted submission, with what they share said once.

    One entry per HTTP batch keeps the bus's cost per event small (one XADD for 1,000 events).
    """

    operator_id: int
    received_at: str  # ISO 8601, UTC
    events: list[QueuedEvent]


class Change(msgspec.Struct, frozen=True, kw_only=True):
    """One committed change from the feed (table ``changes``), as publishers receive it."""

    id: int
    at: str  # ISO 8601, UTC
    entity: str  # "incident", "unit" or "camera"
    entity_id: int
    department_id: int
    previous_department_id: int | None  # set when the change moved the entity (a transfer)
    action: str  # what happened: "acknowledge", "open", "merge", "position", "health", ...
    actor: str  # username, "system" or "operator:<name>"
    data: dict[str, Any]  # the entity as it is after the change (a queue row for incidents)


Publisher = Callable[[list[Change]], None]
"""Receives the changes of each committed transaction, in feed order."""
