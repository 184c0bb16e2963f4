from rest_framework.routers import SimpleRouter

from . import panels, views

router = SimpleRouter()
router.register("applications", views.ApplicationViewSet, basename="application")
router.register("review-tracks", panels.ReviewTrackViewSet, basename="review-track")
router.register("panels", panels.PanelViewSet, basename="panel")

urlpatterns = router.urls
