"""Root URLs: the pages of each app, the API under /api/v1/, its schema and docs, the admin."""

from django.contrib import admin
from django.contrib.auth.views import LogoutView
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from access import views
from core.api.docs import SwaggerUIView
from workflow.provisioning.api import WellKnownJWKSView
from workflow.safes.views import accreditation as accreditation_views
from workflow.turnaround import views as turnaround_views

# Errors outside any view (no URL matched, a bug, an oversized body): the API's error shape
# under /api/, the site's pages elsewhere.
handler400 = "core.handlers.bad_request"
handler403 = "core.handlers.permission_denied"
handler404 = "core.handlers.page_not_found"
handler500 = "core.handlers.server_error"

api_v1 = [
    path("", include("access.api.urls")),
    path("", include("catalogue.api.urls")),
    path("", include("workflow.api_urls")),
    path("", include("notifications.api.urls")),
]

urlpatterns = [
    # The web pages
    path("", views.home, name="home"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    # Identity: sign-in services, registration, your account, organisations' people.
    path("", include("access.identity.urls")),
    path("account/sessions/", views.sessions_page, name="sessions"),
    path("account/sessions/end/", views.end_session_page, name="session-end"),
    path("account/tokens/revoke/", views.revoke_token_page, name="token-revoke"),
    path(
        "account/sign-out-everywhere/", views.sign_out_everywhere_page, name="sign-out-everywhere"
    ),
    path("how-to-get-access/", turnaround_views.how_to_get_access, name="how-to-get-access"),
    path("accreditation/", accreditation_views.my_accreditation, name="accreditation"),
    path(
        "accreditation/apply/",
        accreditation_views.accreditation_apply_page,
        name="accreditation-apply",
    ),
    path("accreditation/decisions/", accreditation_views.officer_queue, name="accreditation-queue"),
    path(
        "accreditation/decisions/<int:pk>/",
        accreditation_views.officer_decide,
        name="accreditation-decide",
    ),
    path("", include("catalogue.urls")),
    path("", include("workflow.urls")),
    path("notifications/", include("notifications.urls")),
    # The API and the admin
    path("admin/", admin.site.urls),
    # The keys that verify GA4GH visas, where verifiers look first (also /api/v1/jwks/).
    path(".well-known/jwks.json", WellKnownJWKSView.as_view(), name="jwks"),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI from static/vendor/ (npm), under the site's own strict policy: no CDN.
    path("api/docs/", SwaggerUIView.as_view(url_name="schema"), name="api-docs"),
]
