"""Responses for the two ways a request is refused before any view runs.

- ``lockout_response``: django-axes calls it (``AXES_LOCKOUT_CALLABLE``) once a login has failed
  too often from one address for one username: 429 in the API's error shape under ``/api/``,
  the sign-in page's lockout message elsewhere.
- ``DatabaseUnavailableMiddleware``: PostgreSQL is down or restarting. A transaction the
  connection dies in is rolled back by PostgreSQL itself (nothing half-written); the caller
  gets a clean 503 with ``Retry-After`` rather than a 500 and a traceback, and the next request
  after the database is back reconnects by itself (``CONN_HEALTH_CHECKS``). The 503 says
  "nothing was changed" only when no write of the request can have been committed
  (``core.outcome``); otherwise ``outcome_unknown``: check, or retry with the same
  ``Idempotency-Key``.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse

from core import outcome
from core.outcome import OutcomeUnknown, WriteTracker

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def lockout_response(request, original_response=None, credentials=None):
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    detail = (
        f"Too many failed sign-in attempts. Try again in {minutes} minutes, "
        "or ask the service desk to unlock your account."
    )
    response: HttpResponse
    if _is_api(request):
        response = JsonResponse({"code": "locked_out", "detail": detail, "fields": {}}, status=429)
    else:
        response = TemplateResponse(
            request,
            "access/locked_out.html",
            {"title": "Sign-in locked", "detail": detail},
            status=429,
        ).render()
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


class DatabaseUnavailableMiddleware:
    """Map a lost database connection to 503 (API error shape or the 503 page)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Watch this request's writes, so the 503 can say truthfully whether anything changed.
        tracker = WriteTracker()
        token = outcome.tracking(tracker)
        try:
            with connections["default"].execute_wrapper(tracker):
                return self.get_response(request)
        finally:
            outcome.stop_tracking(token)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        tracker = outcome.current()
        unknown = isinstance(exception, OutcomeUnknown) or (
            tracker is not None and tracker.maybe_changed()
        )
        logger.warning(
            "Database unavailable for %s %s (%s): %s",
            request.method,
            request.path,
            "outcome unknown" if unknown else "nothing changed",
            exception,
        )
        # Drop the broken connection now so the next request opens a fresh one.
        for connection in connections.all(initialized_only=True):
            if not connection.is_usable():
                connection.close()
        if unknown:
            code = "outcome_unknown"
            detail = (
                "The service lost its database connection while saving your change: it may or "
                "may not have been saved. Check before trying again, or retry with the same "
                "Idempotency-Key header, which never makes a change twice."
            )
        else:
            code = "unavailable"
            detail = "The service is briefly unavailable. Nothing was changed; try again shortly."
        response: HttpResponse
        if _is_api(request):
            response = JsonResponse({"code": code, "detail": detail, "fields": {}})
            response.status_code = 503
        else:
            # Rendered without the request: the page must not need the database (no user, no
            # unread count from the context processors).
            response = HttpResponse(render_to_string("503.html", {"detail": detail}), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
