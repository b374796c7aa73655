"""REST API v1: ingest for operators, read and transitions for integrations."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import redis
import sqlalchemy as sa
import sqlalchemy.orm as so

from flask import Blueprint, Flask, Response, request
from werkzeug.exceptions import HTTPException

from dashboard.context import db
from dashboard.http import INFLATED_CAP, REFUSED, REFUSED_BODY, WIRE_BODY
from services.bus import BusUnavailable
from dashboard.api.problems import Problem, problem_response
from services.errors import Refused
from services.i18n import _
from services.i18n.terms import term
from services.store import deadletters

if TYPE_CHECKING:
    from services.access.permissions import Page
    from services.store.models import User

logger = logging.getLogger(__name__)

api = Blueprint("api", __name__, url_prefix="/api/v1")


@api.before_request
def _refused_body() -> None:
    # Refused at the WSGI level (too large, bad gzip, unknown encoding): keep what was sent for the
    # operator who sent it, then answer with the problem. Without a known key nothing is kept:
    # otherwise anyone could fill the store.
    refused = request.environ.get(REFUSED)
    if refused is None:
        return
    from dashboard.api.events import keyed_operator

    problem = Problem(*refused)
    try:
        operator, _key = keyed_operator()  # the body is not whole, so its signature cannot be checked
    except Problem as unknown:
        if unknown.status == 429:
            raise  # over its rate: nothing more is stored for this key
        raise problem from None
    endpoint = request.path.removeprefix(api.url_prefix or "").strip("/")[:100]  # "ingest/dahua": replay needs it
    deadletters.keep(db(), operator.id, endpoint, problem.summary, request.environ[REFUSED_BODY])
    db().commit()
    raise problem


@api.before_request
def _inflated_cap() -> None:
    # A gzip body was checked against the wire cap already; inflated, it may use the larger cap.
    cap = request.environ.get(INFLATED_CAP)
    if cap is not None:
        request.max_content_length = cap


def wire_body() -> bytes:
    """The request body as the client sent it (compressed, for gzip), which is what it signed."""
    return request.environ.get(WIRE_BODY) or request.get_data(cache=True)


@api.errorhandler(BusUnavailable)
def _bus_unavailable(exc: BusUnavailable) -> Response:
    logger.error("event stream unavailable: %s", exc)
    return problem_response(Problem(503, "unavailable", _("Event stream unavailable"),
                                    _("Nothing of this request was taken; send it again shortly.")), {"Retry-After": "5"})


@api.errorhandler(redis.RedisError)
def _redis_unavailable(exc: redis.RedisError) -> Response:
    # Rate limits, last-seen times and the stream all live in Redis in production: none of it is the
    # client's fault, and nothing was taken.
    logger.error("Redis unavailable: %s", exc)
    db().rollback()
    return problem_response(Problem(503, "unavailable", _("Service unavailable"),
                                    _("The centre's queue is unreachable; nothing of this request was taken; "
                                      "send it again shortly.")), {"Retry-After": "5"})


@api.errorhandler(sa.exc.IntegrityError)
def _conflicts_with_the_record(exc: sa.exc.IntegrityError) -> Response:
    # A check a service missed (a reference to nothing, a second row where one may be): the request
    # is refused, not the server broken.
    logger.warning("refused by the database's constraints: %s", exc.orig)
    db().rollback()
    return problem_response(Problem(409, "conflict", _("Conflicts with the record"),
                                    _("The request refers to something that does not exist or already does.")))


@api.errorhandler(sa.exc.OperationalError)
@api.errorhandler(sa.exc.InterfaceError)
def _store_unavailable(exc: Exception) -> Response:
    logger.error("database unavailable: %s", exc)
    try:
        db().rollback()
    except sa.exc.SQLAlchemyError:
        pass  # the connection is gone: nothing to roll back
    return problem_response(Problem(503, "unavailable", _("Service unavailable"),
                                    _("The centre's database is unreachable; nothing of this request was taken; "
                                      "send it again shortly.")), {"Retry-After": "5"})


@contextmanager
def ingest_session() -> Iterator[so.Session]:
    """The request's session around an ingest call.

    Committed when the call answers, with a refusal too (dead letters, the key's last use); rolled back
    on anything else, so that no event id stays reserved for events that never reached the stream.
    """
    session = db()
    try:
        yield session
    except (Problem, Refused):
        session.commit()
        raise
    except BaseException:
        session.rollback()
        raise
    session.commit()


@api.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    slug = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found",
            405: "method-not-allowed", 413: "payload-too-large", 415: "unsupported-media-type",
            429: "rate-limited"}.get(exc.code or 500, "http-error")
    return problem_response(Problem(exc.code or 500, slug, exc.name, exc.description or exc.name))


@api.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response:
    logger.exception("unexpected error in API")
    return problem_response(Problem(500, "internal", _("Internal error"),
                                    _("The centre could not process this request; it has been logged.")))


def init_app(app: Flask) -> None:
    """Unknown paths and methods under /api/ answer problem+json too (no route of the blueprint matched them)."""
    from werkzeug.exceptions import MethodNotAllowed, NotFound as NoSuchRoute

    def outside_routes(exc: HTTPException) -> Any:
        if request.path.startswith("/api/"):
            return _http_error(exc)
        return exc

    app.register_error_handler(NoSuchRoute, outside_routes)
    app.register_error_handler(MethodNotAllowed, outside_routes)


def person(page: "Page | None" = None) -> "User":
    """The person calling (session cookie or bearer token), or a 401 problem; 403 outside ``page`` (the duty room's).

    An operator's login reaches only its portal's routes, which name ``Page.OPERATORS``.
    """
    from dashboard.auth import current_person
    from services.access.permissions import Page, may_open

    user = current_person()
    if user is None:
        raise Problem(401, "unauthorized", _("Login required"),
                      _("Send a session cookie or Authorization: Bearer <token from /api/v1/auth/token>."))
    if not may_open(user.role, page or Page.DUTY_ROOM):
        raise Problem(403, "forbidden", _("Not for this login"),
                      _("The role “%(role)s” may not use this route.", role=term("role", user.role)))
    return user


def json_object(body: Any) -> dict[str, Any]:
    """Require a JSON object body, or raise a problem."""
    if not isinstance(body, dict):
        raise Problem(400, "malformed-body", _("Body must be a JSON object"), _("Send a JSON object."))
    return body


from dashboard.api import cameras, events, heartbeats, incidents, native, replay, schema, settlement, stats, tokens, views, work  # noqa: E402,F401  (routes register on import)

from dashboard.api import problems  # noqa: E402
problems.register(api)
