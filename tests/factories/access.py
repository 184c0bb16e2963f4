from __future__ import annotations

import datetime

import factory
from django.db import transaction
from django.utils import timezone

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


def accredit(
    person: User,
    kind: str = "safe_researcher",
    *,
    issued_on: datetime.date | None = None,
    expires_on: datetime.date | None = None,
    supervisor: User | None = None,
    state: str = "accredited",
):
    """An accreditation that already exists (written directly: the officer's decision is not
    what the test is about). ``state="applied"`` gives one waiting for a decision."""
    from access.models import Accreditation, AccreditationEvent, default_expiry
    from access.safe_people.services import append_event

    issued_on = issued_on or timezone.localdate()
    with transaction.atomic():
        accreditation = Accreditation.objects.create(
            person=person,
            kind=kind,
            state=state,
            supervisor=supervisor,
            issuer="ONS Safe Researcher Training"
            if kind == "safe_researcher"
            else "UK Statistics Authority",
            certificate_number=f"CERT-{person.pk}-{kind}",
            issued_on=issued_on,
            expires_on=expires_on or default_expiry(kind, issued_on),
        )
        # Its history, as every award has one (verify_audit requires a chain per award).
        append_event(
            AccreditationEvent,
            accreditation,
            actor=None,
            actor_name="System",
            transition="recorded",
            to_state=accreditation.state,
        )
    return accreditation


def publish_agreement(by: User, version: int | None = None):
    """A published data access agreement (the next version unless given)."""
    from access.models import AgreementText

    latest = AgreementText.objects.order_by("-version").first()
    return AgreementText.objects.create(
        version=version or (latest.version + 1 if latest else 1),
        title="Data access agreement",
        body="I will use the data only inside the TRE, for the approved purpose, and release "
        "nothing that has not passed output checking.",
        published_at=timezone.now(),
        published_by=by,
    )


def make_signatory(organisation: Organisation, **kwargs) -> User:
    """A person authorised to sign for ``organisation`` (no global role needed)."""
    user = UserFactory(**kwargs)
    OrganisationMembership.objects.create(
        user=user, organisation=organisation, capacity=OrganisationMembership.Capacity.SIGNATORY
    )
    return user
