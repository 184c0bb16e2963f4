from django.urls import path
from rest_framework.routers import SimpleRouter

from notifications.api import views

router = SimpleRouter()
router.register("notifications", views.NotificationViewSet, basename="notification")

urlpatterns = [
    # Before the router so "preferences" is never taken for a notification id.
    path(
        "notifications/preferences/",
        views.NotificationPreferenceView.as_view(),
        name="notification-preferences",
    ),
    *router.urls,
]
