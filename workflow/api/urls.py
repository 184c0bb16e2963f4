from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("applications", views.ApplicationViewSet, basename="application")
router.register("review-tracks", views.ReviewTrackViewSet, basename="review-track")

urlpatterns = router.urls
