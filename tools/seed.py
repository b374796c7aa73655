"""Demo data: a cast of users, operators, cameras and units on the real districts, and a month of history."""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely
import sqlalchemy as sa
import sqlalchemy.orm as so

from services.store.models import Camera, District, Operator, Unit, User
from services.access.operators import create_operator, issue_key
from services.geo.routing import Router
from services.access.users import create_user
from services.geo.departments import ALMATY_DEPARTMENTS, CITY, CITY_CODE, seed_country, seed_defaults, seed_departments

if TYPE_CHECKING:
    from tools.media_sim import MediaServer

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoUser:
    """A login printed when the demo starts."""

    username: str
    password: str
    role: str
    department: str | None
    operator: str | None = None


DEMO_USERS = (
    DemoUser("duty.almaly", "almaly-duty-2026", "duty_officer", "almaty-almaly"),
    DemoUser("duty.bostandyk", "bostandyk-duty-2026", "duty_officer", "almaty-bostandyk"),
    DemoUser("supervisor.almaly", "almaly-super-2026", "supervisor", "almaty-almaly"),
    DemoUser("chief.almaty", "almaty-chief-2026", "chief", CITY_CODE),
    DemoUser("trainer", "kuzet-trainer-2026", "trainer", "almaty-almaly"),
    DemoUser("admin", "kuzet-admin-2026", "admin", None),
    DemoUser("op.almavision", "almavision-portal-2026", "operator", None, "AlmaVision LLP"),
)

DEMO_OPERATORS = ("AlmaVision LLP", "Qala Kamera JSC", "Tengri Secure LLP")
# How each demo operator's equipment talks: v1 JSON, Hikvision ISAPI alerts, or a Frigate NVR over MQTT.
DEMO_VENDORS = {"AlmaVision LLP": "json", "Qala Kamera JSC": "hikvision-isapi", "Tengri Secure LLP": "frigate"}
# Well-known Almaty streets for demo addresses; demo cameras are placed at random, so a street
# name here says nothing about where the camera really is.
DEMO_STREETS = ("пр. Абая", "пр. Достык", "ул. Толе би", "пр. Райымбека", "ул. Жибек Жолы", "ул. Фурманова",
                "пр. Аль-Фараби", "ул. Сатпаева", "ул. Тимирязева", "ул. Байзакова", "ул. Жандосова",
                "пр. Сейфуллина", "ул. Шевченко", "ул. Кабанбай батыра", "ул. Богенбай батыра", "ул. Айтеке би",
                "ул. Гоголя", "пр. Суюнбая", "ул. Розыбакиева", "ул. Момышулы")
MOUNTS = ("street", "street", "road", "road", "yard", "transport", "school", "kindergarten")


def _points_inside(geometry: shapely.Geometry, n: int, rng: random.Random) -> list[tuple[float, float]]:
    # Cameras cluster where people are: sample within a shrunken core of the district, not the mountains.
    core = geometry.buffer(-0.002) if geometry.area > 0.001 else geometry
    core = core if not core.is_empty else geometry
    minx, miny, maxx, maxy = core.bounds
    if geometry.area > 0.02:  # Medeu reaches into the mountains; keep cameras in the city part
        maxy = miny + (maxy - miny) * 0.35
    points: list[tuple[float, float]] = []
    shapely.prepare(core)
    while len(points) < n:
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(core, lon, lat):
            points.append((lat, lon))
    return points


