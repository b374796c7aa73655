"""The simulator: camera operators sending events to a Kuzet on this machine, as real ones would."""

from __future__ import annotations

import itertools
import json
import logging
import random
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import requests
import sqlalchemy as sa
import sqlalchemy.orm as so

from services.access.operators import sign

if TYPE_CHECKING:
    from tools.media_sim import MediaServer

logger = logging.getLogger(__name__)

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
PUBLIC_ORDER_MIX = (("fight", 3), ("crowd", 3), ("loitering", 4), ("abandoned_object", 2), ("vandalism", 3),
                    ("intrusion", 2), ("fall", 2), ("weapon", 1), ("panic_button", 1), ("fire_smoke", 1))
TRAFFIC_MIX = (("speeding", 6), ("red_light", 4), ("parking", 3), ("no_seatbelt", 2), ("phone_use", 2),
               ("wanted_vehicle", 1))
PLATE_LETTERS = "ABCEHKMOPTXY"


@dataclass(frozen=True)
class SimOperator:
    """One simulated operator: its API key and its cameras' ids."""

    name: str
    api_key: str
    cameras: tuple[str, ...]
    vendor: str = "json"  # json | hikvision-isapi | frigate
    identities: tuple[tuple[str, str], ...] = ()  # camera id -> the device's own name for it


# v1 type -> the vendor's own event name, for the types each vendor detects.
HIKVISION_TYPES = {"fight": "fighting", "crowd": "peoplegathering", "loitering": "loitering",
                   "intrusion": "fielddetection", "abandoned_object": "unattendedbaggage", "fall": "falldown",
                   "fire_smoke": "smokedetection"}
FRIGATE_LABELS = {"intrusion": "person", "weapon": "knife", "fire_smoke": "fire"}


def hikvision_alert(identity: str, event_type: str, when: datetime, count: int) -> bytes:
    """An EventNotificationAlert as a Hikvision camera posts it."""
    mac, channel = identity.rsplit(":", 1)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<EventNotificationAlert version="2.0" '
            f'xmlns="http://www.hikvision.com/ver20/XMLSchema"><ipAddress>127.0.0.1</ipAddress>'
            f"<macAddress>{mac}</macAddress><channelID>{channel}</channelID>"
            f"<dateTime>{when.astimezone(timezone.utc).isoformat(timespec='seconds')}</dateTime>"
            f"<activePostCount>{count}</activePostCount><eventType>{event_type}</eventType>"
            f"<eventState>active</eventState><eventDescription>{event_type} alarm</eventDescription>"
            f"</EventNotificationAlert>").encode()


def frigate_event(identity: str, label: str, when: datetime, score: float) -> bytes:
    """A frigate/events `new` message as an MQTT bridge forwards it."""
    camera = identity.split(":", 1)[1]
    object_id = f"{when.timestamp():.6f}-{uuid.uuid4().hex[:6]}"
    after = {"id": object_id, "camera": camera, "label": label, "top_score": score, "score": score,
             "start_time": when.timestamp(), "end_time": None, "current_zones": ["zone_1"], "has_snapshot": True}
    return json.dumps({"type": "new", "before": after, "after": after}).encode()


