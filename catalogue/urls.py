from django.urls import path

from catalogue import views

app_name = "catalogue"

urlpatterns = [
    path("catalogue/", views.dataset_list, name="dataset-list"),
    path("catalogue/<slug:slug>/", views.dataset_detail, name="dataset-detail"),
    path("owner/", views.owner_datasets, name="owner-datasets"),
    path("owner/datasets/<slug:slug>/categories/new/", views.category_new, name="category-new"),
    path("owner/categories/<int:pk>/", views.category_detail, name="category-detail"),
    path("owner/categories/<int:pk>/revise/", views.category_revise, name="category-revise"),
    path("owner/categories/<int:pk>/retire/", views.category_retire, name="category-retire"),
]
