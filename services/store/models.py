"""SQLAlchemy 2 typed models: the record Kuzet keeps."""

from __future__ import annotations

import enum
from datetime import date, datetime, timezone
from typing import Any, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.geo.distance import cell_of


def utcnow() -> datetime:
    """Current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Stores UTC; always hands back timezone-aware datetimes, on SQLite too."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: sa.Dialect) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: Kuzet stores UTC only")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: Optional[datetime], dialect: sa.Dialect) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Role(enum.StrEnum):
    DUTY_OFFICER = "duty_officer"
    SUPERVISOR = "supervisor"
    CHIEF = "chief"
    TRAINER = "trainer"
    ADMIN = "admin"
    OPERATOR = "operator"  # a camera operator's own login: its scorecard, statements, dead letters and keys


class Category(enum.StrEnum):
    TRAFFIC = "traffic"
    PUBLIC_ORDER = "public_order"
    SYSTEM = "system"


class IncidentStatus(enum.StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    DISPATCHED = "dispatched"
    ON_SCENE = "on_scene"
    RESOLVED = "resolved"
    CLOSED = "closed"
    ON_HOLD = "on_hold"
    DISMISSED = "dismissed"
    TRANSFERRED = "transferred"


OPEN_STATUSES: tuple[str, ...] = (
    IncidentStatus.NEW.value,
    IncidentStatus.TRANSFERRED.value,  # handed over, waiting for the receiving department to take it
    IncidentStatus.ACKNOWLEDGED.value,
    IncidentStatus.DISPATCHED.value,
    IncidentStatus.ON_SCENE.value,
    IncidentStatus.ON_HOLD.value,
)


class UnitStatus(enum.StrEnum):
    AVAILABLE = "available"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    OFF_DUTY = "off_duty"


class CameraHealth(enum.StrEnum):
    ONLINE = "online"
    STALE = "stale"
    OFFLINE = "offline"
    UNKNOWN = "unknown"


class Base(so.DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: sa.JSON()}


class Department(Base):
    __tablename__ = "departments"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    name_ru: so.Mapped[str] = so.mapped_column(sa.String(200))
    name_kk: so.Mapped[str] = so.mapped_column(sa.String(200))
    name_en: so.Mapped[str] = so.mapped_column(sa.String(200))
    city: so.Mapped[str] = so.mapped_column(sa.String(100), index=True)
    parent_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("departments.id"))

    districts: so.Mapped[list["District"]] = so.relationship(back_populates="department")


class District(Base):
    __tablename__ = "districts"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    name_local: so.Mapped[str] = so.mapped_column(sa.String(200))
    city: so.Mapped[str] = so.mapped_column(sa.String(100))
    department_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("departments.id"), index=True)
    geometry: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON)
    area_km2: so.Mapped[float] = so.mapped_column(sa.Float)
    source: so.Mapped[str] = so.mapped_column(sa.String(500))

    department: so.Mapped[Department] = so.relationship(back_populates="districts")


class User(Base):
    __tablename__ = "users"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    display_name: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(256))
    role: so.Mapped[str] = so.mapped_column(sa.String(32))
    department_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("departments.id"))
    operator_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("operators.id", name="fk_users_operator"))
    active: so.Mapped[bool] = so.mapped_column(default=True)
    failed_logins: so.Mapped[int] = so.mapped_column(default=0)
    locked_until: so.Mapped[Optional[datetime]]
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    language: so.Mapped[str] = so.mapped_column(sa.String(2), default="ru", server_default="ru")  # kk, ru or en
    # TOTP (RFC 6238): the enrolled base32 secret, one being enrolled, and the last 30 s step accepted,
    # so that a code once used is refused for the rest of its window.
    totp_secret: so.Mapped[Optional[str]] = so.mapped_column(sa.String(64))
    totp_pending_secret: so.Mapped[Optional[str]] = so.mapped_column(sa.String(64))
    totp_enabled_at: so.Mapped[Optional[datetime]]
    totp_last_step: so.Mapped[Optional[int]] = so.mapped_column(sa.BigInteger)

    department: so.Mapped[Optional[Department]] = so.relationship()


class RecoveryCode(Base):
    """A single-use code that stands in for the authenticator app (a lost phone); only its hash is kept."""

    __tablename__ = "recovery_codes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    code_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    used_at: so.Mapped[Optional[datetime]]


class Operator(Base):
    __tablename__ = "operators"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200), unique=True)
    signing_required: so.Mapped[bool] = so.mapped_column(default=False)
    heartbeat_interval_s: so.Mapped[Optional[int]]
    offline_after_s: so.Mapped[Optional[int]]
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    # Where the centre may fetch this operator's video and evidence ("host:port", set by an administrator,
    # never by the operator), and the credential it sends there (kept server-side, never shown to browsers).
    video_hosts: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=list)
    video_auth: so.Mapped[Optional[str]] = so.mapped_column(sa.String(500))

    keys: so.Mapped[list["ApiKey"]] = so.relationship(back_populates="operator")


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    operator_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("operators.id"), index=True)
    prefix: so.Mapped[str] = so.mapped_column(sa.String(16), index=True)
    key_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    label: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    last_used_at: so.Mapped[Optional[datetime]]
    revoked_at: so.Mapped[Optional[datetime]]

    operator: so.Mapped[Operator] = so.relationship(back_populates="keys")


class Camera(Base):
    __tablename__ = "cameras"
    __table_args__ = (sa.UniqueConstraint("operator_id", "external_id", name="uq_camera_operator_external"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    operator_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("operators.id"), index=True)
    external_id: so.Mapped[str] = so.mapped_column(sa.String(64))
    lat: so.Mapped[float]
    lon: so.Mapped[float]
    mount_kind: so.Mapped[str] = so.mapped_column(sa.String(32), default="street")
    heading: so.Mapped[Optional[float]]
    field_of_view: so.Mapped[Optional[float]]
    address: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    live_url: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    live_protocol: so.Mapped[str] = so.mapped_column(sa.String(8), default="")  # hls | whep | "" (no live view)
    video_auth: so.Mapped[Optional[str]] = so.mapped_column(sa.String(500))  # this camera's, over the operator's
    department_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("departments.id"), index=True)
    district_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("districts.id"))
    outside_boundaries: so.Mapped[bool] = so.mapped_column(default=False)
    health: so.Mapped[str] = so.mapped_column(sa.String(16), default=CameraHealth.UNKNOWN.value, index=True)
    health_since: so.Mapped[Optional[datetime]]
    back_since: so.Mapped[Optional[datetime]]  # first sign of life after an outage (debounce)
    expected_interval_s: so.Mapped[Optional[int]]  # overrides the operator's, then the global one
    last_seen_at: so.Mapped[Optional[datetime]] = so.mapped_column(index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    operator: so.Mapped[Operator] = so.relationship()


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (sa.UniqueConstraint("operator_id", "event_id", name="uq_event_operator_event"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # Operator and department are copied from the camera, the one row checked as a foreign key: at
    # thousands of rows a second each checked key costs a trigger per row (migration 0011).
    operator_id: so.Mapped[int]
    event_id: so.Mapped[str] = so.mapped_column(sa.String(128))
    camera_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cameras.id"), index=True)
    department_id: so.Mapped[int] = so.mapped_column(index=True)
    incident_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("incidents.id"), index=True)
    category: so.Mapped[str] = so.mapped_column(sa.String(16))
    type: so.Mapped[str] = so.mapped_column(sa.String(64))
    occurred_at: so.Mapped[datetime] = so.mapped_column(index=True)
    received_at: so.Mapped[datetime]
    stored_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    late: so.Mapped[bool] = so.mapped_column(default=False)
    confidence: so.Mapped[Optional[float]]
    lat: so.Mapped[float]
    lon: so.Mapped[float]
    record: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON)


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        sa.Index("ix_incidents_queue", "department_id", "status", "priority", "created_at"),
        sa.Index("ix_incidents_merge", "camera_id", "type", "status"),
        sa.Index("ix_incidents_department_created", "department_id", "created_at"),  # shift statistics
        sa.Index("ix_incidents_department_updated", "department_id", "updated_at"),  # open at a moment
        sa.Index("ix_incidents_cell", "cell", "last_seen_at"),  # open incidents nearby
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    department_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("departments.id"))
    camera_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("cameras.id"))
    source: so.Mapped[str] = so.mapped_column(sa.String(16), default="camera")
    category: so.Mapped[str] = so.mapped_column(sa.String(16))
    type: so.Mapped[str] = so.mapped_column(sa.String(64))
    priority: so.Mapped[int]
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default=IncidentStatus.NEW.value)
    lat: so.Mapped[float]
    lon: so.Mapped[float]
    cell: so.Mapped[Optional[str]] = so.mapped_column(sa.String(16))  # H3 cell of the point (set on insert)
    address: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    caller_name: so.Mapped[str] = so.mapped_column(sa.String(200), default="")  # a 102 caller, if they gave it
    caller_phone: so.Mapped[str] = so.mapped_column(sa.String(32), default="")
    event_count: so.Mapped[int] = so.mapped_column(default=1)
    first_seen_at: so.Mapped[datetime]
    last_seen_at: so.Mapped[datetime]
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    # Milestones for response statistics, kept by the actions that reach them (the history is the record):
    # first taken (acknowledged, or dispatched straight from the queue) and by whom, first unit sent, first
    # unit on scene, last resolved, last closed.
    acknowledged_at: so.Mapped[Optional[datetime]]
    acknowledged_by: so.Mapped[Optional[str]] = so.mapped_column(sa.String(64))
    dispatched_at: so.Mapped[Optional[datetime]]
    arrived_at: so.Mapped[Optional[datetime]]
    resolved_at: so.Mapped[Optional[datetime]]
    closed_at: so.Mapped[Optional[datetime]]
    outcome: so.Mapped[Optional[str]] = so.mapped_column(sa.String(32))
    case_number: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    outcome_note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # Bumped by lifecycle transitions only (not by merged events), so officers race each other, not the worker.
    version: so.Mapped[int] = so.mapped_column(default=1)

    camera: so.Mapped[Optional[Camera]] = so.relationship()
    history: so.Mapped[list["IncidentHistory"]] = so.relationship(
        back_populates="incident", order_by="IncidentHistory.id"
    )


@sa.event.listens_for(Incident, "before_insert")
def _incident_cell(_mapper: object, _connection: object, incident: Incident) -> None:
    """Every incident a session inserts gets its H3 cell, whichever path opened it (camera, 102, health)."""
    if incident.cell is None:
        incident.cell = cell_of(incident.lat, incident.lon)


class IncidentHistory(Base):
    __tablename__ = "incident_history"
    # An officer's actions in a shift: on PostgreSQL read from the index alone.
    __table_args__ = (sa.Index("ix_incident_history_at", "at", postgresql_include=["action", "actor", "incident_id"]),
                      sa.Index("ix_incident_history_incident_at", "incident_id", "at"))

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    incident_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("incidents.id"), index=True)
    action: so.Mapped[str] = so.mapped_column(sa.String(32))
    from_status: so.Mapped[Optional[str]] = so.mapped_column(sa.String(16))
    to_status: so.Mapped[str] = so.mapped_column(sa.String(16))
    actor_user_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id"))
    actor: so.Mapped[str] = so.mapped_column(sa.String(100))
    reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    # The department the incident belongs to from this entry on: replay finds where a transferred one was.
    department_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("departments.id"))

    incident: so.Mapped[Incident] = so.relationship(back_populates="history")


class Unit(Base):
    __tablename__ = "units"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    call_sign: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    department_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("departments.id"), index=True)
    crew_size: so.Mapped[int] = so.mapped_column(default=2)
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default=UnitStatus.AVAILABLE.value)
    lat: so.Mapped[float]
    lon: so.Mapped[float]
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class UnitPosition(Base):
    """The track of a unit: a point when it moved about 50 m or changed status (at most one per 10 s moving)."""

    __tablename__ = "unit_positions"
    __table_args__ = (sa.Index("ix_unit_positions_unit_at", "unit_id", "at"),
                      sa.Index("ix_unit_positions_department_at", "department_id", "at"))

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("units.id"))
    department_id: so.Mapped[int]
    at: so.Mapped[datetime]
    lat: so.Mapped[float]
    lon: so.Mapped[float]
    status: so.Mapped[str] = so.mapped_column(sa.String(16))


class QueuedBatch(Base):
    """A batch of accepted events waiting for the worker (the embedded default's durable queue)."""

    __tablename__ = "bus_outbox"
    __table_args__ = (sa.Index("ix_bus_outbox_stream_id", "stream", "id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    stream: so.Mapped[str] = so.mapped_column(sa.String(32))
    payload: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)
    queued_at: so.Mapped[datetime]
    claimed_by: so.Mapped[Optional[str]] = so.mapped_column(sa.String(100))
    claimed_at: so.Mapped[Optional[datetime]]
    deliveries: so.Mapped[int] = so.mapped_column(default=0)


class LoginSession(Base):
    """One login (a browser session or a bearer token); revoked on logout or when the user is disabled."""

    __tablename__ = "login_sessions"

    id: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))  # web, token
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    revoked_at: so.Mapped[Optional[datetime]]
    revoked_by: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    sockets: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=list)  # Socket.IO ids it opened, newest last


