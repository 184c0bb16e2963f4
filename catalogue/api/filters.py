"""Query-string filters of the catalogue lists."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q

from catalogue.models import Dataset, PreApprovedCategory, Sensitivity, Variable


class YearFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class DatasetFilter(django_filters.FilterSet):
    provider = django_filters.CharFilter(
        field_name="provider__slug", help_text="Slug of the data-providing organisation"
    )
    sensitivity = django_filters.ChoiceFilter(choices=Sensitivity.choices)
    dea_gateway_permitted = django_filters.BooleanFilter()
    covers_year = YearFilter(
        method="filter_covers_year",
        help_text=(
            "Datasets whose coverage includes this year (an open end means still collected; "
            "datasets with no start year are left out)"
        ),
    )
    has_pre_approved_category = django_filters.BooleanFilter(
        help_text="Whether a pre-approved category of use is offered for the dataset today"
    )

    class Meta:
        model = Dataset
        fields = ["provider", "sensitivity", "dea_gateway_permitted", "has_pre_approved_category"]

    def filter_covers_year(self, queryset, name: str, value: int):
        return queryset.filter(
            Q(coverage_start_year__lte=value),
            Q(coverage_end_year__isnull=True) | Q(coverage_end_year__gte=value),
        )


class VariableFilter(django_filters.FilterSet):
    dataset = django_filters.CharFilter(field_name="dataset__slug", help_text="Dataset slug")
    is_identifying = django_filters.BooleanFilter()
    is_sensitive_category = django_filters.BooleanFilter()

    class Meta:
        model = Variable
        fields = ["dataset", "is_identifying", "is_sensitive_category"]


class CategoryFilter(django_filters.FilterSet):
    dataset = django_filters.CharFilter(field_name="dataset__slug", help_text="Dataset slug")
    provider = django_filters.CharFilter(
        field_name="dataset__provider__slug", help_text="Slug of the data-providing organisation"
    )

    class Meta:
        model = PreApprovedCategory
        fields = ["dataset", "provider"]
