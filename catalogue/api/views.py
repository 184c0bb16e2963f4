"""Catalogue API: datasets, their variables, and pre-approved categories of use.

Reading is public (researchers often do not know what data are held). Views only parse input,
call one service and render the result; domain errors are mapped to HTTP by the global handler
(``access.api.errors``).
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from access.api.authentication import signed_in_user
from access.policy import Permission
from catalogue import selectors, services
from catalogue.api.filters import CategoryFilter, DatasetFilter, VariableFilter
from catalogue.api.permissions import read_only_or
from catalogue.api.serializers import (
    CategoryCreateInput,
    CategoryOutput,
    CategoryRetireInput,
    CategoryReviseInput,
    CategoryVersionOutput,
    DatasetCreateInput,
    DatasetOutput,
    DatasetUpdateInput,
    VariableCreateInput,
    VariableOutput,
    VariableUpdateInput,
)
from core.api.errors import ErrorSerializer
from core.api.idempotency import idempotent

WRITE_ERRORS = {
    400: ErrorSerializer,
    401: ErrorSerializer,
    403: ErrorSerializer,
}


@extend_schema_view(
    list=extend_schema(
        summary="List datasets",
        description=(
            "Public. Searchable (`search` over title, description and variable names) and "
            "filterable; each dataset carries its data dictionary."
        ),
    ),
    retrieve=extend_schema(summary="A dataset with its data dictionary", description="Public."),
)
class DatasetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Datasets held by the TRE. Anyone may read; operations staff create and edit them."""

    serializer_class = DatasetOutput
    lookup_field = "slug"
    permission_classes = [
        read_only_or(
            Permission.CATALOGUE_MANAGE,
            "Only operations staff may change datasets and their variables.",
        )
    ]
    filterset_class = DatasetFilter
    search_fields = ["title", "description", "variables__name"]
    ordering_fields = ["title", "coverage_start_year", "updated_at"]
    ordering = ["title"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.datasets_list()

    def _render(self, dataset, status_code=status.HTTP_200_OK) -> Response:
        fresh = selectors.datasets_list().get(pk=dataset.pk)
        return Response(
            DatasetOutput(fresh, context=self.get_serializer_context()).data, status_code
        )

    @extend_schema(
        summary="Add a dataset (operations)",
        request=DatasetCreateInput,
        responses={201: DatasetOutput, **WRITE_ERRORS},
    )
    @idempotent
    def create(self, request: Request) -> Response:
        data = DatasetCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        dataset = services.dataset_create(by=signed_in_user(request), **data.validated_data)
        return self._render(dataset, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a dataset (operations)",
        request=DatasetUpdateInput,
        responses={200: DatasetOutput, 404: ErrorSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request: Request, slug: str) -> Response:
        dataset = self.get_object()
        data = DatasetUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        dataset = services.dataset_update(
            dataset=dataset, by=signed_in_user(request), **data.validated_data
        )
        return self._render(dataset)


@extend_schema_view(
    list=extend_schema(summary="List variables (the data dictionary)", description="Public."),
    retrieve=extend_schema(summary="A variable", description="Public."),
)
class VariableViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Variables of every dataset; filter with `?dataset=<slug>`. Operations staff edit them."""

    serializer_class = VariableOutput
    permission_classes = [
        read_only_or(
            Permission.CATALOGUE_MANAGE,
            "Only operations staff may change datasets and their variables.",
        )
    ]
    filterset_class = VariableFilter
    search_fields = ["name", "description"]
    ordering_fields = ["name"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.variables_list()

    @extend_schema(
        summary="Add a variable to a dataset (operations)",
        request=VariableCreateInput,
        responses={201: VariableOutput, **WRITE_ERRORS},
    )
    @idempotent
    def create(self, request: Request) -> Response:
        data = VariableCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        variable = services.variable_create(by=signed_in_user(request), **data.validated_data)
        return Response(VariableOutput(variable).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a variable (operations)",
        request=VariableUpdateInput,
        responses={200: VariableOutput, 404: ErrorSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        variable = self.get_object()
        data = VariableUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        variable = services.variable_update(
            variable=variable, by=signed_in_user(request), **data.validated_data
        )
        return Response(VariableOutput(variable).data)


INCLUDE_RETIRED = OpenApiParameter(
    "include_retired",
    OpenApiTypes.BOOL,
    description=(
        "Also list categories that are not offered today (retired, expired or not yet in "
        "force); `is_retired` and `is_offered` mark them. Default: only offered ones."
    ),
)
VERSION = OpenApiParameter(
    "version", OpenApiTypes.INT, OpenApiParameter.PATH, description="Version number (1, 2, ...)"
)


@extend_schema_view(
    list=extend_schema(
        summary="List pre-approved categories of use",
        description="Public. Only categories offered today unless `include_retired=true`.",
        parameters=[INCLUDE_RETIRED],
    ),
    retrieve=extend_schema(
        summary="A pre-approved category with its current terms",
        description="Public, retired or not.",
    ),
)
class PreApprovedCategoryViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Categories of use a data owner approved in advance for a dataset.

    Versioned: terms never change in place. `POST .../{id}/revise/` writes the next version
    (PUT and PATCH are not offered), `POST .../{id}/retire/` stops offering the category, and
    nothing is ever deleted: decisions cite `category-id@version`.
    """

    serializer_class = CategoryOutput
    permission_classes = [
        read_only_or(
            Permission.CATEGORY_MANAGE,
            "Only data owners may manage pre-approved categories.",
        )
    ]
    filterset_class = CategoryFilter
    search_fields = ["current_version__title", "current_version__description"]
    ordering_fields = ["id", "created_at"]
    ordering = ["id"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        include_retired = self.action != "list" or self.request.query_params.get(
            "include_retired", ""
        ).lower() in {"true", "1", "yes"}
        return selectors.categories_list(include_retired=include_retired)

    def _render(self, category, status_code=status.HTTP_200_OK) -> Response:
        fresh = selectors.categories_list(include_retired=True).get(pk=category.pk)
        return Response(CategoryOutput(fresh).data, status=status_code)

    @extend_schema(
        summary="Create a pre-approved category (data owners of the dataset's provider)",
        description="Writes version 1 of the terms.",
        request=CategoryCreateInput,
        responses={201: CategoryOutput, **WRITE_ERRORS},
    )
    @idempotent
    def create(self, request: Request) -> Response:
        data = CategoryCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        category = services.category_create(by=signed_in_user(request), **data.validated_data)
        return self._render(category, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Revise a category: write its next version",
        description=(
            "Writes version N+1 and makes it current; earlier versions stay unchanged and "
            "readable under `versions/`. Terms left out are carried over from the current "
            "version. 409 when the category is retired."
        ),
        request=CategoryReviseInput,
        responses={200: CategoryOutput, 404: ErrorSerializer, 409: ErrorSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def revise(self, request: Request, pk: str) -> Response:
        category = self.get_object()
        data = CategoryReviseInput(data=request.data)
        data.is_valid(raise_exception=True)
        category = services.category_revise(
            category=category, by=signed_in_user(request), **data.validated_data
        )
        return self._render(category)

    @extend_schema(
        summary="Retire a category",
        description=(
            "It is no longer offered; it stays readable with every version. 409 when it is "
            "already retired."
        ),
        request=CategoryRetireInput,
        responses={200: CategoryOutput, 404: ErrorSerializer, 409: ErrorSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def retire(self, request: Request, pk: str) -> Response:
        category = self.get_object()
        data = CategoryRetireInput(data=request.data)
        data.is_valid(raise_exception=True)
        category = services.category_retire(
            category=category, by=signed_in_user(request), reason=data.validated_data["reason"]
        )
        return self._render(category)

    @extend_schema(
        summary="Every version of a category, oldest first",
        description="Public.",
        responses=CategoryVersionOutput(many=True),
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def versions(self, request: Request, pk: str) -> Response:
        category = self.get_object()
        page = self.paginate_queryset(selectors.category_versions(category=category))
        return self.get_paginated_response(CategoryVersionOutput(page, many=True).data)

    @extend_schema(
        summary="One version of a category",
        description="Public. The text a decision citing `category-id@version` relied on.",
        parameters=[VERSION],
        responses={200: CategoryVersionOutput, 404: ErrorSerializer},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"versions/(?P<version>[0-9]+)",
        url_name="version-detail",
        filter_backends=[],
        pagination_class=None,
    )
    def version_detail(self, request: Request, pk: str, version: str) -> Response:
        category = self.get_object()
        found = get_object_or_404(
            selectors.category_versions(category=category), version=int(version)
        )
        return Response(CategoryVersionOutput(found).data)
