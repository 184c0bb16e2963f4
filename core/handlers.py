"""Django's error views (``handler400`` … ``handler500`` in the root URLconf): under ``/api/``
the API's error shape, elsewhere the site's pages.

DRF answers errors its views raise; these answer what happens outside them: a URL no view
matches (404), a bug (500), a ``SuspiciousOperation`` such as too many form fields (400) or a
body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (``RequestDataTooBig``: 413, not Django's 400).
Production runs with ``DEBUG`` off, so these are what a client sees there.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.views import defaults
from django.views.decorators.csrf import requires_csrf_token

from core.api.errors import error_body
from core.middleware import is_api, too_large


def bad_request(request, exception, template_name="400.html"):
    if isinstance(exception, RequestDataTooBig):
        return too_large(request)
    if is_api(request):
        detail = "The request could not be read."
        return JsonResponse(error_body("bad_request", detail), status=400)
    return defaults.bad_request(request, exception, template_name)


def permission_denied(request, exception, template_name="403.html"):
    if is_api(request):
        detail = "You do not have permission to perform this action."
        return JsonResponse(error_body("permission_denied", detail), status=403)
    return defaults.permission_denied(request, exception, template_name)


def page_not_found(request, exception, template_name="404.html"):
    if is_api(request):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return defaults.page_not_found(request, exception, template_name)


@requires_csrf_token
def server_error(request, template_name="500.html"):
    if is_api(request):
        detail = "Sorry, there is a problem with the service. It has been logged; try again later."
        return JsonResponse(error_body("server_error", detail), status=500)
    return defaults.server_error(request, template_name)
