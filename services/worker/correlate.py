"""Correlate: turn a batch of accepted events into stored rows, merged into or opening incidents."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.cameras.health import camera_signal
from services.duty.changes import incidents_changed
from services.duty.incidents import (Openings, find_mergeable, link_related, offence_row, open_candidates,
                                     open_incident)
from services.duty.policy import decide, load_rules
from services.intake.catalogue import TRAFFIC_INCIDENT_TYPES
from services.messages import QueuedEvent
from services.store.events import insert_events, insert_offences, stored_keys
from services.store.models import Camera, CameraHealth, Category, Incident, utcnow

logger = logging.getLogger(__name__)

_SYSTEM, _TRAFFIC, _PUBLIC_ORDER = Category.SYSTEM.value, Category.TRAFFIC.value, Category.PUBLIC_ORDER.value
_GONE = frozenset({CameraHealth.OFFLINE.value, CameraHealth.STALE.value})
_CAMERA_DOWN = frozenset({"video_loss", "tamper"})  # signs of trouble, not of a camera coming back
_CAMERA_ALARMS = _CAMERA_DOWN | {"storage_failure"}


@dataclass(frozen=True)
class Correlator:
    """The rules that decide which events open an incident, which merge, and which incidents are related."""

    cooldown: timedelta = timedelta(seconds=120)  # events of one camera and type this close merge
    cooldowns: Mapping[str, timedelta] = field(default_factory=dict)  # per incident type
    related_within_m: float = 300.0
    related_window: timedelta = timedelta(seconds=120)
    traffic_incident_types: frozenset[str] = TRAFFIC_INCIDENT_TYPES

    def store(self, session: so.Session, events: list[QueuedEvent],
              recheck: list[QueuedEvent]) -> dict[int, Incident]:
        """Store ``events`` in the session's transaction; those in ``recheck`` may have been stored before.

        Returns the incidents opened or merged into, by id; their changes are on the feed.
        """
        existing = stored_keys(session, (e.key for e in recheck))
        cameras = {c.id: c for c in session.scalars(
            sa.select(Camera).where(Camera.id.in_({e.camera_pk for e in events})))}
        # Keyed by the object: incidents opened here have no id until the one flush below.
        changed: dict[int, Incident] = {}
        opened: list[Incident] = []
        numbered: list[tuple[dict[str, Any], Incident]] = []
        rules = load_rules(session)
        offences: dict[tuple[str, int], tuple[dict[str, Any], Camera]] = {}
        rows: list[dict[str, Any]] = []
        latest: dict[int, datetime] = {}
        stored_at = utcnow().isoformat()
        # Read once per camera, not once per event: ORM attribute access is a Python call each time.
        facts = {camera: (camera.id, camera.department_id, camera.lat, camera.lon) for camera in cameras.values()}
        candidates = self._merge_candidates(session, events)
        openings = Openings()  # the opened incidents' history and audit entries, written once at the end
        for event in events:
            record = event.record
            key = (event.operator_id, record["event_id"])
            if key in existing:
                continue
            existing.add(key)
            camera = cameras.get(event.camera_pk)
            if camera is None:
                logger.error("camera %s vanished before event %s was stored", event.camera_pk, key)
                continue
            camera_id, department_id, camera_lat, camera_lon = facts[camera]
            category, kind = record["category"], record["type"]
            occurred = datetime.fromisoformat(record["occurred_at"])
            # Any event is a sign of life; whether the camera counts as back is the sweeper's call (debounce).
            if camera_id not in latest or occurred > latest[camera_id]:
                latest[camera_id] = occurred
            if camera.health in _GONE and camera.back_since is None and kind not in _CAMERA_DOWN:
                camera.back_since = occurred
            if category == _SYSTEM:
                if kind in _CAMERA_ALARMS:
                    incident = camera_signal(session, camera, kind, occurred)
                    changed[id(incident)] = incident
                if kind == "heartbeat":
                    continue  # beats are liveness only; they never become event rows
            location = record.get("location")
            lat, lon = (location["lat"], location["lon"]) if location else (camera_lat, camera_lon)
            # Timestamps stay ISO 8601 text: COPY hands them to PostgreSQL as sent; insert_events converts elsewhere.
            row = {"operator_id": event.operator_id, "event_id": record["event_id"], "camera_id": camera_id,
                   "department_id": department_id, "incident_id": None, "category": category,
                   "type": kind, "occurred_at": record["occurred_at"], "received_at": event.received_at,
                   "stored_at": stored_at, "late": event.late, "confidence": record.get("confidence"),
                   "lat": lat, "lon": lon, "record": record}
            if self.opens_incident(category, kind):
                open_ones = candidates[camera_id, kind]
                incident = find_mergeable(open_ones, occurred, self.cooldowns.get(kind, self.cooldown))
                if incident is None:
                    priority = decide(rules, camera.department_id, kind, camera.mount_kind,
                                      record.get("confidence"), occurred)
                    incident = open_incident(session, camera, kind, category, priority, occurred, lat, lon,
                                             openings)
                    open_ones.append(incident)
                    opened.append(incident)
                else:
                    incident.event_count += 1
                    incident.last_seen_at = max(incident.last_seen_at, occurred)
                    incident.first_seen_at = min(incident.first_seen_at, occurred)
                    incident.updated_at = utcnow()
                numbered.append((row, incident))
                changed[id(incident)] = incident
            rows.append(row)
            if category == _TRAFFIC and "plate" in record:
                offences[record["event_id"], event.operator_id] = (record, camera)
        for camera_id, at in latest.items():
            camera = cameras[camera_id]
            if camera.last_seen_at is None or at > camera.last_seen_at:
                camera.last_seen_at = at
        if opened:
            session.flush()  # every incident this batch opened gets its id in one round trip
            link_related(session, opened, self.related_within_m, self.related_window)
        for row, incident in numbered:
            row["incident_id"] = incident.id
        openings.write(session)
        if rows:
            session.flush()  # incidents and camera last-seen before the bulk insert
            insert_events(session, rows)
            if offences:
                register = [offence_row(row["id"], *offences[row["event_id"], row["operator_id"]])
                            for row in rows if (row["event_id"], row["operator_id"]) in offences]
                insert_offences(session, register)
        new = {id(i) for i in opened}
        incidents_changed(session, [i for key, i in changed.items() if key in new], "open", "system")
        incidents_changed(session, [i for key, i in changed.items() if key not in new], "merge", "system")
        return {i.id: i for i in changed.values()}

    def opens_incident(self, category: str, kind: str) -> bool:
        """Public-order events always open (or merge into) an incident; traffic ones only of the listed types."""
        return category == _PUBLIC_ORDER or (category == _TRAFFIC and kind in self.traffic_incident_types)

    def _merge_candidates(self, session: so.Session,
                          events: list[QueuedEvent]) -> defaultdict[tuple[int, str], list[Incident]]:
        """The open incidents this batch's events may merge into, fetched in one query."""
        keys: set[tuple[int, str]] = set()
        times: list[datetime] = []
        for event in events:
            record = event.record
            if self.opens_incident(record["category"], record["type"]):
                keys.add((event.camera_pk, record["type"]))
                times.append(datetime.fromisoformat(record["occurred_at"]))
        candidates: defaultdict[tuple[int, str], list[Incident]] = defaultdict(list)
        if keys:
            widest = max([self.cooldown, *self.cooldowns.values()])
            candidates.update(open_candidates(session, keys, min(times) - widest, max(times) + widest))
        return candidates
