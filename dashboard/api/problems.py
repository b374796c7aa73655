"""RFC 9457 problem documents: the one place HTTP statuses and headers of the API's refusals are decided.

Services raise domain refusals (``services.errors``); routes raise ``Problem`` only for what is HTTP's
own business (a missing key, an unknown route parameter, a rate limit with its Retry-After).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, jsonify

from dashboard.http import PROBLEM_BASE
from services.errors import Conflict, Forbidden, IllegalTransition, Invalid, NotFound, Refused, Rejected, Unavailable
from services.i18n import N_, _


@dataclass
class Problem(Exception):
    """A request-level failure, rendered as application/problem+json."""

    status: int
    slug: str
    title: str
    detail: str
    errors: list[dict[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def type(self) -> str:
        """The problem's type URI; its last segment is the stable machine code."""
        return PROBLEM_BASE + self.slug

    @property
    def summary(self) -> str:
        """Title and detail on one line, as the dead-letter store gives it."""
        return f"{self.title}: {self.detail}"

    def as_dict(self) -> dict[str, Any]:
        """The problem document."""
        doc: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status, "detail": self.detail}
        if self.errors:
            doc["errors"] = self.errors
        return doc


# (status, title) per kind of refusal; the machine code in the type URI is the refusal's own code. Titles and
# details are in the language of the request (Accept-Language); the type URI, status and pointers never change.
STATUSES: dict[type[Refused], tuple[int, str]] = {
    Forbidden: (403, N_("Not allowed")),
    NotFound: (404, N_("Not found")),
    Invalid: (422, N_("Invalid input")),
    Conflict: (409, N_("Changed by someone else")),
    IllegalTransition: (409, N_("Transition refused")),
    Unavailable: (502, N_("The operator's server did not answer")),
}
REFUSED = N_("Refused")
# A submission refused as a whole: its status follows from why.
REJECTED_STATUSES: dict[str, int] = {
    "malformed-body": 400, "too-deep": 400, "too-many-keys": 400,
    "validation": 422, "batch-too-large": 413, "forbidden-camera": 403,
}


def status_of(refused: Refused) -> tuple[int, str]:
    """HTTP status and title for a refusal (its most specific class wins)."""
    if isinstance(refused, Rejected):
        return REJECTED_STATUSES.get(refused.code, 400), refused.title
    for kind in type(refused).__mro__:
        if kind in STATUSES:
            status, title = STATUSES[kind]  # type: ignore[index]
            return status, _(title)
    return 409, _(REFUSED)


def from_refused(refused: Refused) -> Problem:
    """The problem document of a domain refusal."""
    status, title = status_of(refused)
    return Problem(status, refused.code, title, refused.message, refused.errors)


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> Response:
    """An RFC 9457 application/problem+json response."""
    response = jsonify(problem.as_dict())
    response.status_code = problem.status
    response.mimetype = "application/problem+json"
    for name, value in {**problem.headers, **(headers or {})}.items():
        response.headers[name] = value
    return response


def register(blueprint: Blueprint) -> None:
    """Render every Problem and every domain refusal raised under ``blueprint`` as a problem document."""

    @blueprint.errorhandler(Problem)
    def _problem(problem: Problem) -> Response:
        return problem_response(problem)

    @blueprint.errorhandler(Refused)
    def _refused(refused: Refused) -> Response:
        return problem_response(from_refused(refused))
