"""Operator scorecards and the camera list: what each operator delivers, camera by camera."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.cameras.health import Uptime, uptime
from services.store.models import Camera, CameraHealth, Department, District, Operator, utcnow

WINDOWS = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}


def operator_uptime(session: so.Session, operator_id: int, now: datetime | None = None,
                    department_ids: set[int] | None = None) -> dict[str, Uptime]:
    """Uptime of the operator's cameras over the last day, week and month."""
    now = now or utcnow()
    query = sa.select(Camera.id).where(Camera.operator_id == operator_id)
    if department_ids is not None:
        query = query.where(Camera.department_id.in_(department_ids))
    ids = list(session.scalars(query))
    return {name: uptime(session, ids, now - span, now) for name, span in WINDOWS.items()}


def camera_uptime(session: so.Session, camera_id: int, now: datetime | None = None) -> dict[str, Uptime]:
    """Uptime of one camera over the last day, week and month."""
    now = now or utcnow()
    return {name: uptime(session, [camera_id], now - span, now) for name, span in WINDOWS.items()}


def scorecards(session: so.Session, department_ids: set[int], now: datetime | None = None) -> list[dict[str, Any]]:
    """One row per operator with cameras in the departments."""
    rows = []
    counts = session.execute(
        sa.select(Camera.operator_id, Camera.health, sa.func.count(Camera.id))
        .where(Camera.department_id.in_(department_ids)).group_by(Camera.operator_id, Camera.health)).all()
    by_operator: dict[int, dict[str, int]] = {}
    for operator_id, health, n in counts:
        by_operator.setdefault(operator_id, {})[health] = n
    for operator in session.scalars(sa.select(Operator).where(Operator.id.in_(by_operator)).order_by(Operator.name)):
        health = by_operator[operator.id]
        figures = operator_uptime(session, operator.id, now, department_ids)
        rows.append({
            "operator_id": operator.id, "operator": operator.name, "cameras": sum(health.values()),
            "online": health.get(CameraHealth.ONLINE.value, 0), "stale": health.get(CameraHealth.STALE.value, 0),
            "offline": health.get(CameraHealth.OFFLINE.value, 0),
            "uptime_day": figures["day"].uptime_pct, "uptime_week": figures["week"].uptime_pct,
            "uptime_month": figures["month"].uptime_pct, "outages_month": figures["month"].outages,
            "outage_minutes_month": figures["month"].outage_minutes,
        })
    return rows


def camera_list(session: so.Session, department_ids: set[int], operator_id: int | None = None,
                district_id: int | None = None, health: str | None = None, limit: int = 5000) -> list[dict[str, Any]]:
    """Cameras with operator, district, health and last seen; the quietest first."""
    query = (sa.select(Camera, Operator.name, District.name, Department.name_ru)
             .join(Operator, Camera.operator_id == Operator.id)
             .join(Department, Camera.department_id == Department.id)
             .outerjoin(District, Camera.district_id == District.id)
             .where(Camera.department_id.in_(department_ids)))
    if operator_id is not None:
        query = query.where(Camera.operator_id == operator_id)
    if district_id is not None:
        query = query.where(Camera.district_id == district_id)
    if health:
        query = query.where(Camera.health == health)
    query = query.order_by(Camera.last_seen_at.asc().nulls_first(), Camera.id).limit(limit)
    return [{"id": c.id, "camera_id": c.external_id, "operator": op, "district": district or "—", "department": dept,
             "health": c.health, "last_seen_at": c.last_seen_at.isoformat() if c.last_seen_at else None,
             "mount_kind": c.mount_kind, "address": c.address} for c, op, district, dept in session.execute(query)]
