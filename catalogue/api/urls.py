from rest_framework.routers import SimpleRouter

from catalogue.api import views

router = SimpleRouter()
router.register("datasets", views.DatasetViewSet, basename="dataset")
router.register("variables", views.VariableViewSet, basename="variable")
router.register(
    "pre-approved-categories", views.PreApprovedCategoryViewSet, basename="pre-approved-category"
)

urlpatterns = router.urls
