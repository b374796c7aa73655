"""File exports for people (session-authenticated, scoped): coverage candidates, camera lists, the shift report."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, redirect, request
from flask_login import current_user

from dashboard.auth import logged_in
from dashboard.callbacks.coverage import radii
from dashboard.context import db
from services.access.permissions import Page
from services.store import audit
from services.geo.coverage import cameras_csv, coverage
from services.access.scope import as_id, visible_departments
from dashboard.api.problems import status_of
from services.errors import Refused
from services.i18n import localized
from services.store.models import Department
from services.supervision import report, stats
from services.supervision.shifts import ALMATY

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


stats_bp = Blueprint("stats_exports", __name__, url_prefix="/stats/export")


def _report_inputs() -> tuple[Any, dict[int, str]]:
    """The statistics the page showed (same query), and the department names; 403/404/422 as plain text."""
    user = logged_in()
    if user is None:
        abort(401)
    args = request.args
    try:
        figures = stats.for_request(db(), user, args.get("department"), args.get("period"), args.get("at"),
                                    args.get("from"), args.get("to"))
    except Refused as refused:
        abort(Response(refused.message + "\n", status=status_of(refused)[0], mimetype="text/plain"))
    audit.record(db(), user.username, "export.stats", request.path, args=dict(args))
    db().commit()
    names = {i: localized(ru, kk or "", en or "") for i, ru, kk, en in db().execute(
        sa.select(Department.id, Department.name_ru, Department.name_kk, Department.name_en)
        .where(Department.id.in_(figures.department_ids))).all()}
    return figures, names


def _filename(figures: Any, ext: str) -> str:
    return f"kuzet-shift-{figures.period.start.astimezone(ALMATY):%Y%m%d-%H%M}.{ext}"


@stats_bp.get("/summary.csv")
def stats_summary_csv() -> Response:
    """Every figure of the page, section by section."""
    figures, names = _report_inputs()
    return Response(report.to_csv(report.summary_rows(figures, names)), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={_filename(figures, 'csv')}"})


@stats_bp.get("/incidents.csv")
def stats_incidents_csv() -> Response:
    """One row per incident of the period with every interval in seconds."""
    figures, _names = _report_inputs()
    rows = stats.incident_rows(db(), figures.department_ids, figures.period)
    return Response(report.to_csv(report.incident_table(rows)), mimetype="text/csv",
                    headers={"Content-Disposition":
                             f"attachment; filename={_filename(figures, 'csv').replace('shift', 'incidents')}"})


@stats_bp.get("/report.xlsx")
def stats_xlsx() -> Response:
    """The summary sheet and the incidents sheet in one workbook."""
    figures, names = _report_inputs()
    rows = stats.incident_rows(db(), figures.department_ids, figures.period)
    body = report.to_xlsx(report.summary_rows(figures, names), report.incident_table(rows))
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename={_filename(figures, 'xlsx')}"})


aliases_bp = Blueprint("stats_aliases", __name__)


@aliases_bp.get("/shift")
@aliases_bp.get("/reports")
def stats_alias() -> Response:
    """Where a supervisor looks for the shift report: the statistics page."""
    return redirect("/stats")
