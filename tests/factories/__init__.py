from tests.factories.access import OrganisationFactory, UserFactory, make_user
from tests.factories.catalogue import DatasetFactory, VariableFactory, make_category

__all__ = [
    "DatasetFactory",
    "OrganisationFactory",
    "UserFactory",
    "VariableFactory",
    "make_category",
    "make_user",
]