class RetentionMark(Base):
    """How far retention has masked personal data: everything before ``done_before`` is done."""

    __tablename__ = "retention_marks"

    key: so.Mapped[str] = so.mapped_column(sa.String(32), primary_key=True)
    done_before: so.Mapped[datetime]


class DepartmentGrant(Base):
    """A department an admin opened to a trainer beyond their own (replay and the archive)."""

    __tablename__ = "department_grants"

    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    department_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("departments.id"), primary_key=True)
    granted_by: so.Mapped[str] = so.mapped_column(sa.String(64))
    granted_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class DeadLetter(Base):
    __tablename__ = "dead_letters"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    operator_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("operators.id"))
    endpoint: so.Mapped[str] = so.mapped_column(sa.String(100))
    reason: so.Mapped[str] = so.mapped_column(sa.Text)
    raw: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)
    received_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    replayed_at: so.Mapped[Optional[datetime]]
    replay_result: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    params: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON, default=dict)  # adapter context for replay


class IncidentUnit(Base):
    """A unit's assignment to an incident, from dispatch to release."""

    __tablename__ = "incident_units"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    incident_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("incidents.id"), index=True)
    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("units.id"), index=True)
    dispatched_by: so.Mapped[str] = so.mapped_column(sa.String(64))
    dispatched_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    arrived_at: so.Mapped[Optional[datetime]]
    released_at: so.Mapped[Optional[datetime]]
    distance_m: so.Mapped[float] = so.mapped_column(default=0.0)


