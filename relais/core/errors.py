"""Errors a service raises; pages and the API turn them into French messages and 4xx codes."""

from __future__ import annotations


class RelaisError(Exception):
    """Base of every expected, user-facing error."""

    status = 400

    def __init__(self, detail: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}


class ValidationFailed(RelaisError):
    """Invalid field values: nothing was saved (HTTP 422)."""

    status = 422

    @classmethod
    def on(cls, field: str, message: str) -> ValidationFailed:
        return cls(message, {field: [message]})


class PermissionDenied(RelaisError):
    """A known object, but the user lacks the right (HTTP 403)."""

    status = 403

    def __init__(self, detail: str = "Vous n'avez pas le droit de faire cela.") -> None:
        super().__init__(detail)


class NotFound(RelaisError):
    """Unknown, or another permanence's: the two are indistinguishable (HTTP 404)."""

    status = 404

    def __init__(self, detail: str = "Introuvable.") -> None:
        super().__init__(detail)


class Conflict(RelaisError):
    status = 409
