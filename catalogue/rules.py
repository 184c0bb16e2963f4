"""Object rules for catalogue permissions, registered with ``access.policy``."""

from __future__ import annotations

from access.models import OrganisationMembership
from access.policy import Permission, object_rule

from .models import Dataset, PreApprovedCategory


def is_data_owner_of(user, dataset: Dataset) -> bool:
    """A data owner of the organisation that provides ``dataset``."""
    return OrganisationMembership.objects.filter(
        user=user,
        organisation_id=dataset.provider_id,
        capacity=OrganisationMembership.Capacity.DATA_OWNER,
    ).exists()


@object_rule(Permission.CATEGORY_MANAGE)
def may_manage_categories(user, obj: Dataset | PreApprovedCategory) -> bool:
    dataset = obj.dataset if isinstance(obj, PreApprovedCategory) else obj
    return is_data_owner_of(user, dataset)
