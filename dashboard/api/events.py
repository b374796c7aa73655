"""Operator ingest: POST /api/v1/events."""

from __future__ import annotations

import msgspec
from flask import Response, request

from dashboard.api import api, ingest_session, wire_body
from dashboard.context import db, kuzet
from dashboard.api.problems import Problem
from services.i18n import _
from services.store.models import Operator
from services.access.operators import authenticate_key, check_signature
from services.intake.ratelimit import retry_after


def keyed_operator() -> tuple[Operator, str]:
    """The operator whose API key this request carries, and the key, within its rate; else 401 or 429."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise Problem(401, "unauthorized", _("API key required"),
                      _("Send Authorization: Bearer <operator API key>."))
    key = header[7:].strip()
    operator = authenticate_key(db(), key)
    if operator is None:
        raise Problem(401, "unauthorized", _("Unknown API key"), _("The API key is unknown or revoked."))
    wait = kuzet().limiter.hit(key.split("_")[1] if key.count("_") >= 2 else key[:16])
    if wait:
        raise Problem(429, "rate-limited", _("Too many requests"),
                      _("At most %(n)s requests per second per API key.", n=kuzet().settings.rate_limit_per_s),
                      headers={"Retry-After": retry_after(wait)})
    return operator, key


def current_operator() -> Operator:
    """The operator whose API key signs this request, or a 401/429 problem."""
    operator, key = keyed_operator()
    if operator.signing_required:
        problem = check_signature(key, request.headers.get("X-Kuzet-Timestamp"),
                                  request.headers.get("X-Kuzet-Signature"), wire_body())
        if problem is not None:
            raise Problem(401, "bad-signature", _("Request signature refused"), problem)
    return operator


@api.post("/events")
def post_events() -> Response:
    """Accept one event or a batch; answers 202 with a result per item."""
    operator = current_operator()
    with ingest_session() as session:
        results = kuzet().ingest.submit(session, operator.id, request.get_data(cache=True))
    kuzet().metrics.count_events(operator.name, results)
    counts = {s: sum(1 for r in results if r.status == s) for s in ("accepted", "duplicate", "rejected")}
    # A 1,000-item answer is encoded with msgspec: Flask's json with sorted keys costs several times more.
    return Response(msgspec.json.encode({"results": [r.as_dict() for r in results], **counts}), status=202,
                    mimetype="application/json")
