"""Fines in from the fines system, statements out to admins and to each operator (its own only)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from dashboard.api import api, person
from dashboard.api.problems import Problem
from services.i18n import _
from dashboard.context import db
from services.access.permissions import Action, Page, require
from services.access.service_keys import authenticate_service_key
from services.settlement import statements
from services.settlement.calendar import parse_month
from services.settlement.export import FORMATS, render
from services.settlement.fines import COLUMNS, ImportRejected, import_fines, read_csv
from services.store.models import Operator, User

MEDIA = {"json": "application/json", "csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@api.post("/fines:import")
def post_fines_import() -> Response:
    """The fines system's rows (CSV, or JSON {"rows": [...]}) with its own key: all applied, or none (422)."""
    header = request.headers.get("Authorization", "")
    key = authenticate_service_key(db(), header[7:].strip(), "fines") if header.startswith("Bearer ") else None
    if key is None:
        raise Problem(401, "unauthorized", _("Fines system key required"),
                      _("Send Authorization: Bearer kzs_… (issued by `kuzet fines key`)."))
    raw = request.get_data(cache=True)
    if request.mimetype == "application/json":
        body = request.get_json(silent=True)
        rows = body.get("rows") if isinstance(body, dict) else None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise Problem(400, "validation", _("Rows required"),
                          _("Send %(example)s or text/csv.",
                            example=f"{{\"rows\": [{{{', '.join(repr(c) for c in COLUMNS)}}}, …]}}"))
        numbered: Any = ((n, {k: ("" if v is None else str(v)) for k, v in row.items()}) for n, row in
                         enumerate(rows, start=1))
    else:
        try:
            numbered = read_csv(raw.decode("utf-8"))  # a generator: a bad header is rejected (and kept) below
        except UnicodeDecodeError:
            raise Problem(400, "validation", _("Not UTF-8"), _("Send the CSV as UTF-8 text.")) from None
    source = f"api:{key.prefix}"
    try:
        result = import_fines(db(), source, "api", numbered, filename=request.headers.get("X-Filename", "")[:200],
                              raw=raw)
    except ImportRejected as rejected:
        raise Problem(422, "fines-rejected", _("Fines rejected, nothing applied"), str(rejected).split(":")[0],
                      errors=[{"line": str(e.line), "column": e.column, "reason": e.reason}
                              for e in rejected.errors]) from None
    db().commit()
    return jsonify({"import_id": result.import_id, "rows": result.rows, "created": result.created,
                    "updated": result.updated, "unchanged": result.unchanged,
                    "ledger_entries": result.ledger_entries})


def _operator_for(user: User, operator_id: int) -> Operator:
    """The operator whose statements this person may read: any for admins, its own for an operator's login."""
    operator = db().get(Operator, operator_id)
    if operator is None or not statements.may_read(user, operator.id):
        raise Problem(404, "not-found", _("No such operator"),
                      _("There is no operator #%(id)s that you may see.", id=operator_id))
    return operator


@api.get("/operators/<int:operator_id>/statements/<month>")
def get_statement(operator_id: int, month: str) -> Response:
    """The month's statement (the last issued, else the draft) as json, csv or xlsx (?format=)."""
    user = person(Page.OPERATORS)
    operator = _operator_for(user, operator_id)
    fmt = request.args.get("format", "json")
    if fmt not in FORMATS:
        raise Problem(400, "validation", _("Unknown format"),
                      _("The format is one of: %(formats)s.", formats=", ".join(FORMATS)))
    try:
        content = statements.latest(db(), operator, parse_month(month))
    except ValueError as exc:
        raise Problem(400, "validation", _("Bad month"), str(exc)) from None
    db().commit()  # a draft posts what is due before it is read
    answer = Response(render(content, fmt), mimetype=MEDIA[fmt].split(";")[0])
    answer.headers["Content-Type"] = MEDIA[fmt]
    if fmt != "json":
        answer.headers["Content-Disposition"] = (f"attachment; filename=statement-{operator.id}-{month}-"
                                                 f"v{content['version']}.{fmt}")
    return answer


@api.post("/operators/<int:operator_id>/statements/<month>/issue")
def post_issue_statement(operator_id: int, month: str) -> Response:
    """Issue the month's statement (admins): frozen, hashed, journaled; again later for a correcting one."""
    user = person()
    require(user, Action.ISSUE_STATEMENT)
    operator = _operator_for(user, operator_id)
    try:
        statement = statements.issue(db(), user.username, operator, parse_month(month))
    except ValueError as exc:
        raise Problem(409, "statement-refused", _("Statement not issued"), str(exc)) from None
    db().commit()
    return jsonify({"operator_id": operator.id, "month": statement.month, "version": statement.version,
                    "sha256": statement.sha256, "total_tiyn": statement.total_tiyn})
