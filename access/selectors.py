"""Reads about people: who holds a role, who acts for an organisation in a capacity."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from access.models import OrganisationMembership, Role, User


def users_with_role(role: Role | str) -> QuerySet[User]:
    """The active people holding global ``role``."""
    return User.objects.filter(role_assignments__role=role, is_active=True).order_by("pk")


def organisation_people(
    organisation_ids: Iterable[int], capacity: OrganisationMembership.Capacity | str
) -> list[User]:
    """The active people acting for any of ``organisation_ids`` in ``capacity`` (data owners,
    signatories), each once."""
    ids = list(organisation_ids)
    if not ids:
        return []
    memberships = (
        OrganisationMembership.objects.filter(
            organisation_id__in=ids, capacity=capacity, user__is_active=True
        )
        .select_related("user")
        .order_by("user_id")
    )
    return list({m.user_id: m.user for m in memberships}.values())


def organisations_of(user: User, capacity: OrganisationMembership.Capacity | str) -> set[int]:
    """The organisations ``user`` acts for in ``capacity`` (read once per user object)."""
    cache: dict[str, set[int]] = user.__dict__.setdefault("_organisations_by_capacity", {})
    if capacity not in cache:
        cache[capacity] = set(
            OrganisationMembership.objects.filter(user=user, capacity=capacity).values_list(
                "organisation_id", flat=True
            )
        )
    return cache[capacity]


class RoleDirectory:
    """Who holds each role, read once and kept for the life of this object (a reminder sweep,
    one request): an item due does not cost a query per role."""

    def __init__(self) -> None:
        self._people: dict[str, list[User]] = {}

    def __call__(self, role: Role | str) -> list[User]:
        key = str(role)
        if key not in self._people:
            self._people[key] = list(users_with_role(key))
        return self._people[key]


def person_with_email(email: str) -> User | None:
    """The active person whose email address is exactly ``email`` (addresses compare without
    case, as sign-in does), or None: never a partial match, so nobody can be found without
    knowing their whole address."""
    return User.objects.filter(email__iexact=email.strip(), is_active=True).first()
