from .access import OrganisationFactory, UserFactory, make_user
from .catalogue import DatasetFactory, VariableFactory

__all__ = ["DatasetFactory", "OrganisationFactory", "UserFactory", "VariableFactory", "make_user"]