def seed_demo(session: so.Session, cameras_per_district: int = 40, units_per_district: int = 4,
              seed: int = 2026) -> dict[str, str]:
    """Demo cast on top of the departments: users, operators with keys, cameras, units.

    Returns a fresh API key per operator name (keys are only ever shown once).
    """
    rng = random.Random(seed)
    seed_defaults(session)
    seed_departments(session)
    seed_country(session)
    operators = []
    for name in DEMO_OPERATORS:
        operator = session.scalar(sa.select(Operator).where(Operator.name == name)) or create_operator(session, name)
        operators.append(operator)
    for user in DEMO_USERS:
        if session.scalar(sa.select(User.id).where(User.username == user.username)) is None:
            create_user(session, user.username, user.password, user.role, user.department,
                        operator_name=user.operator)
    keys = {op.name: issue_key(session, op, label="demo simulator") for op in operators}

    if session.scalar(sa.select(sa.func.count(Camera.id))) == 0:
        router = Router.from_session(session)
        districts = list(session.scalars(sa.select(District).where(District.city == CITY).order_by(District.id)))
        for district in districts:
            geometry = shapely.geometry.shape(district.geometry)
            points = _points_inside(geometry, cameras_per_district, rng)
            lats = np.array([p[0] for p in points])
            lons = np.array([p[1] for p in points])
            for n, ((lat, lon), where) in enumerate(zip(points, router.resolve_many(lats, lons)), start=1):
                operator = operators[n % len(operators)]
                mount = MOUNTS[rng.randrange(len(MOUNTS))]
                session.add(Camera(operator_id=operator.id, external_id=f"{district.name[:3].upper()}-{n:03d}",
                                   lat=lat, lon=lon, mount_kind=mount,
                                   address=f"{DEMO_STREETS[rng.randrange(len(DEMO_STREETS))]}, "
                                           f"{rng.randrange(1, 240)}",
                                   department_id=where.department_id, district_id=where.district_id,
                                   outside_boundaries=where.outside_boundaries))
            session.flush()
            prefix = ALMATY_DEPARTMENTS[district.name][2]
            for u, (lat, lon) in enumerate(_points_inside(geometry, units_per_district, rng), start=1):
                session.add(Unit(call_sign=f"{prefix}-{u:02d}", department_id=district.department_id,
                                 crew_size=2, lat=lat, lon=lon))
        session.flush()
        _demo_vendor_identities(session, operators)
        seed_history(session, rng)
        seed_settlement(session, rng)
    session.flush()
    return keys


def _demo_vendor_identities(session: so.Session, operators: list[Operator]) -> None:
    """Device names for the demo cameras of operators whose equipment speaks a vendor protocol."""
    from services.store.models import CameraAlias

    for operator in operators:
        vendor = DEMO_VENDORS.get(operator.name, "json")
        if vendor == "json":
            continue
        for n, camera in enumerate(session.scalars(sa.select(Camera).where(Camera.operator_id == operator.id)
                                                   .order_by(Camera.id))):
            alias = (f"44:19:b6:{n // 256:02x}:{n % 256:02x}:00:1" if vendor == "hikvision-isapi"
                     else f"tengri-nvr:{camera.external_id.lower()}")
            session.add(CameraAlias(operator_id=operator.id, alias=alias, camera_id=camera.id))


def _drive(base: tuple[float, float], scene: tuple[float, float], unit_id: int, department_id: int,
           dispatched: datetime, arrived: datetime, released: datetime) -> list[dict[str, object]]:
    """A unit's track for one assignment: en route from its base in a few steps, on scene, free again."""
    points = []
    leg = max((arrived - dispatched).total_seconds(), 0.0)
    steps = 4
    for k in range(steps):
        share = k / steps
        points.append({"unit_id": unit_id, "department_id": department_id,
                       "at": dispatched + timedelta(seconds=leg * share), "status": "en_route",
                       "lat": base[0] + (scene[0] - base[0]) * share, "lon": base[1] + (scene[1] - base[1]) * share})
    points.append({"unit_id": unit_id, "department_id": department_id, "at": max(arrived, dispatched),
                   "status": "on_scene", "lat": scene[0], "lon": scene[1]})
    points.append({"unit_id": unit_id, "department_id": department_id, "at": max(released, arrived, dispatched),
                   "status": "available", "lat": scene[0], "lon": scene[1]})
    return points