class IncidentNote(Base):
    """A free-text note on an incident."""

    __tablename__ = "incident_notes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    incident_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("incidents.id"), index=True)
    author: so.Mapped[str] = so.mapped_column(sa.String(64))
    text: so.Mapped[str] = so.mapped_column(sa.Text)
    at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class IncidentLink(Base):
    """Two incidents of nearby cameras within the correlation window."""

    __tablename__ = "incident_links"
    __table_args__ = (sa.UniqueConstraint("incident_id", "related_id", name="uq_incident_link"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    incident_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("incidents.id"), index=True)
    related_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("incidents.id"))
    distance_m: so.Mapped[float]


class SopStep(Base):
    """One step of the standard operating procedure for an incident type."""

    __tablename__ = "sop_steps"
    __table_args__ = (sa.UniqueConstraint("incident_type", "position", name="uq_sop_step_position"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    incident_type: so.Mapped[str] = so.mapped_column(sa.String(64), index=True)
    position: so.Mapped[int]
    text: so.Mapped[str] = so.mapped_column(sa.String(300))
    mandatory: so.Mapped[bool] = so.mapped_column(default=True)
    done_by_dispatch: so.Mapped[Optional[int]]  # ticked by the dispatch itself once this many units are sent
    done_by_video: so.Mapped[bool] = so.mapped_column(default=False)  # ticked when the incident's video is watched


class SopTick(Base):
    """A ticked SOP step on one incident: who and when."""

    __tablename__ = "sop_ticks"
    __table_args__ = (sa.UniqueConstraint("incident_id", "step_id", name="uq_sop_tick"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    incident_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("incidents.id"), index=True)
    step_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("sop_steps.id"))
    actor: so.Mapped[str] = so.mapped_column(sa.String(64))
    at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class PriorityRule(Base):
    """A row of a priority policy table; the most specific matching row wins."""

    __tablename__ = "priority_rules"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    department_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("departments.id"), index=True)
    incident_type: so.Mapped[str] = so.mapped_column(sa.String(64))
    mount_kind: so.Mapped[Optional[str]] = so.mapped_column(sa.String(32))
    night_only: so.Mapped[bool] = so.mapped_column(default=False)
    min_confidence: so.Mapped[Optional[float]]  # the rule holds only for detections at least this sure
    priority: so.Mapped[int]


class Offence(Base):
    """An entry of the offence register: one traffic event, for the fines system."""

    __tablename__ = "offences"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    event_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("events.id"), unique=True)
    # Copies of the event's, which is the one row checked as a foreign key (migration 0011).
    operator_id: so.Mapped[int] = so.mapped_column(index=True)
    camera_id: so.Mapped[int]
    department_id: so.Mapped[int] = so.mapped_column(index=True)
    type: so.Mapped[str] = so.mapped_column(sa.String(64))
    plate: so.Mapped[str] = so.mapped_column(sa.String(16), index=True)
    plate_country: so.Mapped[str] = so.mapped_column(sa.String(2))
    speed_kmh: so.Mapped[Optional[float]]
    limit_kmh: so.Mapped[Optional[float]]
    occurred_at: so.Mapped[datetime] = so.mapped_column(index=True)
    evidence: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON)


