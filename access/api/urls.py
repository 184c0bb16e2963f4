from django.conf import settings
from django.urls import path
from rest_framework.routers import SimpleRouter

from access.api import views
from access.identity import api as identity
from access.safe_people import api as safe_people

router = SimpleRouter()
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("accreditations", safe_people.AccreditationViewSet, basename="accreditation")
router.register("agreements", safe_people.AgreementViewSet, basename="agreement")
router.register("affiliations", identity.AffiliationViewSet, basename="affiliation")
router.register("access-grants", safe_people.AccessGrantViewSet, basename="access-grant")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("auth/token/", views.TokenLoginView.as_view(), name="token-login"),
    path(
        "auth/sign-out-everywhere/",
        views.SignOutEverywhereView.as_view(),
        name="sign-out-everywhere",
    ),
    path(
        "organisations/<slug:slug>/people/",
        identity.OrganisationPeopleView.as_view(),
        name="organisation-people",
    ),
    *router.urls,
]

# The floor of the benchmarks (scripts/bench.py): off unless TRE_BENCHMARK_FLOOR is set.
if settings.BENCHMARK_FLOOR_ENDPOINT:
    urlpatterns.append(path("bench/floor/", views.BenchmarkFloorView.as_view(), name="bench-floor"))