def seed_history(session: so.Session, rng: random.Random, days: int = 30, per_day: int = 16) -> int:
    """A month of finished incidents with whole histories, so the statistics page has shifts to show.

    Camera detections and 102 calls (clustered where no camera looks), more in the evening than at
    dawn; each taken, dispatched, reached, resolved and closed after plausible, varied delays, some
    dismissed as false alarms, and a few with times out of order on purpose (a unit's arrival logged
    before its dispatch, an acknowledgement stamped before the incident by a skewed clock), which the
    statistics must leave out and count.
    """

    from services.duty.policy import decide, default_rules
    from services.store.models import Event, Incident, IncidentHistory, IncidentUnit, UnitPosition, utcnow

    now = utcnow()
    rules = default_rules()
    cameras = list(session.scalars(sa.select(Camera)))
    units_by_department: dict[int, list[int]] = {}
    for unit in session.scalars(sa.select(Unit)):
        units_by_department.setdefault(unit.department_id, []).append(unit.id)
    officers = {u.department_id: u for u in session.scalars(sa.select(User).where(User.role == "duty_officer"))}
    hours = [1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 6, 6, 7, 8, 8, 8, 7, 5, 3]  # weight per Almaty hour
    incidents: list[dict[str, object]] = []
    plans: list[dict[str, object]] = []
    for district in session.scalars(sa.select(District).where(District.city == CITY).order_by(District.id)):
        geometry = shapely.geometry.shape(district.geometry)
        own = [c for c in cameras if c.district_id == district.id]
        hotspots = _points_inside(geometry, 3, rng)  # where the cameras do not look
        prefix = ALMATY_DEPARTMENTS[district.name][2].lower()
        officer = officers.get(district.department_id)
        for _ in range(days * per_day):
            local_hour = rng.choices(range(24), weights=hours)[0]
            day = rng.randrange(days)
            at = (now - timedelta(days=day)).replace(hour=(local_hour - 5) % 24, minute=rng.randrange(60),
                                                     second=rng.randrange(60), microsecond=0)
            camera = rng.choice(own) if own and rng.random() < 0.72 else None
            if camera is not None:
                lat, lon, source = camera.lat, camera.lon, "camera"
            else:
                spot = rng.choice(hotspots)
                lat, lon, source = spot[0] + rng.gauss(0, 0.0008), spot[1] + rng.gauss(0, 0.0008), "manual"
            kind = rng.choice(("fight", "fight", "crowd", "vandalism", "loitering", "intrusion", "fall"))
            priority = decide(rules, district.department_id, kind, camera.mount_kind if camera else "street", None, at)
            incidents.append({"department_id": district.department_id, "camera_id": camera.id if camera else None,
                              "source": source, "category": "public_order", "type": kind, "priority": priority,
                              "status": "closed", "lat": lat, "lon": lon, "address": district.name_local,
                              "description": "вызов 102 (демо-история)" if source == "manual" else "",
                              "event_count": 1, "first_seen_at": at, "last_seen_at": at, "created_at": at,
                              "updated_at": at, "version": 1, "case_number": "", "outcome_note": ""})
            plans.append({"at": at, "actor": officer.username if officer else f"duty.{prefix}",
                          "actor_id": officer.id if officer else None, "priority": priority,
                          "units": units_by_department.get(district.department_id, []),
                          "operator_id": camera.operator_id if camera else None})
    for row, plan in zip(incidents, plans):
        if plan["at"] > now - timedelta(hours=4):  # its story (up to about three hours) must be over by now
            for key in ("first_seen_at", "last_seen_at", "created_at", "updated_at"):
                row[key] -= timedelta(days=1)  # type: ignore[operator]
            plan["at"] = row["created_at"]
    ids = session.scalars(sa.insert(Incident).returning(Incident.id, sort_by_parameter_order=True), incidents).all()
    plans_by_id = dict(zip(ids, plans))
    history: list[dict[str, object]] = []
    assignments: list[dict[str, object]] = []
    events: list[dict[str, object]] = []
    finished: dict[int, tuple[object, str | None, str, object]] = {}
    milestones: dict[int, dict[str, object]] = {}
    bases = {u.id: (u.lat, u.lon) for u in session.scalars(sa.select(Unit))}
    busy_until: dict[int, datetime] = {}
    start = min((p["at"] for p in plans), default=now) - timedelta(hours=1)
    track: list[dict[str, object]] = [{"unit_id": u, "department_id": d, "at": start, "lat": bases[u][0],
                                       "lon": bases[u][1], "status": "available"}
                                      for d, units in units_by_department.items() for u in units]
    # The demo's cameras stood there all month: a replay of the history shows them.
    session.execute(sa.update(Camera).where(Camera.created_at > start).values(created_at=start))
    order = sorted(range(len(ids)), key=lambda k: plans[k]["at"])  # units are taken in the order calls came
    for pk, row, plan in ((ids[k], incidents[k], plans[k]) for k in order):
        at, actor, actor_id = plan["at"], plan["actor"], plan["actor_id"]
        seconds = lambda base, spread: min(base * rng.lognormvariate(0, spread), 4 * base)  # noqa: E731
        taken = at + timedelta(seconds=seconds(18 if plan["priority"] == 1 else 28, 0.6))
        if rng.random() < 0.003:
            taken = at - timedelta(seconds=rng.randrange(5, 40))  # a skewed clock: out of order on purpose
        steps = [("open", None, "new", at, "system", None), ("acknowledge", "new", "acknowledged", taken, actor, actor_id)]
        if rng.random() < 0.12:  # a false alarm, dismissed after a look at the camera or a call back
            end = taken + timedelta(seconds=rng.randrange(30, 300))
            steps.append(("dismiss", "acknowledged", "dismissed", end, actor, actor_id))
            finished[pk] = (end, None, "dismissed", taken)
            milestones[pk] = {"resolved_at": None, "closed_at": end}
        else:
            dispatched = taken + timedelta(seconds=seconds(25 if plan["priority"] == 1 else 45, 0.5))
            arrived = dispatched + timedelta(seconds=seconds(420 if plan["priority"] == 1 else 600, 0.45))
            if rng.random() < 0.005:
                arrived = dispatched - timedelta(seconds=rng.randrange(30, 200))  # logged before the dispatch
            resolved = max(arrived, dispatched) + timedelta(seconds=seconds(1200, 0.5))
            closed = resolved + timedelta(seconds=seconds(900, 0.7))
            steps += [("dispatch", "acknowledged", "dispatched", dispatched, actor, actor_id),
                      ("arrive", "dispatched", "on_scene", arrived, actor, actor_id),
                      ("resolve", "on_scene", "resolved", resolved, actor, actor_id),
                      ("close", "resolved", "closed", closed, actor, actor_id)]
            outcome = rng.choices(("warning", "administrative_protocol", "detained", "no_offence", "false_alarm",
                                   "criminal_case", "handed_over"), weights=(30, 25, 10, 15, 8, 4, 8))[0]
            finished[pk] = (closed, outcome, "closed", taken)
            milestones[pk] = {"dispatched_at": dispatched, "arrived_at": arrived, "resolved_at": resolved,
                              "closed_at": closed}
            free = [u for u in plan["units"] if busy_until.get(u, at) <= dispatched]
            if free:
                unit_id = rng.choice(free)
                busy_until[unit_id] = resolved
                assignments.append({"incident_id": pk, "unit_id": unit_id, "dispatched_by": actor,
                                    "dispatched_at": dispatched, "arrived_at": arrived, "released_at": resolved,
                                    "distance_m": round(rng.uniform(300, 4000), 1)})
                track += _drive(bases[unit_id], (row["lat"], row["lon"]), unit_id, row["department_id"],
                                dispatched, arrived, resolved)
        history += [{"incident_id": pk, "department_id": row["department_id"], "action": a, "from_status": f,
                     "to_status": t, "at": when, "actor": who,
                     "actor_user_id": who_id, "reason": "ложное срабатывание (демо)" if a == "dismiss" else ""}
                    for a, f, t, when, who, who_id in steps]
        if plan["operator_id"] is not None:
            lag = rng.lognormvariate(0.8, 0.6) if rng.random() > 0.02 else rng.uniform(60, 600)
            events.append({"operator_id": plan["operator_id"], "event_id": f"demo-history-{pk}",
                           "camera_id": row["camera_id"], "department_id": row["department_id"], "incident_id": pk,
                           "category": "public_order", "type": row["type"], "occurred_at": at - timedelta(seconds=lag),
                           "received_at": at, "stored_at": at, "late": False, "confidence": 0.9,
                           "lat": row["lat"], "lon": row["lon"], "record": {"demo": "history"}})
    session.execute(sa.insert(IncidentHistory), history)
    track += [{"unit_id": u.id, "department_id": u.department_id, "at": now, "lat": u.lat, "lon": u.lon,
               "status": u.status} for u in session.scalars(sa.select(Unit))]  # back on patrol where they are now
    session.execute(sa.insert(UnitPosition), track)
    if assignments:
        session.execute(sa.insert(IncidentUnit), assignments)
    if events:
        session.execute(sa.insert(Event), events)
    session.execute(sa.update(Incident), [{"id": pk, "updated_at": end, "outcome": outcome, "status": status,
                                           "acknowledged_at": taken, "acknowledged_by": plans_by_id[pk]["actor"],
                                           "dispatched_at": None, "arrived_at": None, **milestones[pk]}
                                          for pk, (end, outcome, status, taken) in finished.items()])
    session.flush()
    return len(ids)


