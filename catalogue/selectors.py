"""Reads of the catalogue used by the API and the admin.

The catalogue is public: nothing here filters by user. Each function loads what its
serializer shows in a constant number of queries, whatever the number of rows.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, TypedDict, TypeVar

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from access.models import OrganisationMembership, User
from catalogue.models import Dataset, PreApprovedCategory, PreApprovedCategoryVersion, Variable

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class DatasetAnnotations(TypedDict):
    """What ``datasets_list`` adds to each dataset."""

    has_pre_approved_category: bool


_Dataset = TypeVar("_Dataset", bound=Dataset)


def _offered_categories(day: datetime.date) -> QuerySet[PreApprovedCategory]:
    return PreApprovedCategory.objects.offered_on(day).select_related("current_version")


def datasets_list(
    *, day: datetime.date | None = None
) -> QuerySet[WithAnnotations[Dataset, DatasetAnnotations]]:
    """Datasets with provider, named people, variables and offered categories loaded.

    ``has_pre_approved_category`` is annotated (offered on ``day``) for filtering and display.
    """
    day = day or timezone.localdate()
    return (
        Dataset.objects.select_related(
            "provider", "asset_owner", "primary_analyst", "backup_analyst"
        )
        .prefetch_related(
            Prefetch("variables", queryset=Variable.objects.order_by("name")),
            Prefetch(
                "pre_approved_categories",
                queryset=_offered_categories(day),
                to_attr="offered_categories",
            ),
        )
        .annotate(
            has_pre_approved_category=Exists(
                _offered_categories(day).filter(dataset=OuterRef("pk"))
            )
        )
    )


def variables_list() -> QuerySet[Variable]:
    return Variable.objects.select_related("dataset").order_by("dataset__slug", "name")


def _versions_with_variables() -> QuerySet[PreApprovedCategoryVersion]:
    return PreApprovedCategoryVersion.objects.select_related("created_by").prefetch_related(
        Prefetch("permitted_variables", queryset=Variable.objects.order_by("name"))
    )


def categories_list(
    *, include_retired: bool = False, day: datetime.date | None = None
) -> QuerySet[PreApprovedCategory]:
    """Pre-approved categories with their current terms loaded.

    By default only those offered on ``day`` (not retired, current version valid); with
    ``include_retired`` every category, retired, expired or not yet in force.
    """
    base = (
        PreApprovedCategory.objects.all()
        if include_retired
        else (PreApprovedCategory.objects.offered_on(day or timezone.localdate()))
    )
    return base.select_related(
        "dataset__provider", "current_version__created_by", "retired_by"
    ).prefetch_related(
        Prefetch(
            "current_version__permitted_variables", queryset=Variable.objects.order_by("name")
        ),
    )


def category_versions(*, category: PreApprovedCategory) -> QuerySet[PreApprovedCategoryVersion]:
    """Every version of ``category``, oldest first."""
    return _versions_with_variables().filter(category=category).order_by("version")


def datasets_search(queryset: QuerySet[_Dataset], text: str) -> QuerySet[_Dataset]:
    """Datasets whose title, description or a variable's name contains ``text`` (the same
    fields the API searches)."""
    text = (text or "").strip()
    if not text:
        return queryset
    matching = Variable.objects.filter(dataset=OuterRef("pk"), name__icontains=text)
    return queryset.filter(
        Q(title__icontains=text) | Q(description__icontains=text) | Q(Exists(matching))
    )


def owner_organisation_ids(user: User) -> set[int]:
    """Organisations ``user`` acts for as a data owner."""
    return set(
        OrganisationMembership.objects.filter(
            user_id=user.pk, capacity=OrganisationMembership.Capacity.DATA_OWNER
        ).values_list("organisation_id", flat=True)
    )


def datasets_owned_by(user: User) -> QuerySet[Dataset]:
    """Datasets provided by an organisation ``user`` is a data owner of, with every category
    (retired ones too) for the owner's pages."""
    return (
        Dataset.objects.filter(provider_id__in=owner_organisation_ids(user))
        .select_related("provider")
        .prefetch_related(
            Prefetch(
                "pre_approved_categories",
                queryset=PreApprovedCategory.objects.select_related("current_version").order_by(
                    "id"
                ),
            )
        )
        .order_by("title")
    )
