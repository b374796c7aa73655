"""Ingest: parse, validate, check ownership and duplicates, append to the bus, keep rejects."""

from __future__ import annotations

import json
import logging
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
import sqlalchemy as sa
import sqlalchemy.orm as so
from pydantic import TypeAdapter, ValidationError

from services.intake.adapters import Context
from services.cameras.registry import registered_cameras
from services.cameras.health import LastSeenStore
from services.bus import EVENTS_STREAM, EventBus
from services.messages import EventBatch, QueuedEvent
from services.errors import Rejected
from services.store import deadletters
from services.intake.event_format import EventV1
from services.store.models import ReceivedEvent, utcnow

logger = logging.getLogger(__name__)

MAX_DEPTH = 16
MAX_KEYS = 256  # per JSON object


@dataclass(frozen=True)
class ItemResult:
    """Outcome for one submitted event."""

    index: int
    status: str  # accepted | duplicate | rejected
    event_id: str | None = None
    reason: str | None = None
    errors: tuple[dict[str, str], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON form for the 202 answer."""
        out: dict[str, Any] = {"index": self.index, "status": self.status}
        if self.event_id is not None:
            out["event_id"] = self.event_id
        if self.reason:
            out["reason"] = self.reason
        if self.errors:
            out["errors"] = list(self.errors)
        return out


def _checked(value: Any, limit: int, depth: int = 1, normalise: bool = True) -> Any:
    """One walk over a decoded body: Unicode NFC, nesting capped at ``limit``, key count capped (Rejected).

    ``normalise=False`` is for a body known to be ASCII (already NFC): only containers are walked then.
    """
    if depth > limit:
        raise Rejected("too-deep", "Body nested too deeply", f"JSON nesting is capped at {limit} levels")
    if isinstance(value, str):
        # ASCII is already NFC; most of a body is, so the check saves the normaliser's call.
        return value if not normalise or value.isascii() else unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        if len(value) > MAX_KEYS:
            raise Rejected("too-many-keys", "Object with too many keys",
                          f"a JSON object may have at most {MAX_KEYS} keys")
        if normalise:
            return {_checked(k, limit, depth): _checked(v, limit, depth + 1) for k, v in value.items()}
        children: Any = value.values()
    elif isinstance(value, list):
        if normalise:
            return [_checked(v, limit, depth + 1) for v in value]
        children = value
    else:
        return value
    if children and depth >= limit:  # its members would sit one level too deep
        _checked(None, limit, depth + 1)
    for child in children:
        if isinstance(child, (dict, list)):
            _checked(child, limit, depth + 1, False)
    return value


def decode_json(body: bytes) -> Any:
    """A JSON body decoded, NFC-normalised and checked against the depth and key caps, or a Rejected."""
    try:
        # msgspec refuses what JSON does not have (NaN, Infinity, numbers out of range, lone surrogates).
        document = msgspec.json.decode(body)
    except (msgspec.DecodeError, RecursionError) as exc:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            raise Rejected("malformed-body", "Body is not UTF-8", "the request body must be UTF-8 JSON") from None
        raise Rejected("malformed-body", "Body is not valid JSON", str(exc)[:300]) from None
    # Pure ASCII without \u escapes decodes to ASCII strings only, which are NFC already.
    return _checked(document, MAX_DEPTH, normalise=not body.isascii() or b"\\u" in body)


def parse_body(body: bytes, max_batch: int) -> tuple[list[Any], bool]:
    """Decode a body into event items; returns (items, was_batch) or raises Rejected."""
    document = decode_json(body)
    if isinstance(document, dict) and set(document) == {"events"}:
        items = document["events"]
        if not isinstance(items, list):
            raise Rejected("validation", "Invalid batch", "'events' must be a list",
                           errors=[{"pointer": "/events", "detail": "must be a list"}])
        if len(items) > max_batch:
            raise Rejected("batch-too-large", "Batch too large",
                          f"{len(items)} events in one batch; at most {max_batch}")
        return items, True
    if isinstance(document, dict):
        return [document], False
    raise Rejected("validation", "Invalid body", "send one event object or {\"events\": [...]}",
                   errors=[{"pointer": "", "detail": "must be an object"}])


def _pointer(prefix: str, loc: tuple[Any, ...]) -> str:
    return prefix + "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in loc)


def validate_item(item: Any, pointer_prefix: str) -> tuple[EventV1 | None, list[dict[str, str]]]:
    """Validate one item against the format; returns the record or the list of bad fields."""
    if not isinstance(item, dict):
        return None, [{"pointer": pointer_prefix, "detail": "each event must be a JSON object"}]
    try:
        return EventV1.model_validate(item), []
    except ValidationError as exc:
        errors = []
        for err in exc.errors(include_url=False, include_input=False):
            msg = err["msg"].removeprefix("Value error, ")
            errors.append({"pointer": _pointer(pointer_prefix, tuple(err["loc"])), "detail": msg})
        return None, errors


_RECORDS = TypeAdapter(list[EventV1])


def validate_items(items: list[Any], batch: bool) -> Iterator[tuple[int, EventV1 | None, list[dict[str, str]]]]:
    """(index, record or None, bad fields) for each item; a batch that is all good is validated in one call."""
    if all(isinstance(item, dict) for item in items):
        try:
            yield from ((index, record, []) for index, record in enumerate(_RECORDS.validate_python(items)))
            return
        except ValidationError:
            pass  # some item is bad: find out which, item by item, with pointers relative to each
    for index, item in enumerate(items):
        record, errors = validate_item(item, f"/events/{index}" if batch else "")
        yield index, record, errors


# The ids travel as one comma-joined text (the format allows no comma in an id), and only ids already
# taken come back, which is rare: binding and fetching 1,000 values each way cost more than the insert.
_RESERVE_PG = sa.text(
    "WITH fresh AS (INSERT INTO received_events (operator_id, event_id, received_at) "
    "SELECT :operator_id, e, :at FROM unnest(string_to_array(:event_ids, ',')) AS e "
    "ON CONFLICT DO NOTHING RETURNING event_id) "
    "SELECT array_agg(e) FROM unnest(string_to_array(:event_ids, ',')) AS e "
    "WHERE e NOT IN (SELECT event_id FROM fresh)")


CONTENT_TYPE_PARAM = "content_type"  # kept with a native dead letter: a multipart body needs its boundary to replay


def _replay_params(context: Context) -> dict[str, str]:
    return {**context.params, **({CONTENT_TYPE_PARAM: context.content_type[:200]} if context.content_type else {})}


class IngestService:
    """Turns an operator's submission into bus messages and per-item answers."""

    def __init__(self, bus: EventBus, max_batch: int = 1000, last_seen: LastSeenStore | None = None) -> None:
        self.bus = bus
        self.max_batch = max_batch
        self.last_seen = last_seen

    def submit(self, session: so.Session, operator_id: int, body: bytes,
               received_at: datetime | None = None, keep_rejects: bool = True) -> list[ItemResult]:
        """Process a POST /events body; raises Rejected for a body that is bad as a whole.

        ``keep_rejects`` is off when replaying a dead letter, which already holds the payload.
        """
        received_at = received_at or utcnow()
        with self.kept_if_refused(session, operator_id, "events", body, keep=keep_rejects):
            items, batch = parse_body(body, self.max_batch)
            return self.submit_items(session, operator_id, items, batch, received_at, keep_rejects)

    def submit_items(self, session: so.Session, operator_id: int, items: list[Any], batch: bool,
                     received_at: datetime, keep_rejects: bool = True, endpoint: str = "events") -> list[ItemResult]:
        """Validate, check and publish already-decoded items (the JSON API and the adapters share this)."""
        results: list[ItemResult | None] = [None] * len(items)
        valid: list[tuple[int, EventV1]] = []
        for index, record, errors in validate_items(items, batch):
            if record is None:
                item = items[index]
                event_id = item.get("event_id") if isinstance(item, dict) and isinstance(item.get("event_id"), str) else None
                results[index] = ItemResult(index, "rejected", event_id, "invalid event", tuple(errors))
            else:
                valid.append((index, record))

        # Another operator's camera is answered as unknown: an operator learns nothing of the others' ids.
        cameras = registered_cameras(session, operator_id, {record.camera_id for _, record in valid})
        seen: set[str] = set()
        beats: dict[int, datetime] = {}
        candidates: list[tuple[int, EventV1, int]] = []
        for index, record in valid:
            camera = cameras.get(record.camera_id)
            if camera is None:
                results[index] = ItemResult(
                    index, "rejected", record.event_id,
                    f"unknown camera {record.camera_id!r}: register it with PUT /api/v1/cameras/{{camera_id}} first",
                    ({"pointer": f"/events/{index}/camera_id" if batch else "/camera_id",
                      "detail": "not a camera registered by this operator"},))
                continue
            if record.event_id in seen:
                results[index] = ItemResult(index, "duplicate", record.event_id)
                continue
            seen.add(record.event_id)
            if record.type == "heartbeat" and self.last_seen is not None:
                # Keep-alives never ride the event stream: they only refresh the camera's last-seen time.
                beats[camera] = max(beats.get(camera, record.occurred_at), record.occurred_at)
                results[index] = ItemResult(index, "accepted", record.event_id)
                continue
            candidates.append((index, record, camera))
        if beats and self.last_seen is not None:
            self.last_seen.touch(beats)
        # Reserve the ids in the caller's transaction: an id accepted once is a duplicate ever after,
        # even before the worker has stored it; if publishing fails the reservation rolls back.
        fresh = self._reserve(session, operator_id, [r.event_id for _, r, _ in candidates], received_at)
        accepted = [(index, record, camera) for index, record, camera in candidates if record.event_id in fresh]
        for index, record, _camera in candidates:
            if record.event_id not in fresh:
                results[index] = ItemResult(index, "duplicate", record.event_id)
        if accepted:
            records = _RECORDS.dump_python([r for _, r, _ in accepted], mode="json", exclude_none=True)
            self.bus.publish_in(session, EVENTS_STREAM, [EventBatch(operator_id=operator_id, received_at=received_at.isoformat(), events=[
                QueuedEvent(camera_pk=camera, late=record.is_late(received_at), record=dumped)
                for (_, record, camera), dumped in zip(accepted, records)])])
            for index, record, _camera in accepted:
                results[index] = ItemResult(index, "accepted", record.event_id)

        for result in results:
            assert result is not None
            if result.status == "rejected" and keep_rejects:
                raw = json.dumps(items[result.index], ensure_ascii=False, default=str).encode()
                detail = result.reason or ""
                if result.errors:
                    detail += ": " + "; ".join(f"{e['pointer'] or '/'} {e['detail']}" for e in result.errors)
                deadletters.keep(session, operator_id, endpoint, detail, raw)
        return [r for r in results if r is not None]

    def submit_native(self, session: so.Session, operator_id: int, adapter: str, body: bytes,
                      context: Context, keep_rejects: bool = True) -> dict[str, Any]:
        """Translate a vendor payload, map vendor identities to cameras, and submit the records."""
        from services.intake.adapters import translate
        from services.cameras.registry import expand_device_beats, resolve_aliases

        translation = translate(adapter, body, context)
        if translation.refused:
            if keep_rejects:
                deadletters.keep(session, operator_id, f"ingest/{adapter}", translation.refused, body,
                                 _replay_params(context))
            raise Rejected("malformed-body", f"{adapter} payload refused", translation.refused)
        unmapped = list(translation.unmapped)
        events = []
        for event in translation.events:
            try:
                # The same NFC, depth and key caps as the JSON API: vendor extras ride in attributes.
                events.append(_checked(event, MAX_DEPTH))
            except Rejected as problem:
                unmapped.append(problem.summary)
        events = expand_device_beats(session, operator_id, events)
        aliases = resolve_aliases(session, operator_id, {e["camera_id"] for e in events})
        for event in events:
            event["camera_id"] = aliases.get(event["camera_id"], event["camera_id"])
        with self.kept_if_refused(session, operator_id, f"ingest/{adapter}", body, _replay_params(context),
                                  keep=keep_rejects):
            results = self.submit_items(session, operator_id, events, True, utcnow(), keep_rejects=keep_rejects,
                                        endpoint=f"ingest/{adapter}")
        if unmapped and keep_rejects:
            deadletters.keep(session, operator_id, f"ingest/{adapter}", "; ".join(unmapped), body,
                             _replay_params(context))
        counts = {s: sum(1 for r in results if r.status == s) for s in ("accepted", "duplicate", "rejected")}
        return {"results": [r.as_dict() for r in results], **counts, "ignored": translation.ignored,
                "unmapped": unmapped}

    @staticmethod
    @contextmanager
    def kept_if_refused(session: so.Session, operator_id: int, endpoint: str, body: bytes,
                        params: dict[str, str] | None = None, keep: bool = True) -> Iterator[None]:
        """Keep ``body`` as a dead letter when the block refuses it as a whole (raises Rejected)."""
        try:
            yield
        except Rejected as problem:
            if keep:
                deadletters.keep(session, operator_id, endpoint, problem.summary, body, params)
            raise

    @staticmethod
    def _reserve(session: so.Session, operator_id: int, event_ids: list[str], at: datetime) -> set[str]:
        """Insert (operator, event_id) keys; returns the ids that were new (one statement per batch)."""
        if not event_ids:
            return set()
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            # One text parameter instead of a 1,000-row VALUES list: the statement compiles once and is
            # reused (a VALUES list of a new length is compiled anew for every batch, most of the cost).
            taken = session.scalar(_RESERVE_PG, {"operator_id": operator_id, "event_ids": ",".join(event_ids),
                                                 "at": at})
            return set(event_ids).difference(taken or ())
        if dialect != "sqlite":  # pragma: no cover - only the two supported backends
            raise RuntimeError(f"unsupported database {dialect}")
        from sqlalchemy.dialects.sqlite import insert

        statement = insert(ReceivedEvent).values(
            [{"operator_id": operator_id, "event_id": e, "received_at": at} for e in event_ids]
        ).on_conflict_do_nothing().returning(ReceivedEvent.event_id)
        return set(session.scalars(statement))