class AuditEntry(Base):
    """One line of the hash-chained journal; the application never updates or deletes these."""

    __tablename__ = "audit_log"
    __table_args__ = (
        # Unique per chain: two writers racing for the same predecessor cannot both append (no forks).
        sa.UniqueConstraint("chain", "prev_hash", name="uq_audit_chain_prev"),
        sa.Index("ix_audit_chain_id", "chain", "id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # Which chain the entry is linked into: "main", or "worker:<name>" for a worker's bulk appends.
    chain: so.Mapped[str] = so.mapped_column(sa.String(64), default="main", server_default="main")
    at: so.Mapped[datetime]
    actor: so.Mapped[str] = so.mapped_column(sa.String(100))
    action: so.Mapped[str] = so.mapped_column(sa.String(64))
    subject: so.Mapped[str] = so.mapped_column(sa.String(200))
    detail: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON)
    prev_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    hash: so.Mapped[str] = so.mapped_column(sa.String(64))


class CameraAlias(Base):
    """A vendor identity (device serial or IP + channel) that names one of the operator's cameras."""

    __tablename__ = "camera_aliases"
    __table_args__ = (sa.UniqueConstraint("operator_id", "alias", name="uq_camera_alias"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    operator_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("operators.id"))
    alias: so.Mapped[str] = so.mapped_column(sa.String(128))
    camera_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cameras.id"), index=True)


class ReceivedEvent(Base):
    """Every (operator, event_id) ever accepted: the idempotency key, reserved at ingest."""

    __tablename__ = "received_events"

    operator_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("operators.id"), primary_key=True)
    event_id: so.Mapped[str] = so.mapped_column(sa.String(128), primary_key=True)
    received_at: so.Mapped[datetime]


class CameraHealthChange(Base):
    """One health transition of a camera; uptime is computed from these, not sampled."""

    __tablename__ = "camera_health_changes"
    __table_args__ = (sa.Index("ix_camera_health_changes_camera_at", "camera_id", "at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    camera_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cameras.id"))
    from_state: so.Mapped[str] = so.mapped_column(sa.String(16))
    to_state: so.Mapped[str] = so.mapped_column(sa.String(16))
    reason: so.Mapped[str] = so.mapped_column(sa.String(64))
    at: so.Mapped[datetime]


class ChangeEntry(Base):
    """The change feed: one row per committed change of an incident, a unit or a camera's health.

    Written in the transaction that makes the change; the live publisher pushes these after commit,
    and replay and shift statistics read them. Append-only. No foreign keys: the entity varies, and
    the worker writes these in bulk.
    """

    __tablename__ = "changes"
    __table_args__ = (sa.Index("ix_changes_department_id_id", "department_id", "id"),
                      sa.Index("ix_changes_entity", "entity", "entity_id", "id"),
                      sa.Index("ix_changes_at", "at"))

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    at: so.Mapped[datetime]
    entity: so.Mapped[str] = so.mapped_column(sa.String(16))  # incident, unit, cameras (one department's, listed in data)
    entity_id: so.Mapped[int]
    department_id: so.Mapped[int]
    previous_department_id: so.Mapped[Optional[int]]  # a transfer: the department it left
    action: so.Mapped[str] = so.mapped_column(sa.String(32))
    actor: so.Mapped[str] = so.mapped_column(sa.String(100))
    data: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON)


