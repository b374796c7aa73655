"""POST /api/v1/ingest/{adapter}: vendors' native payloads, translated into v1 records."""

from __future__ import annotations

from flask import Response, jsonify, request

from dashboard.api import api, ingest_session
from dashboard.api.events import current_operator
from dashboard.context import kuzet
from services.intake.adapters import Context, adapter_names
from dashboard.api.problems import Problem
from services.i18n import _


@api.post("/ingest/<adapter>")
def post_native(adapter: str) -> Response:
    """Translate and ingest; 202 with per-event results, what was ignored and what could not be read."""
    if adapter not in adapter_names():
        raise Problem(404, "unknown-adapter", _("No such adapter"),
                      _("The adapters are: %(adapters)s.", adapters=", ".join(adapter_names())))
    operator = current_operator()
    params = {k: v[:128] for k, v in request.args.items() if k in ("device", "topic", "camera")}
    context = Context(content_type=request.headers.get("Content-Type", ""), params=params)
    with ingest_session() as session:
        answer = kuzet().ingest.submit_native(session, operator.id, adapter, request.get_data(cache=True), context)
    response = jsonify(answer)
    response.status_code = 202
    return response
