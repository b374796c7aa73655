"""Domain refusals: what services raise and every door (REST, Dash, CLI) translates.

Each carries a stable machine ``code`` and a message for people; the web layer maps codes to HTTP
statuses, the pages show the message. No HTTP status lives in ``services/``.
"""

from __future__ import annotations


class Refused(Exception):
    """An action was not taken; ``str(exc)`` says why, ``code`` says what kind of refusal it is."""

    code = "refused"

    def __init__(self, message: str, *, errors: list[dict[str, str]] | None = None, **facts: object) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []  # [{"pointer": "/field", "detail": ...}] for bad input
        self.facts = facts


class Forbidden(Refused):
    """The actor's role may not take this action."""

    code = "forbidden"


class NotFound(Refused, LookupError):
    """The target does not exist or lies outside the actor's scope (the two look the same)."""

    code = "not-found"


class Invalid(Refused, ValueError):
    """The input is malformed or out of range (a ValueError too, for callers that validate in bulk)."""

    code = "validation"


class IllegalTransition(Refused):
    """The target's state does not allow the action now."""

    code = "illegal-transition"


class Conflict(IllegalTransition):
    """Someone else changed the target since the actor looked at it."""

    code = "conflict"


class Rejected(Refused):
    """A submission refused as a whole (its body, its batch or its cameras): nothing of it was taken.

    ``code`` names why (``malformed-body``, ``too-deep``, ``too-many-keys``, ``validation``,
    ``batch-too-large``, ``forbidden-camera``); ``title`` says it in a few words.
    """

    def __init__(self, code: str, title: str, detail: str, *, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(detail, errors=errors)
        self.code = code
        self.title = title

    @property
    def summary(self) -> str:
        """Title and detail on one line, as the dead-letter store and the conformance kit give it."""
        return f"{self.title}: {self.message}"


class Unavailable(Refused):
    """Something outside the centre (an operator's video server) did not answer as it must; nothing changed here."""

    code = "upstream-unavailable"
