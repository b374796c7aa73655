"""File exports for people (session-authenticated, scoped): coverage candidates and camera lists."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, request
from flask_login import current_user

from dashboard.auth import logged_in
from dashboard.callbacks.coverage import radii
from dashboard.context import db
from services.access.permissions import Page
from services.store import audit
from services.geo.coverage import cameras_csv, coverage
from services.access.scope import as_id, visible_departments

logger = logging.getLogger(__name__)

bp = Blueprint("exports", __name__, url_prefix="/coverage/export")


def _scope() -> set[int]:
    if logged_in(Page.COVERAGE) is None:
        abort(403)
    audit.record(db(), current_user.user.username, "export.coverage", request.path, args=dict(request.args))
    db().commit()
    return visible_departments(db(), current_user.user)


def _operator() -> int | None:
    return as_id(request.args.get("operator", ""))


@bp.get("/candidates.csv")
def candidates_csv() -> Response:
    """Blind spots with incidents, ranked, as CSV."""
    report = coverage(db(), _scope(), operator_id=_operator(), radii=radii())
    logger.info("export candidates.csv by %s", current_user.user.username)
    return Response(report.candidates_csv(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=kuzet-candidate-sites.csv"})


@bp.get("/candidates.geojson")
def candidates_geojson() -> Response:
    """Blind spots with incidents, ranked, as GeoJSON hexagons."""
    report = coverage(db(), _scope(), operator_id=_operator(), radii=radii())
    logger.info("export candidates.geojson by %s", current_user.user.username)
    return Response(report.candidates_geojson(), mimetype="application/geo+json",
                    headers={"Content-Disposition": "attachment; filename=kuzet-candidate-sites.geojson"})


@bp.get("/cameras.csv")
def cameras() -> Response:
    """The camera list of the chief's departments."""
    logger.info("export cameras.csv by %s", current_user.user.username)
    return Response(cameras_csv(db(), _scope(), _operator()), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=kuzet-cameras.csv"})
