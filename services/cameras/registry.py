"""Camera registration by operators: position and kind in, jurisdiction resolved by the centre."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit
from typing import Annotated, Any, Literal, Optional

import numpy as np
import sqlalchemy as sa
import sqlalchemy.orm as so
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from services.intake.event_format import StrictFloat
from services.store.models import Camera, CameraAlias, Operator
from services.geo.routing import Router
from services.video.upstream import host_of

MountKind = Literal["road", "street", "yard", "school", "kindergarten", "transport", "prison", "other"]
CAMERA_ID_PATTERN = r"^[^\x00-\x1f\x7f/]{1,64}$"


class CameraV1(BaseModel):
    """What an operator tells the centre about one camera (the jurisdiction is not among it)."""

    model_config = ConfigDict(extra="forbid")
    lat: Annotated[StrictFloat, Field(ge=40.5, le=55.5)]
    lon: Annotated[StrictFloat, Field(ge=46.4, le=87.4)]
    heading: Optional[Annotated[StrictFloat, Field(ge=0, lt=360)]] = None
    field_of_view: Optional[Annotated[StrictFloat, Field(gt=0, le=360)]] = None
    mount_kind: MountKind = "street"
    address: Annotated[str, Field(max_length=300, pattern=r"^[^\x00]*$")] = ""
    live_url: Annotated[str, Field(max_length=500, pattern=r"^(https?://\S+)?$")] = ""
    live_protocol: Optional[Literal["hls", "whep"]] = None  # inferred from a .m3u8 URL; WHEP endpoints name it
    heartbeat_interval_s: Optional[Annotated[int, Field(strict=True, ge=5, le=3600)]] = None
    vendor_ids: Annotated[list[Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$")]],
                          Field(max_length=16)] = []

    @field_validator("live_url")
    @classmethod
    def _live_url_form(cls, value: str) -> str:
        if value and host_of(value) is None:
            raise ValueError("must be an http(s) URL with a host and no user:password in it "
                             "(the centre keeps video credentials itself)")
        return value

    @model_validator(mode="after")
    def _live_view(self) -> "CameraV1":
        if not self.live_url:
            if self.live_protocol is not None:
                raise ValueError("live_protocol needs a live_url")
            return self
        path = urlsplit(self.live_url).path.lower()
        if self.live_protocol is None:
            if not path.endswith(".m3u8"):
                raise ValueError("live_url must be an HLS playlist (.m3u8), or give live_protocol \"whep\" "
                                 "for a WebRTC WHEP endpoint")
            self.live_protocol = "hls"
        elif self.live_protocol == "hls" and not path.endswith(".m3u8"):
            raise ValueError("an HLS live_url must name its playlist (.m3u8)")
        return self

    @property
    def protocol(self) -> str:
        """hls, whep, or "" when the camera has no live view."""
        return self.live_protocol or ""


@dataclass(frozen=True)
class Registered:
    """One registration result."""

    camera_id: str
    status: str  # created | updated | rejected
    department_id: int | None = None
    district_id: int | None = None
    outside_boundaries: bool = False
    errors: tuple[dict[str, str], ...] = ()
    id: int | None = None  # the centre's id: GET /api/v1/cameras/<id>, /video/<id>/...
    warnings: tuple[dict[str, str], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        out: dict[str, Any] = {"camera_id": self.camera_id, "status": self.status}
        if self.status != "rejected":
            out.update(id=self.id, department_id=self.department_id, district_id=self.district_id,
                       outside_boundaries=self.outside_boundaries)
        if self.errors:
            out["errors"] = list(self.errors)
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out


def validate_camera(payload: Any, pointer: str = "") -> tuple[CameraV1 | None, list[dict[str, str]]]:
    """Validate one camera description; errors carry JSON pointers."""
    if not isinstance(payload, dict):
        return None, [{"pointer": pointer, "detail": "must be an object"}]
    try:
        return CameraV1.model_validate(payload), []
    except ValidationError as exc:
        return None, [{"pointer": pointer + "".join(f"/{p}" for p in e["loc"]),
                       "detail": e["msg"].removeprefix("Value error, ")} for e in exc.errors(include_url=False)]


def register(session: so.Session, router: Router, operator: Operator,
             items: list[tuple[str, CameraV1]]) -> list[Registered]:
    """Create or update cameras; jurisdictions resolved in one vectorised lookup."""
    if not items:
        return []
    places = router.resolve_many(np.array([c.lat for _, c in items]), np.array([c.lon for _, c in items]))
    existing = {c.external_id: c for c in session.scalars(sa.select(Camera).where(
        Camera.operator_id == operator.id, Camera.external_id.in_([cid for cid, _ in items])))}
    statuses = []
    for (camera_id, spec), where in zip(items, places):
        camera = existing.get(camera_id)
        statuses.append("updated" if camera is not None else "created")
        if camera is None:
            camera = Camera(operator_id=operator.id, external_id=camera_id, lat=spec.lat, lon=spec.lon,
                            department_id=where.department_id)
            session.add(camera)
            existing[camera_id] = camera
        camera.lat, camera.lon = spec.lat, spec.lon
        camera.heading, camera.field_of_view = spec.heading, spec.field_of_view
        camera.mount_kind, camera.address, camera.live_url = spec.mount_kind, spec.address, spec.live_url
        camera.live_protocol = spec.protocol
        camera.expected_interval_s = spec.heartbeat_interval_s
        camera.department_id, camera.district_id = where.department_id, where.district_id
        camera.outside_boundaries = where.outside_boundaries
    session.flush()  # the new cameras get their ids, which the answers name
    _set_aliases(session, operator, [(existing[cid], spec.vendor_ids) for cid, spec in items])
    hosts = set(operator.video_hosts or [])
    return [Registered(cid, status, where.department_id, where.district_id, where.outside_boundaries,
                       id=existing[cid].id, warnings=_video_warnings(spec, hosts))
            for (cid, spec), where, status in zip(items, places, statuses)]


def _video_warnings(spec: CameraV1, hosts: set[str]) -> tuple[dict[str, str], ...]:
    host = host_of(spec.live_url) if spec.live_url else None
    if host is None or host in hosts:
        return ()
    return ({"pointer": "/live_url", "code": "video-host-not-registered",
             "detail": f"{host} is not among this operator's video hosts registered at the centre; the live view "
                       "will not play until an administrator registers it (kuzet operators video)"},)


def _set_aliases(session: so.Session, operator: Operator, cameras: list[tuple[Camera, list[str]]]) -> None:
    # The vendor identities given now replace the camera's old ones; an identity moves with its device.
    ids = [c.id for c, _ in cameras]
    session.execute(sa.delete(CameraAlias).where(CameraAlias.operator_id == operator.id,
                                                 CameraAlias.camera_id.in_(ids)))
    wanted = {alias: camera.id for camera, aliases in cameras for alias in aliases}
    if wanted:
        session.execute(sa.delete(CameraAlias).where(CameraAlias.operator_id == operator.id,
                                                     CameraAlias.alias.in_(list(wanted))))
        session.add_all(CameraAlias(operator_id=operator.id, alias=a, camera_id=c) for a, c in wanted.items())
    session.flush()


def registered_cameras(session: so.Session, operator_id: int, external_ids: set[str]) -> dict[str, int]:
    """Camera id -> primary key, for the ids among ``external_ids`` this operator registered."""
    if not external_ids:
        return {}
    rows = session.execute(sa.select(Camera.external_id, Camera.id).where(
        Camera.operator_id == operator_id, Camera.external_id.in_(external_ids)))
    return {external_id: pk for external_id, pk in rows}


def resolve_aliases(session: so.Session, operator_id: int, names: set[str]) -> dict[str, str]:
    """Vendor identity -> the operator's camera id, for the names that are registered aliases."""
    if not names:
        return {}
    rows = session.execute(sa.select(CameraAlias.alias, Camera.external_id).join(Camera)
                           .where(CameraAlias.operator_id == operator_id, CameraAlias.alias.in_(names)))
    return {alias: external for alias, external in rows}


def expand_device_beats(session: so.Session, operator_id: int, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A device-wide keep-alive becomes one keep-alive per channel registered under that device ("DEVICE:...")."""
    from services.intake.adapters import DEVICE_ATTRIBUTE

    out: list[dict[str, Any]] = []
    for event in events:
        device = event.get("attributes", {}).get(DEVICE_ATTRIBUTE) if event.get("type") == "heartbeat" else None
        if not isinstance(device, str) or not device:
            out.append(event)
            continue
        prefix = device.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ":%"
        channels = session.scalars(sa.select(CameraAlias.alias).where(
            CameraAlias.operator_id == operator_id, CameraAlias.alias.like(prefix, escape="\\"))
            .order_by(CameraAlias.alias)).all()
        if not channels:
            out.append(event)  # perhaps the device itself is registered as a camera; if not, it is dead-lettered
            continue
        out.extend({**event, "camera_id": alias, "event_id": f"{event['event_id']}.{n}"[:128]}
                   for n, alias in enumerate(channels))
    return out
