"""Who may change the catalogue: ops keep datasets and variables; each data owner keeps the
pre-approved categories of use of their own organisation's datasets."""

from __future__ import annotations

from access.models import OrganisationMembership, User
from access.policy import Permission, has_permission
from access.selectors import organisations_of
from catalogue.models import Dataset, PreApprovedCategory
from core.errors import NotAllowed


def can_manage_catalogue(user: User) -> bool:
    return has_permission(user, Permission.CATALOGUE_MANAGE)


def check_manage_catalogue(user: User) -> None:
    if not can_manage_catalogue(user):
        raise NotAllowed("Only operations staff may change datasets and their variables.")


def is_data_owner_of(user: User, dataset: Dataset) -> bool:
    """A data owner of the organisation that provides ``dataset``."""
    return dataset.provider_id in organisations_of(user, OrganisationMembership.Capacity.DATA_OWNER)


def can_manage_categories(user: User, obj: Dataset | PreApprovedCategory | None = None) -> bool:
    """A data owner (any dataset, when ``obj`` is None), of ``obj``'s organisation otherwise."""
    if not has_permission(user, Permission.CATEGORY_MANAGE):
        return False
    if obj is None:
        return True
    dataset = obj.dataset if isinstance(obj, PreApprovedCategory) else obj
    return is_data_owner_of(user, dataset)


def check_manage_categories(user: User, dataset: Dataset) -> None:
    if not can_manage_categories(user, dataset):
        raise NotAllowed(
            "Only a data owner of "
            f"{dataset.provider.name} may manage the pre-approved categories of this dataset."
        )
