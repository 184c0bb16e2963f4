from django.urls import path
from rest_framework.routers import SimpleRouter

from . import metrics, views

router = SimpleRouter()
router.register("applications", views.ApplicationViewSet, basename="application")
router.register("review-tracks", views.ReviewTrackViewSet, basename="review-track")
router.register("stage-targets", metrics.StageTargetViewSet, basename="stage-target")

urlpatterns = [
    path(
        "applications/<int:pk>/forecast/",
        metrics.ApplicationForecastView.as_view(),
        name="application-forecast",
    ),
    path(
        "applications/<int:pk>/clocks/",
        metrics.ApplicationClocksView.as_view(),
        name="application-clocks",
    ),
    path("metrics/turnaround/", metrics.TurnaroundMetricsView.as_view(), name="metrics-turnaround"),
    path(
        "metrics/turnaround.csv",
        metrics.TurnaroundMetricsCSVView.as_view(),
        {"format": "csv"},
        name="metrics-turnaround-csv",
    ),
    *router.urls,
]
