"""Live push: Socket.IO rooms per department, fed by the change feed after each commit.

The :class:`Publisher` is the only code that emits to walls. The store calls it with the changes of
every committed transaction (web requests, the embedded worker, the health sweep); `kuzet worker`
subscribes one too, emitting through the Redis message queue.
"""

from __future__ import annotations

import logging
from collections import defaultdict
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from flask import Flask, current_app, request, session
from flask_login import current_user
from flask_socketio import SocketIO, join_room

from dashboard.context import db
from services.access.scope import wall_departments
from services.access.sessions import add_socket
from services.duty.situation import department_figures
from services.messages import Change

logger = logging.getLogger(__name__)

INCIDENTS_EVENT = "incidents"
UNITS_EVENT = "units"
CAMERAS_EVENT = "cameras"


def room(department_id: int) -> str:
    """Socket.IO room of one department."""
    return f"department:{department_id}"


def disconnect_login(sockets: list[str]) -> int:
    """Disconnect the sockets of logins that ended, on every process (through the message queue); how many."""
    server = current_app.extensions["socketio"].server
    for socket_id in sockets:
        server.disconnect(socket_id, namespace="/")  # a socket of another process: that process is told
    return len(sockets)


def watch_logins(app: Flask, stop: threading.Event, every_s: float = 2.0) -> None:
    """Cut this process's sockets of logins ended elsewhere (``kuzet users disable`` or ``reset-2fa`` from a shell).

    A logout on the web cuts its sockets at once; a login ended by another process, with no message
    queue between them in the embedded default, is found here within ``every_s`` seconds.
    """
    import sqlalchemy as sa

    from services.store.models import LoginSession, utcnow

    kz = app.extensions["kuzet"]
    server = app.extensions["socketio"].server
    since = utcnow()
    while not stop.wait(every_s):
        try:
            checked = utcnow()
            with kz.store.session() as session:
                rows = session.scalars(sa.select(LoginSession).where(LoginSession.revoked_at >= since)).all()
                sockets = [s for row in rows for s in (row.sockets or [])]
            since = checked - timedelta(seconds=every_s)  # overlap: a revocation committed mid-check is not missed
            for socket_id in sockets:
                if server.manager.is_connected(socket_id, "/"):
                    logger.info("cutting socket %s of an ended login", socket_id)
                    server.disconnect(socket_id, namespace="/")
        except Exception:  # noqa: BLE001 - a database hiccup must not end the watch
            logger.exception("login watch failed; trying again")


Figures = Callable[[set[int]], dict[int, dict[str, int]]]


def store_figures(store: Any) -> Figures:
    """Departments' top-bar figures counted in ``store``, in a session of their own (after the commit)."""
    def count(department_ids: set[int]) -> dict[int, dict[str, int]]:
        with store.session() as session:
            return department_figures(session, department_ids)
    return count


class Publisher:
    """Turns committed feed changes into pushes: incident rows, unit rows and "cameras changed" per department.

    Each message carries its department's figures, counted once per batch here: a thousand walls then add
    them up themselves instead of each asking the store after every push.
    """

    def __init__(self, socketio: SocketIO, latency: Any = None, figures: Figures | None = None) -> None:
        self.socketio = socketio
        self.latency = latency  # a Prometheus histogram of commit-to-push seconds, if metrics are kept
        self.figures = figures

    def __call__(self, changes: list[Change]) -> None:
        """Emit one message per department and kind, the latest row of each entity only."""
        incidents: defaultdict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
        units: defaultdict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
        cameras: set[int] = set()
        for change in changes:
            if change.entity == "incident":
                incidents[change.department_id][change.entity_id] = change.data
                if change.previous_department_id is not None:
                    # Transferred away: the old department's walls drop it from their queue.
                    incidents[change.previous_department_id][change.entity_id] = {**change.data, "open": False}
            elif change.entity == "unit":
                units[change.department_id][change.entity_id] = change.data
            elif change.entity == "cameras":  # a department's cameras whose health changed
                cameras.add(change.department_id)
        figures = self._count(set(incidents) | set(units) | cameras)
        for department_id, rows in incidents.items():
            self._emit(INCIDENTS_EVENT, department_id, {"rows": list(rows.values()), **figures.get(department_id, {})})
        for department_id, rows in units.items():
            self._emit(UNITS_EVENT, department_id, {"units": list(rows.values()), **figures.get(department_id, {})})
        for department_id in cameras:
            self._emit(CAMERAS_EVENT, department_id, figures.get(department_id, {}))
        if self.latency is not None and changes:
            now = datetime.now(timezone.utc)
            for change in changes:
                self.latency.observe(max(0.0, (now - datetime.fromisoformat(change.at)).total_seconds()))

    def _count(self, department_ids: set[int]) -> dict[int, dict[str, Any]]:
        """{department: {"counts": figures}}; empty when counting fails (the rows still go).

        The walls write their chips' words themselves, in their own languages (a push is the same for all).
        """
        if self.figures is None or not department_ids:
            return {}
        try:
            counted = self.figures(department_ids)
        except Exception:  # noqa: BLE001 - a failed count must not hold back the committed rows
            logger.exception("counting the figures of departments %s failed", sorted(department_ids))
            return {}
        return {d: {"counts": f} for d, f in counted.items()}

    def _emit(self, event: str, department_id: int, body: dict[str, Any]) -> None:
        try:
            self.socketio.emit(event, {"department_id": department_id, **body}, to=room(department_id))
        except Exception:  # noqa: BLE001 - one department's failed push must not stop the others'
            logger.exception("pushing %s to department %s failed", event, department_id)


def init_app(app: Flask, socketio: SocketIO) -> None:
    """Register the connect handler: join the requested department's room, if in scope."""

    @socketio.on("disconnect")
    def on_disconnect(*_reason: Any) -> None:
        # Only a connection the handler below accepted ever disconnects.
        current_app.extensions["kuzet"].metrics.sockets.dec()

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
        shown = wall_departments(db(), current_user.user, department_id) if department_id is not None else set()
        if not shown:
            logger.warning("socket join refused: %s asked for department %s", current_user.user.username, department_id)
            return False
        for each in shown:  # a city wall hears every department of the city in the user's scope
            join_room(room(each))
        current_app.extensions["kuzet"].metrics.sockets.inc()
        login = session.get("sid")
        if isinstance(login, str):
            add_socket(db(), login, request.sid)  # type: ignore[attr-defined]
            db().commit()
        return True
