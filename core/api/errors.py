"""One error shape for the whole API: ``{"code", "detail", "fields"}``.

400 invalid input, 401 not logged in, 403 not allowed, 404 not visible, 409 wrong state or a
concurrent change. Domain errors from services and DRF's own exceptions both end up here.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError


def _flatten(detail: Any) -> dict[str, list[str]]:
    """DRF's nested error detail as ``{field: [messages]}``; nested paths joined with dots."""
    out: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                # A nested serializer's or a list's own error belongs to the field itself
                # ("items", as the services name it), not to "items.non_field_errors".
                if key == api_settings.NON_FIELD_ERRORS_KEY and prefix:
                    walk(prefix, sub)
                else:
                    walk(f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(value, list) and value and not all(isinstance(v, str) for v in value):
            for index, sub in enumerate(value):
                if sub:
                    walk(f"{prefix}.{index}" if prefix else str(index), sub)
        elif isinstance(value, list):
            out.setdefault(prefix or "non_field_errors", []).extend(str(v) for v in value)
        else:
            out.setdefault(prefix or "non_field_errors", []).append(str(value))

    walk("", detail)
    return out


class ErrorSerializer(serializers.Serializer):
    """Every error the API answers: a code, a sentence, and the messages per field."""

    code = serializers.CharField(help_text="invalid, not_found, invalid_state, throttled, …")
    detail = serializers.CharField()
    fields = serializers.DictField(  # type: ignore[assignment]  # a field, popped by the metaclass
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field; nested fields as dotted paths (datasets.0.dataset)",
    )

    current_state = serializers.CharField(
        required=False, help_text="409 when the state does not allow it: the state it is in"
    )

    class Meta:
        ref_name = "Error"


def error_body(code: str, detail: str, fields: dict[str, list[str]] | None = None, **extra):
    return {"code": code, "detail": detail, "fields": fields or {}, **extra}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(
            error_body(exc.code, exc.detail, exc.fields, **exc.extra), status=exc.status
        )
    if isinstance(exc, DjangoValidationError):
        fields = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return Response(
            error_body("invalid", "The request has invalid fields.", fields),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(
            "invalid", "The request has invalid fields.", _flatten(exc.detail)
        )
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        response.data = error_body(str(code), str(detail))
    return response
