"""Domain errors raised under a page view and not handled by it.

The API maps domain errors in its own exception handler (``access.api.errors``); DRF catches
them before they reach here. A page view handles ``ValidationFailed`` itself (the errors go
against the form's inputs); what is left is mapped the same way on every page:

- ``NotAllowed`` → the 403 page, with the service's reason;
- ``InvalidTransition`` / ``ConcurrentChange`` (409) → back to the page the person came from,
  with the reason in an error banner (for an HTMX request, the browser is told to go there);
- ``ValidationFailed`` a view did not expect → the same, with each message in the banner.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from core.errors import ConcurrentChange, InvalidTransition, NotAllowed, ValidationFailed


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
            messages.error(request, exception.detail)
            if isinstance(exception, ValidationFailed):
                for field_messages in exception.fields.values():
                    for message in field_messages:
                        messages.error(request, message)
            url = back_url(request)
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(url)
            return HttpResponseRedirect(url)
        return None