class ShiftPattern(Base):
    """When a department's shifts begin, as local times of day (Asia/Almaty); the default is 08:00 and 20:00."""

    __tablename__ = "shift_patterns"

    department_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("departments.id"), primary_key=True)
    starts: so.Mapped[list[str]] = so.mapped_column(sa.JSON)  # ["08:00", "20:00"]
    updated_by: so.Mapped[str] = so.mapped_column(sa.String(64))
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class ResponseTarget(Base):
    """A target for one interval ("90 % within target_s"), for a department and a priority, or for all (NULL)."""

    __tablename__ = "response_targets"
    __table_args__ = (sa.UniqueConstraint("department_id", "priority", "interval", name="uq_response_targets_scope"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    department_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("departments.id"))
    priority: so.Mapped[Optional[int]]
    interval: so.Mapped[str] = so.mapped_column(sa.String(32))
    target_s: so.Mapped[int]
    updated_by: so.Mapped[str] = so.mapped_column(sa.String(64))
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class Contract(Base):
    """One operator's terms from a date: fine share, incident fees, uptime target and penalty, cap (money in tiyn)."""

    __tablename__ = "contracts"
    __table_args__ = (sa.UniqueConstraint("operator_id", "number", "valid_from", name="uq_contract_terms_from"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    operator_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("operators.id"), index=True)
    city: so.Mapped[str] = so.mapped_column(sa.String(64))
    number: so.Mapped[str] = so.mapped_column(sa.String(64))
    valid_from: so.Mapped[date]
    valid_to: so.Mapped[Optional[date]]  # the last day it covers; open-ended when empty
    fine_share_bp: so.Mapped[int]  # basis points of each fine actually paid
    fine_share_by_type: so.Mapped[dict[str, int]] = so.mapped_column(sa.JSON)
    incident_fee_tiyn: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    incident_fees: so.Mapped[dict[str, int]] = so.mapped_column(sa.JSON)  # "type:mount" -> tiyn, * for any
    uptime_target_bp: so.Mapped[Optional[int]]
    penalty_bp_per_point: so.Mapped[int]
    cap_tiyn: so.Mapped[Optional[int]] = so.mapped_column(sa.BigInteger)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    created_by: so.Mapped[str] = so.mapped_column(sa.String(64))


class FineImport(Base):
    """One file or API call from the fines system; a rejected one keeps its text and errors for review."""

    __tablename__ = "fine_imports"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    source: so.Mapped[str] = so.mapped_column(sa.String(32))
    actor: so.Mapped[str] = so.mapped_column(sa.String(64))
    filename: so.Mapped[str] = so.mapped_column(sa.String(200))
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    rows: so.Mapped[int]
    created: so.Mapped[int] = so.mapped_column(default=0)
    updated: so.Mapped[int] = so.mapped_column(default=0)
    unchanged: so.Mapped[int] = so.mapped_column(default=0)
    status: so.Mapped[str] = so.mapped_column(sa.String(16))  # applied, rejected
    errors: so.Mapped[list[str]] = so.mapped_column(sa.JSON)
    raw: so.Mapped[str] = so.mapped_column(sa.Text)
    at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class Fine(Base):
    """A fines-system decision on one of Kuzet's offences, as last reported."""

    __tablename__ = "fines"
    __table_args__ = (sa.Index("ix_fines_operator_paid", "operator_id", "paid_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    decision_no: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    offence_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("offences.id"), index=True)
    operator_id: so.Mapped[int]  # copied from the offence
    camera_id: so.Mapped[int]
    issued_at: so.Mapped[datetime]
    amount_tiyn: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    status: so.Mapped[str] = so.mapped_column(sa.String(16))  # issued, paid, cancelled, appealed
    paid_at: so.Mapped[Optional[datetime]]
    paid_amount_tiyn: so.Mapped[Optional[int]] = so.mapped_column(sa.BigInteger)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    import_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("fine_imports.id"))


class Statement(Base):
    """An issued monthly statement, frozen: its canonical JSON, hash, and the journal head when issued."""

    __tablename__ = "statements"
    __table_args__ = (sa.UniqueConstraint("operator_id", "month", "version", name="uq_statement_version"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    operator_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("operators.id"))
    month: so.Mapped[str] = so.mapped_column(sa.String(7))
    version: so.Mapped[int]
    corrects_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("statements.id"))
    content: so.Mapped[str] = so.mapped_column(sa.Text)
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    total_tiyn: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    issued_at: so.Mapped[datetime]
    issued_by: so.Mapped[str] = so.mapped_column(sa.String(64))
    audit_head: so.Mapped[str] = so.mapped_column(sa.String(64))


class LedgerEntry(Base):
    """Money owed to an operator or taken back, in tiyn, pointing to what earned it; never updated (a trigger)."""

    __tablename__ = "ledger_entries"
    __table_args__ = (sa.Index("ix_ledger_operator_month", "operator_id", "month", "kind"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    operator_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("operators.id"))
    month: so.Mapped[str] = so.mapped_column(sa.String(7))  # the statement it is on
    for_month: so.Mapped[str] = so.mapped_column(sa.String(7))  # the month that earned it
    kind: so.Mapped[str] = so.mapped_column(sa.String(32))  # fine_share, incident_fee, uptime_penalty
    amount_tiyn: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    recorded_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    contract_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("contracts.id"))
    fine_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("fines.id"), index=True)
    offence_id: so.Mapped[Optional[int]]
    event_id: so.Mapped[Optional[str]] = so.mapped_column(sa.String(128))
    incident_id: so.Mapped[Optional[int]] = so.mapped_column(index=True)
    camera_id: so.Mapped[Optional[int]]
    basis: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON)


class ServiceKey(Base):
    """A key of one of the centre's own systems (the fines system), for one purpose."""

    __tablename__ = "service_keys"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    purpose: so.Mapped[str] = so.mapped_column(sa.String(32))
    prefix: so.Mapped[str] = so.mapped_column(sa.String(16))
    key_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    label: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    last_used_at: so.Mapped[Optional[datetime]]
    revoked_at: so.Mapped[Optional[datetime]]


class BasemapLayer(Base):
    """One served layer of a city's street map (roads of a class, places, street labels), replaced by an import."""

    __tablename__ = "basemap_layers"

    city: so.Mapped[str] = so.mapped_column(sa.String(100), primary_key=True)
    layer: so.Mapped[str] = so.mapped_column(sa.String(32), primary_key=True)
    data: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)  # GeoJSON (labels: a JSON list), as served
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    source: so.Mapped[str] = so.mapped_column(sa.String(300))
    data_date: so.Mapped[str] = so.mapped_column(sa.String(10))  # the extract's date: "2012", "2026-11-30"
    imported_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    imported_by: so.Mapped[str] = so.mapped_column(sa.String(100))


