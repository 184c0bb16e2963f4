"""Reads of identity: is a person vouched for, who waits for an organisation's confirmation,
and the organisation's people with their accreditations."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet

from access.identity.policies import VOUCHING
from access.models import (
    Accreditation,
    Affiliation,
    AffiliationState,
    Organisation,
    OrganisationMembership,
    User,
)


def _vouched(origin: str, states: set[str]) -> bool:
    if AffiliationState.CONFIRMED in states:
        return True
    if AffiliationState.LAPSED in states:
        return False
    return origin == "admin"


def is_vouched(person: User) -> bool:
    """Does an organisation vouch for ``person`` now?

    Yes with a confirmed affiliation. No once every affiliation they had has lapsed. Otherwise
    it depends on how the account came to be: an administrator's account was vouched for when
    it was made; a registered one, or one made by a first sign-in, waits for its organisation.
    """
    states = set(Affiliation.objects.filter(person=person).values_list("state", flat=True))
    return _vouched(person.origin, states)


def _problem(person: User) -> str:
    return (
        f"No organisation has confirmed that {person} works there yet. Their organisation's "
        "signatory or user manager confirms it on the organisation's people page."
    )


def vouching_problem(person: User) -> str | None:
    """Why ``person`` cannot be named on an application (None: they can)."""
    return None if is_vouched(person) else _problem(person)


def vouching_problems(people: Iterable[User]) -> dict[int, str]:
    """``vouching_problem`` of each of ``people``, by id, in one query (a whole team)."""
    people = list(people)
    states: dict[int, set[str]] = {p.pk: set() for p in people}
    rows = Affiliation.objects.filter(person_id__in=list(states)).values_list("person_id", "state")
    for person_id, state in rows:
        states[person_id].add(state)
    return {p.pk: _problem(p) for p in people if not _vouched(p.origin, states[p.pk])}


def affiliations_of(person: User) -> QuerySet[Affiliation]:
    return Affiliation.objects.filter(person=person).select_related("organisation", "decided_by")


def organisations_vouched_by(user: User) -> QuerySet[Organisation]:
    """The organisations ``user`` signs for or manages users of."""
    return Organisation.objects.filter(
        memberships__user=user, memberships__capacity__in=VOUCHING
    ).distinct()


def waiting_for(user: User) -> QuerySet[Affiliation]:
    """Pending affiliations ``user`` may confirm (not their own)."""
    return (
        Affiliation.objects.filter(
            state=AffiliationState.PENDING,
            organisation__in=organisations_vouched_by(user),
        )
        .exclude(person=user)
        .select_related("person", "organisation")
        .order_by("requested_at")
    )


def people_of(organisation: Organisation) -> QuerySet[Affiliation]:
    """The organisation's affiliations (newest first), each with its person's accreditations."""
    return (
        Affiliation.objects.filter(organisation=organisation)
        .select_related("person", "decided_by")
        .prefetch_related(
            Prefetch(
                "person__accreditations",
                queryset=Accreditation.objects.order_by("-expires_on"),
            )
        )
        .order_by("state", "person__full_name")
    )


def vouchers_of(organisation: Organisation | int) -> list[User]:
    """The active signatories and user managers of ``organisation``, each once."""
    organisation_id = organisation.pk if isinstance(organisation, Organisation) else organisation
    ids = OrganisationMembership.objects.filter(
        organisation_id=organisation_id, capacity__in=VOUCHING
    ).values_list("user_id", flat=True)
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def may_become_researcher(person: User) -> bool:
    """A person who registered themselves (or first signed in through a provider) has no role
    until they apply or are added to a team; they may do either once an organisation vouches
    for them. (An administrator's account has the roles it was given.)"""
    if not person.is_authenticated or not person.is_active or person.origin == "admin":
        return False
    return not person.role_names and is_vouched(person)
