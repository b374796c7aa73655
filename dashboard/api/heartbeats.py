"""POST /api/v1/heartbeats: the cheap path for keep-alives (services.intake.heartbeats does the work)."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Response, jsonify, request

from dashboard.api import api, ingest_session
from dashboard.api.events import current_operator
from dashboard.context import kuzet
from services.intake import heartbeats


@api.post("/heartbeats")
def post_heartbeats() -> Response:
    """`{"heartbeats": [{camera_id, at?, status?}]}` or a bare list; status other than ok becomes a system event."""
    operator = current_operator()
    with ingest_session() as session:
        answer = heartbeats.take(session, kuzet().ingest, operator.id, request.get_data(cache=True),
                                 datetime.now(timezone.utc))
    response = jsonify(answer)
    response.status_code = 202
    return response
