"""Domain refusals from services as RFC 9457 problems: the one place their HTTP statuses are decided."""

from __future__ import annotations

from flask import Response

from services.errors import Conflict, Forbidden, IllegalTransition, Invalid, NotFound, Refused

# (status, title) per refusal; the machine code in the problem's type URI is the refusal's own code.
STATUSES: dict[type[Refused], tuple[int, str]] = {
    Forbidden: (403, "Not allowed"),
    NotFound: (404, "Not found"),
    Invalid: (422, "Invalid input"),
    Conflict: (409, "Changed by someone else"),
    IllegalTransition: (409, "Transition refused"),
}


def status_of(refused: Refused) -> tuple[int, str]:
    """HTTP status and title for a refusal (its most specific class wins)."""
    for kind in type(refused).__mro__:
        if kind in STATUSES:
            return STATUSES[kind]  # type: ignore[index]
    return 409, "Refused"


def register(blueprint: object) -> None:
    """Render every Refused raised under ``blueprint`` as a problem document."""
    from dashboard.api import problem_response
    from services.intake.ingest import Problem

    @blueprint.errorhandler(Refused)  # type: ignore[attr-defined]
    def _refused(refused: Refused) -> Response:
        status, title = status_of(refused)
        return problem_response(Problem(status, refused.code, title, refused.message, refused.errors))