PATROL_ACCOUNT = "demo.patrol"


@dataclass(frozen=True)
class ServiceLogin:
    """Credentials a demo helper uses over the API; made afresh at every start and never printed."""

    username: str
    password: str
    totp_secret: str


def patrol_login(session: so.Session) -> ServiceLogin:
    """The account the demo's simulated patrol cars report with (positions, arrivals), with new secrets each start.

    It drives units of every department, so it is an admin and, like every admin, has a second factor.
    """
    import secrets

    import pyotp

    from services.access import second_factor
    from services.access.sessions import revoke_all
    from services.access.users import hash_password

    password = secrets.token_urlsafe(24)
    user = session.scalar(sa.select(User).where(User.username == PATROL_ACCOUNT))
    if user is None:
        user = create_user(session, PATROL_ACCOUNT, password, "admin", None, display_name="Демо: патрульные машины")
    else:
        user.password_hash = hash_password(password)
        revoke_all(session, user.id, "demo")
    second_factor.begin_enrolment(session, user)
    secret = user.totp_pending_secret or ""
    second_factor.confirm_enrolment(session, user, pyotp.TOTP(secret).now())
    user.totp_last_step = None  # the driver's first login may fall in the step the enrolment used
    session.flush()
    return ServiceLogin(PATROL_ACCOUNT, password, secret)


