"""Domain errors raised by services and mapped to HTTP in one place (access.api.errors)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "error"
    status = 400

    def __init__(self, detail: str, *, fields: dict[str, list[str]] | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.fields = fields or {}
        self.extra = extra


class ValidationFailed(DomainError):
    """Input that breaks a rule of the domain: 400 with a message per field."""

    code = "invalid"
    status = 400


class NotAllowed(DomainError):
    """The actor may not do this (policy): 403."""

    code = "forbidden"
    status = 403


class InvalidTransition(DomainError):
    """The object is not in a state that allows this: 409 with the current state."""

    code = "invalid_state"
    status = 409


class ConcurrentChange(DomainError):
    """Someone else changed the object first: 409."""

    code = "conflict"
    status = 409