class VideoView(Base):
    """One person watching one camera's live view or one clip through the centre: who, what, from when to when."""

    __tablename__ = "video_views"
    __table_args__ = (sa.Index("ix_video_views_camera_started", "camera_id", "started_at"),
                      sa.Index("ix_video_views_user_started", "user_id", "started_at"))

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    camera_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cameras.id"))
    incident_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("incidents.id"))
    kind: so.Mapped[str] = so.mapped_column(sa.String(8))  # live | clip
    protocol: so.Mapped[str] = so.mapped_column(sa.String(8))  # hls | whep | mp4
    event_id: so.Mapped[Optional[int]]  # the clip's event
    started_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    last_seen_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)  # the last request the viewer made
    ended_at: so.Mapped[Optional[datetime]] = so.mapped_column(index=True)


class EvidenceCheck(Base):
    """The sha256 of one evidence item as fetched through the centre, against the hash its event declared."""

    __tablename__ = "evidence_checks"
    __table_args__ = (sa.UniqueConstraint("event_id", "position", name="uq_evidence_check_item"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    event_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("events.id"))
    position: so.Mapped[int]  # index in the event's media list
    declared: so.Mapped[str] = so.mapped_column(sa.String(64), default="")  # "" when the event declared none
    actual: so.Mapped[str] = so.mapped_column(sa.String(64))
    size: so.Mapped[int]
    checked_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    checked_by: so.Mapped[str] = so.mapped_column(sa.String(100))

    @property
    def verdict(self) -> str:
        """match | mismatch | undeclared."""
        if not self.declared:
            return "undeclared"
        return "match" if self.declared == self.actual else "mismatch"