# The monthly calculation index (МРП) for 2026 is 4,325 tenge (the republican budget law for 2026-2028);
# camera fines are multiples of it. Amounts here are a demo's, not the Code of Administrative Offences'.
MRP_KZT = 4325
DEMO_FINES_MRP = {"speeding": 5, "red_light": 5, "no_seatbelt": 3, "phone_use": 3, "stop_line": 2, "bus_lane": 5,
                  "pedestrian_crossing": 5, "lane_violation": 3, "parking": 2, "wrong_way": 10, "no_insurance": 5}
DEMO_CONTRACTS = {
    "AlmaVision LLP": dict(number="AV-2026/14", fine_share_pct="25", fine_share_by_type={"red_light": "30"},
                           incident_fee_kzt="5000", incident_fees_kzt={"fight:school": "15000",
                                                                       "*:kindergarten": "12000"},
                           uptime_target_pct="98", penalty_pct_per_point="2", cap_kzt="25000000"),
    "Qala Kamera JSC": dict(number="QK-07/2026", fine_share_pct="20", incident_fee_kzt="4000",
                            incident_fees_kzt={"fight:school": "12000"}, uptime_target_pct="97",
                            penalty_pct_per_point="3"),
    "Tengri Secure LLP": dict(number="TS-2026-3", fine_share_pct="30", incident_fee_kzt="6000",
                              uptime_target_pct="99", penalty_pct_per_point="1.5", cap_kzt="8000000"),
}


