"""Live push: Socket.IO rooms per department, fed by committed incident changes."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, request
from flask_login import current_user
from flask_socketio import SocketIO, join_room

from dashboard.context import db, kuzet
from services.duty.incidents import rows_for
from services.store.models import Incident
from services.access.scope import visible_departments
from services.worker.consumer import CameraSink, ChangeSink

logger = logging.getLogger(__name__)

INCIDENTS_EVENT = "incidents"


def room(department_id: int) -> str:
    """Socket.IO room of one department."""
    return f"department:{department_id}"


def make_change_sink(socketio: SocketIO) -> ChangeSink:
    """A worker change sink that emits incident rows to their department's room."""

    def emit(department_id: int, rows: list[dict[str, Any]]) -> None:
        socketio.emit(INCIDENTS_EVENT, {"department_id": department_id, "rows": rows}, to=room(department_id))

    return emit


UNITS_EVENT = "units"
CAMERAS_EVENT = "cameras"


def make_camera_sink(socketio: SocketIO) -> CameraSink:
    """A worker sink that tells a department's walls their cameras changed health."""

    def emit(department_id: int) -> None:
        socketio.emit(CAMERAS_EVENT, {"department_id": department_id}, to=room(department_id))

    return emit


def push_unit(department_id: int, unit: dict[str, Any]) -> None:
    """Tell a department's walls that a unit moved or changed status."""
    kuzet().socketio.emit(UNITS_EVENT, {"department_id": department_id, "units": [unit]}, to=room(department_id))


def push_incident(incident: Incident, previous_department_id: int | None = None) -> None:
    """Emit one changed incident to its department; after a transfer, remove it from the old one."""
    row = rows_for(db(), [incident])[0]
    sink = make_change_sink(kuzet().socketio)
    sink(incident.department_id, [row])
    if previous_department_id is not None and previous_department_id != incident.department_id:
        sink(previous_department_id, [{**row, "open": False}])


def init_app(app: Flask, socketio: SocketIO) -> None:
    """Register the connect handler: join the requested department's room, if in scope."""

    @socketio.on("connect")
    def on_connect(auth: Any = None) -> bool:
        if not current_user.is_authenticated:
            logger.info("socket refused: not logged in")
            return False
        raw = request.args.get("department")
        if raw is None and isinstance(auth, dict):
            raw = auth.get("department")
        try:
            department_id = int(raw) if raw is not None else current_user.user.department_id
        except (TypeError, ValueError):
            return False
        if department_id is None or department_id not in visible_departments(db(), current_user.user):
            logger.warning("socket join refused: %s asked for department %s", current_user.user.username, department_id)
            return False
        join_room(room(department_id))
        return True