def _weighted(rng: random.Random, mix: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([t for t, _ in mix], weights=[w for _, w in mix])[0]


class Simulator:
    """Posts batches of v1 events to the ingest API; never talks to anything but this machine."""

    def __init__(self, base_url: str, operators: list[SimOperator], seed: int | None = None,
                 incidents_per_min: float = 30.0, traffic_per_s: float = 2.0, bad_every: int = 40,
                 heartbeat_every: int = 10, death_chance: float = 0.02, media: "MediaServer | None" = None) -> None:
        host = urlparse(base_url).hostname
        if host not in LOCAL_HOSTS:
            raise ValueError(f"the simulator only talks to this machine, not {host!r}")
        self.base_url = base_url.rstrip("/")
        self.operators = operators
        self.rng = random.Random(seed)
        self.incidents_per_min = incidents_per_min
        self.traffic_per_s = traffic_per_s
        self.bad_every = bad_every
        self.http = requests.Session()
        self._ticks = itertools.count()
        self._recent: list[tuple[SimOperator, str, str]] = []
        self.heartbeat_every = heartbeat_every
        self.death_chance = death_chance
        self._dead: dict[str, float] = {}  # camera id -> monotonic time it comes back
        self.media = media  # the simulated operators' video server: evidence rendered per event, with its hash

    def _event(self, camera: str, category: str, event_type: str, when: datetime) -> dict[str, Any]:
        event: dict[str, Any] = {
            "spec": "kuzet.event/1",
            "event_id": f"sim-{uuid.uuid4().hex}",
            "camera_id": camera,
            "occurred_at": when.isoformat(timespec="milliseconds"),
            "category": category,
            "type": event_type,
            "confidence": round(self.rng.uniform(0.55, 0.99), 2),
        }
        event["media"] = self._evidence(camera, event["event_id"], category, when)
        if category == "traffic":
            event["plate"] = {"number": f"{self.rng.randrange(100, 999)}{''.join(self.rng.choices(PLATE_LETTERS, k=3))}02",
                              "country": "KZ"}
            if event_type == "speeding":
                limit = self.rng.choice((40, 60, 80))
                event["speed_kmh"] = float(limit + self.rng.randrange(11, 60))
                event["limit_kmh"] = float(limit)
        return event

    def _evidence(self, camera: str, key: str, category: str, when: datetime) -> list[dict[str, Any]]:
        """What the operator keeps of the moment on its own server: a snapshot, and a clip of a public-order event."""
        if self.media is None:
            return []
        url, digest = self.media.snapshot(camera, key, when)
        media = [{"kind": "snapshot", "url": url, "sha256": digest}]
        if category == "public_order":
            url, digest = self.media.clip(camera, key, when, seconds=3.0)
            media.append({"kind": "clip", "url": url, "sha256": digest})
        return media

    def tick(self, seconds: float = 1.0) -> dict[str, int]:
        """Send one tick's worth of events per operator; returns counts by result status."""
        now = datetime.now(timezone.utc)
        counts: dict[str, int] = {}
        n = next(self._ticks)
        if self.heartbeat_every and n % self.heartbeat_every == 0:
            self._heartbeats(counts)
        for operator in self.operators:
            events: list[dict[str, Any]] = []
            share = 1 / len(self.operators)
            expected = self.incidents_per_min / 60 * seconds * share
            for _ in range(int(expected) + (self.rng.random() < expected % 1)):
                # A third of the time the same camera reports again: the duty room must see one incident, not two.
                if self._recent and self.rng.random() < 0.33:
                    op, cam, etype = self.rng.choice(self._recent)
                    if op is operator:
                        events.append(self._event(cam, "public_order", etype, now))
                        continue
                cam = self.rng.choice(self._live(operator))
                etype = _weighted(self.rng, PUBLIC_ORDER_MIX)
                self._recent = (self._recent + [(operator, cam, etype)])[-20:]
                events.append(self._event(cam, "public_order", etype, now))
            traffic = self.traffic_per_s * seconds * share
            for _ in range(int(traffic) + (self.rng.random() < traffic % 1)):
                events.append(self._event(self.rng.choice(self._live(operator)), "traffic",
                                          _weighted(self.rng, TRAFFIC_MIX), now - timedelta(seconds=1)))
            if self.bad_every and n % self.bad_every == self.bad_every - 1:
                bad = self._event(self.rng.choice(self._live(operator)), "public_order", "fight", now)
                bad["location"] = {"lat": 91.0, "lon": 76.9}  # a broken GPS fix, as real cameras send
                events.append(bad)
            if events:
                for status, count in self.send(operator, events).items():
                    counts[status] = counts.get(status, 0) + count
        return counts

    def _live(self, operator: SimOperator) -> tuple[str, ...]:
        """The operator's cameras that are not playing dead."""
        return tuple(c for c in operator.cameras if c not in self._dead) or operator.cameras

    def _heartbeats(self, counts: dict[str, int]) -> None:
        """Keep-alives from every live camera; now and then one dies for a few minutes, as cameras do."""
        clock = time.monotonic()
        self._dead = {cam: until for cam, until in self._dead.items() if until > clock}
        if self.rng.random() < self.death_chance * max(1, len(self.operators)):
            operator = self.rng.choice(self.operators)
            self._dead[self.rng.choice(operator.cameras)] = clock + self.rng.uniform(150, 400)
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        for operator in self.operators:
            beats = [{"camera_id": cam, "at": stamp} for cam in operator.cameras if cam not in self._dead]
            body = json.dumps({"heartbeats": beats}, separators=(",", ":")).encode()
            try:
                answer = self._post(operator, "heartbeats", body, "application/json")
            except requests.RequestException as exc:
                logger.warning("simulator: heartbeats of %s failed: %s", operator.name, exc)
                continue
            counts["heartbeats"] = counts.get("heartbeats", 0) + (answer.json().get("accepted", 0)
                                                                  if answer.status_code == 202 else 0)

    def _native(self, operator: SimOperator, event: dict[str, Any]) -> tuple[str, bytes, str] | None:
        """The event in the operator's vendor format, if that vendor reports this type; else None."""
        identity = dict(operator.identities).get(event["camera_id"])
        when = datetime.fromisoformat(event["occurred_at"])
        if identity is None or event["category"] != "public_order":
            return None
        if operator.vendor == "hikvision-isapi" and event["type"] in HIKVISION_TYPES:
            return ("hikvision-isapi", hikvision_alert(identity, HIKVISION_TYPES[event["type"]], when,
                                                       self.rng.randrange(1, 5)), "application/xml")
        if operator.vendor == "frigate" and event["type"] in FRIGATE_LABELS:
            device = identity.split(":", 1)[0]
            return (f"frigate?topic=frigate/events&device={device}",
                    frigate_event(identity, FRIGATE_LABELS[event["type"]], when, event.get("confidence", 0.8)),
                    "application/json")
        return None

    def _post(self, operator: SimOperator, path: str, body: bytes, content_type: str) -> requests.Response:
        stamp = str(int(time.time()))
        headers = {"Authorization": f"Bearer {operator.api_key}", "Content-Type": content_type,
                   "X-Kuzet-Timestamp": stamp, "X-Kuzet-Signature": sign(operator.api_key, stamp, body)}
        return self.http.post(f"{self.base_url}/api/v1/{path}", data=body, timeout=10, headers=headers)

    def send(self, operator: SimOperator, events: list[dict[str, Any]]) -> dict[str, int]:
        """Send one tick's events: natively where the operator's vendor reports the type, else as a v1 batch."""
        counts: dict[str, int] = {}
        plain = []
        for event in events:
            native = self._native(operator, event)
            if native is None:
                plain.append(event)
                continue
            path, body, content_type = native
            try:
                answer = self._post(operator, f"ingest/{path}", body, content_type)
            except requests.RequestException as exc:
                logger.warning("simulator: %s could not reach Kuzet: %s", operator.name, exc)
                continue
            for item in answer.json().get("results", []) if answer.status_code == 202 else []:
                counts[item["status"]] = counts.get(item["status"], 0) + 1
        if not plain:
            return counts
        body = json.dumps({"events": plain}, separators=(",", ":")).encode()
        try:
            response = self._post(operator, "events", body, "application/json")
        except requests.RequestException as exc:
            logger.warning("simulator: %s could not reach Kuzet: %s", operator.name, exc)
            return {"unreachable": len(events)}
        if response.status_code != 202:
            logger.warning("simulator: %s got %s: %s", operator.name, response.status_code, response.text[:200])
            return {f"http_{response.status_code}": len(plain)}
        for item in response.json()["results"]:
            counts[item["status"]] = counts.get(item["status"], 0) + 1
        return counts

    def run(self, stop: threading.Event, interval_s: float = 1.0) -> None:
        """Tick every ``interval_s`` until ``stop`` is set."""
        logger.info("simulator started against %s with %d operators", self.base_url, len(self.operators))
        while not stop.is_set():
            started = time.monotonic()
            counts = self.tick(interval_s)
            logger.debug("simulator tick: %s", counts)
            stop.wait(max(0.0, interval_s - (time.monotonic() - started)))


class UnitDriver:
    """Patrol cars on the map: drive dispatched units to their incidents and report arrival."""

    def __init__(self, base_url: str, username: str, password: str, seed: int | None = None,
                 speed_m_per_tick: float | None = None, otp_secret: str | None = None,
                 speed_kmh: float = 40.0, interval_s: float = 2.0) -> None:
        host = urlparse(base_url).hostname
        if host not in LOCAL_HOSTS:
            raise ValueError(f"the simulator only talks to this machine, not {host!r}")
        self.base_url = base_url.rstrip("/")
        self.credentials = {"username": username, "password": password}
        self.otp_secret = otp_secret  # the account's authenticator, when it has one
        self.rng = random.Random(seed)
        # A city car's pace (the ETA the suggestions show uses KUZET_CITY_SPEED_KMH, 40 by default), per tick.
        self.interval_s = interval_s
        self.step_m = speed_m_per_tick if speed_m_per_tick is not None else speed_kmh / 3.6 * interval_s
        self.http = requests.Session()
        self._token_expires = 0.0

    def _auth(self) -> None:
        if time.monotonic() < self._token_expires:
            return
        body = dict(self.credentials)
        if self.otp_secret:
            import pyotp

            body["otp"] = pyotp.TOTP(self.otp_secret).now()
        answer = self.http.post(f"{self.base_url}/api/v1/auth/token", json=body, timeout=10)
        answer.raise_for_status()
        body = answer.json()
        self.http.headers["Authorization"] = f"Bearer {body['access_token']}"
        self._token_expires = time.monotonic() + body["expires_in"] * 0.8

    def tick(self) -> dict[str, int]:
        """Move every en-route unit one step; report arrivals; returns counts."""
        self._auth()
        units = self.http.get(f"{self.base_url}/api/v1/units", timeout=10).json()["units"]
        moved = arrived = 0
        for unit in units:
            if unit["status"] != "en_route" or unit["incident_id"] is None:
                continue
            lat, lon = unit["lat"], unit["lon"]
            tlat, tlon = unit["incident_lat"], unit["incident_lon"]
            metres = max(((tlat - lat) * 111_320) ** 2 + ((tlon - lon) * 81_000) ** 2, 0.0) ** 0.5
            if metres <= self.step_m:
                lat, lon = tlat, tlon
            else:
                share = self.step_m / metres
                lat, lon = lat + (tlat - lat) * share, lon + (tlon - lon) * share
            self.http.post(f"{self.base_url}/api/v1/units/{unit['id']}/position", json={"lat": lat, "lon": lon},
                           timeout=10)
            moved += 1
            if (lat, lon) == (tlat, tlon):
                self.http.post(f"{self.base_url}/api/v1/incidents/{unit['incident_id']}/transitions",
                               json={"action": "arrive", "unit_id": unit["id"]}, timeout=10)
                arrived += 1
        return {"moved": moved, "arrived": arrived}

    def run(self, stop: threading.Event) -> None:
        """Drive until ``stop`` is set, one step every ``interval_s``."""
        while not stop.is_set():
            try:
                self.tick()
            except requests.RequestException as exc:
                logger.warning("unit driver: %s", exc)
            stop.wait(self.interval_s)


def operators_for(session: so.Session, keys: dict[str, str]) -> list[SimOperator]:
    """The simulated operators for the given operator name -> API key, with their cameras and vendor identities."""
    from services.store.models import Camera, CameraAlias, Operator
    from tools.seed import DEMO_VENDORS

    out = []
    for operator in session.scalars(sa.select(Operator).where(Operator.name.in_(keys))):
        cams = tuple(session.scalars(sa.select(Camera.external_id).where(Camera.operator_id == operator.id)))
        identities = tuple((external, alias) for external, alias in session.execute(
            sa.select(Camera.external_id, CameraAlias.alias).join(CameraAlias)
            .where(CameraAlias.operator_id == operator.id)))
        if cams:
            out.append(SimOperator(operator.name, keys[operator.name], cams, DEMO_VENDORS.get(operator.name, "json"),
                                   identities))
    return out