def seed_settlement(session: so.Session, rng: random.Random, offences_per_camera_day: float = 0.8) -> int:
    """Contracts for the demo operators and two months of offences with their fines, as the fines system reports them.

    Payments of one month's fines arrive over the next: last month's statement has both.

    About 60 % of fines are paid, half of those within 7 days at half price; some are cancelled or
    appealed, the rest are unpaid; a few road cameras were offline for a day. Returns the fines imported.
    """
    from services.settlement.calendar import ALMATY, bounds, month_of, previous_month
    from services.settlement.contracts import Terms, add_contract
    from services.settlement.fines import import_fines
    from services.store.models import CameraHealthChange, Event, Offence, utcnow

    now = utcnow()
    start, _ = bounds(previous_month(previous_month(month_of(now))))
    for name, terms in DEMO_CONTRACTS.items():
        add_contract(session, "demo", name, Terms(valid_from=start.astimezone(ALMATY).date().replace(day=1), **terms))
    cameras = list(session.scalars(sa.select(Camera).where(Camera.mount_kind.in_(("road", "street", "transport")))))
    types = list(DEMO_FINES_MRP)
    weights = [30, 14, 10, 8, 8, 5, 6, 6, 8, 1, 4]
    events, offences = [], []
    days = (now - start).days
    for camera in cameras:
        for n in range(int(days * offences_per_camera_day * rng.uniform(0.4, 1.6))):
            at = start + timedelta(seconds=rng.randrange(int((now - start).total_seconds()) - 86400))
            kind = rng.choices(types, weights=weights)[0]
            events.append({"operator_id": camera.operator_id, "event_id": f"demo-offence-{camera.id}-{n}",
                           "camera_id": camera.id, "department_id": camera.department_id, "category": "traffic",
                           "type": kind, "occurred_at": at, "received_at": at + timedelta(seconds=rng.uniform(1, 9)),
                           "stored_at": at, "late": False, "lat": camera.lat, "lon": camera.lon,
                           "record": {"demo": "settlement"}})
    ids = session.scalars(sa.insert(Event).returning(Event.id, sort_by_parameter_order=True), events).all()
    letters = "ABCEHKMOPTXY"
    for pk, event in zip(ids, events):
        plate = f"{rng.randrange(1000):03d}{''.join(rng.choice(letters) for _ in range(3))}02"
        offences.append({"event_id": pk, "operator_id": event["operator_id"], "camera_id": event["camera_id"],
                         "department_id": event["department_id"], "type": event["type"], "plate": plate,
                         "plate_country": "KZ", "occurred_at": event["occurred_at"], "evidence": {}})
    offence_ids = session.scalars(sa.insert(Offence).returning(Offence.id, sort_by_parameter_order=True),
                                  offences).all()
    rows = []
    for line, (offence_id, offence) in enumerate(zip(offence_ids, offences), start=2):
        if rng.random() < 0.08:
            continue  # no decision (yet): plate unreadable, foreign, under review
        issued = offence["occurred_at"] + timedelta(hours=rng.uniform(6, 96))
        if issued > now:
            continue
        amount = DEMO_FINES_MRP[offence["type"]] * MRP_KZT
        roll, status, paid_at, paid = rng.random(), "issued", "", ""
        if roll < 0.30:  # within 7 days: half
            moment = issued + timedelta(days=rng.uniform(0.2, 7))
            status, paid_at, paid = "paid", moment, f"{amount / 2:.2f}"
        elif roll < 0.60:
            moment = issued + timedelta(days=rng.uniform(7.1, 28))  # before enforcement at 30 days
            status, paid_at, paid = "paid", moment, str(amount)
        elif roll < 0.65:
            status = "cancelled"
        elif roll < 0.68:
            status = "appealed"
        if status == "paid" and paid_at > now:
            status, paid_at, paid = "issued", "", ""
        rows.append((line, {"offence_id": str(offence_id), "decision_no": f"ПП-{offence_id:08d}",
                            "issued_at": issued.isoformat(), "amount_kzt": str(amount), "status": status,
                            "paid_at": paid_at.isoformat() if paid_at else "", "paid_amount_kzt": paid}))
    outages = []
    for camera in rng.sample(cameras, k=min(len(cameras), 12)):  # a bad day for a few road cameras
        down = start + timedelta(days=rng.randrange(3, 25), hours=rng.randrange(24))
        outages += [{"camera_id": camera.id, "from_state": "online", "to_state": "offline", "reason": "demo",
                     "at": down},
                    {"camera_id": camera.id, "from_state": "offline", "to_state": "online", "reason": "demo",
                     "at": down + timedelta(hours=rng.uniform(6, 40))}]
    session.execute(sa.insert(CameraHealthChange), outages)
    session.flush()
    import_fines(session, "demo", "demo", rows, filename="demo-fines.csv")
    logger.info("demo settlement: %d offences, %d fines", len(offences), len(rows))
    return len(rows)


def point_demo_video(session: so.Session, media: "MediaServer", whep_every: int = 40) -> int:
    """Point the demo cameras at the simulated operators' video server now running, as operators would register them.

    The first camera of every ``whep_every`` streams over WebRTC (WHEP), the others over HLS. The server's
    address becomes each operator's registered video host and its credential the operators' video credential,
    set the way an administrator sets them (journaled). Returns the number of cameras pointed.
    """
    from services.access.operators import set_video_access

    for operator in session.scalars(sa.select(Operator).where(Operator.name.in_(DEMO_OPERATORS))):
        set_video_access(session, "demo", operator, [media.host_port], media.auth)
    cameras = list(session.scalars(sa.select(Camera).join(Operator).where(Operator.name.in_(DEMO_OPERATORS))
                                   .order_by(Camera.id)))
    for n, camera in enumerate(cameras):
        whep = n % whep_every == 0
        camera.live_url = media.whep_url(camera.external_id) if whep else media.live_url(camera.external_id)
        camera.live_protocol = "whep" if whep else "hls"
    session.flush()
    return len(cameras)
