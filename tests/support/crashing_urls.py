"""The project's URLs plus a view under /api/ and a page that fail with an unexpected error, to
see what a client gets for a bug (tests/api/test_client_input.py). Django reads the error
handlers from the root URLconf, so they are the project's."""

from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny

from config.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


@api_view(["GET"])
@permission_classes([AllowAny])
def api_crash(request):
    raise RuntimeError("an unexpected bug")


def page_crash(request):
    raise RuntimeError("an unexpected bug")


urlpatterns = [
    path("api/v1/crash/", api_crash),
    path("crash/", page_crash),
    *urlpatterns,
]
