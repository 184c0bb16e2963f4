from __future__ import annotations

import factory

from access.models import Organisation, OrganisationMembership, Role, RoleAssignment, User


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    kind = Organisation.Kind.RESEARCH


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or ():
            RoleAssignment.objects.create(user=self, role=Role(role))


def make_user(*roles: Role | str, data_owner_of: Organisation | None = None, **kwargs) -> User:
    """A user with the given global roles; ``data_owner_of`` adds the organisation membership."""
    user = UserFactory(roles=list(roles), **kwargs)
    if data_owner_of is not None:
        OrganisationMembership.objects.create(
            user=user,
            organisation=data_owner_of,
            capacity=OrganisationMembership.Capacity.DATA_OWNER,
        )
    return user
