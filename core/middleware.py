"""Request plumbing: input refused before any view (``RequestInputMiddleware``: control
characters, oversized bodies), and domain errors a page view did not handle
(``DomainErrorMiddleware``).

The API maps domain errors in its own exception handler (``access.api.errors``); DRF catches
them before they reach here. A page view handles ``ValidationFailed`` itself (the errors go
against the form's inputs); what is left is mapped the same way on every page:

- ``NotAllowed`` → the 403 page, with the service's reason;
- ``InvalidTransition`` / ``ConcurrentChange`` (409) → back to the page the person came from,
  with the reason in an error banner (for an HTMX request, the browser is told to go there);
- ``ValidationFailed`` a view did not expect → the same, with each message in the banner.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from core.api.errors import error_body
from core.errors import ConcurrentChange, InvalidTransition, NotAllowed, ValidationFailed
from core.text import CONTROL_MESSAGE, has_control_characters, has_line_breaks_or_controls


def back_url(request) -> str:
    """Where to send someone whose action could not be taken: the page they came from."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return getattr(request, "back_to", None) or request.path


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, NotAllowed):
            response = TemplateResponse(
                request, "403.html", {"exception": exception.detail}, status=403
            )
            return response.render()
        if isinstance(exception, InvalidTransition | ConcurrentChange | ValidationFailed):
            # Shown on the page it came from as a GOV.UK error summary (components/messages.html):
            # each field's message linking to the input of that name, or the one message.
            fields = exception.fields if isinstance(exception, ValidationFailed) else {}
            if not any(exception.detail in field_messages for field_messages in fields.values()):
                messages.error(request, exception.detail)
            for name, field_messages in fields.items():
                for message in field_messages:
                    messages.error(request, message, extra_tags=f"field-{name}")
            url = back_url(request)
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(url)
            return HttpResponseRedirect(url)
        return None


class RequestInputMiddleware:
    """Refuse, before any view, input no view could handle: 400 for a control character in the
    path, a query parameter or a page's form fields; 413 for a body over
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (file parts of a multipart body excepted, as Django counts
    them). Under ``/api/`` in the error shape, elsewhere as a plain page (rendered without the
    request: no session or user exists yet at this point).

    The rules are ``core.text``'s: a path holds no control character at all; query and form
    values may hold tabs and line breaks but no other control character. API bodies are checked
    by the API's parsers (``core.api.parsers``), which can name the field.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refused = self._refuse(request)
        if refused is not None:
            return refused
        return self.get_response(request)

    def process_exception(self, request, exception):
        # A view that read an oversized body (DRF reading JSON): 413 here rather than Django's
        # 400 (which is HTML, and the debug page when DEBUG is on).
        if isinstance(exception, RequestDataTooBig):
            return too_large(request)
        return None

    def _refuse(self, request):
        if has_line_breaks_or_controls(request.path):
            return invalid_characters(request, "the web address")
        for key, values in request.GET.lists():
            if has_control_characters(key) or any(has_control_characters(v) for v in values):
                return invalid_characters(request, "the query string", field=key)
        content_type = request.content_type or ""
        if content_type != "multipart/form-data":
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            if limit is not None and length > limit:
                return too_large(request)
        if request.method == "POST" and not is_api(request):
            try:
                fields = request.POST
            except RequestDataTooBig:
                return too_large(request)
            for key, values in fields.lists():
                if has_control_characters(key) or any(has_control_characters(v) for v in values):
                    return invalid_characters(request, "the form", field=key)
        return None


def is_api(request) -> bool:
    return request.path.startswith("/api/")


def error_response(request, status: int, code: str, detail: str, *, title: str = "", fields=None):
    """An error answered before (or instead of) a view: the API's error shape under ``/api/``,
    a plain page elsewhere."""
    if is_api(request):
        return JsonResponse(error_body(code, detail, fields), status=status)
    html = render_to_string("400.html", {"title": title, "detail": detail})
    return HttpResponse(html, status=status)


def invalid_characters(request, where: str, *, field: str | None = None):
    detail = f"There is a control character (such as a NUL byte) in {where}: remove it."
    fields = {field: [CONTROL_MESSAGE]} if field else None
    title = "Sorry, the service could not read that request"
    return error_response(request, 400, "invalid_characters", detail, title=title, fields=fields)


def too_large(request):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    detail = f"The request is too large: send at most {limit // 1024} KB (files apart)."
    return error_response(request, 413, "too_large", detail, title="The request is too large")
