"""Who may vouch for whom: an organisation's authorised signatories and the user managers it
delegated confirm, decline and end its people's affiliations, and only its own (403 for
another organisation's). Nobody vouches for themselves. Ops see every organisation's people;
a signatory or user manager sees their own organisation's."""

from __future__ import annotations

from access.models import Affiliation, Organisation, OrganisationMembership, Role, User
from core.errors import NotAllowed
from core.transitions import Refusal, Verdict, check_state, transition_policy

VOUCHING = (OrganisationMembership.Capacity.SIGNATORY, OrganisationMembership.Capacity.USER_MANAGER)


def vouches_for(user: User, organisation: Organisation | int) -> bool:
    """Is ``user`` a signatory or user manager of ``organisation``?"""
    if not user.is_authenticated or not user.is_active:
        return False
    organisation_id = organisation.pk if isinstance(organisation, Organisation) else organisation
    found: bool = OrganisationMembership.objects.filter(
        user=user, organisation_id=organisation_id, capacity__in=VOUCHING
    ).exists()
    return found


@transition_policy(Affiliation, "confirm", "decline", "lapse")
def may_vouch(user: User, affiliation: Affiliation) -> Verdict:
    """A signatory or user manager of the person's organisation, who is not the person."""
    if not vouches_for(user, affiliation.organisation_id):
        return Refusal(
            "Only an authorised signatory or a user manager of "
            f"{affiliation.organisation} confirms or ends its people's affiliations."
        )
    if user.pk == affiliation.person_id:
        return Refusal("Nobody confirms or ends their own affiliation: another signatory must.")
    return True


def check_vouch(user: User, affiliation: Affiliation, name: str) -> None:
    """403 unless ``user`` may vouch for this person here; then 409 unless the state allows."""
    verdict = may_vouch(user, affiliation)
    if not verdict:
        raise NotAllowed(verdict.reason if isinstance(verdict, Refusal) else "Not allowed.")
    check_state(affiliation, name, what="affiliation")


def can_see_people_of(user: User, organisation: Organisation) -> bool:
    """The organisation's signatories and user managers, and ops."""
    return vouches_for(user, organisation) or user.has_role(Role.OPS)


def check_see_people_of(user: User, organisation: Organisation) -> None:
    if not can_see_people_of(user, organisation):
        raise NotAllowed(
            f"Only {organisation}'s signatories and user managers, and the TRE's operations "
            "team, see its people."
        )


def check_manage_people(user: User) -> None:
    """Ops see a person's sessions, sign them out everywhere, deactivate their account."""
    if not user.has_role(Role.OPS):
        raise NotAllowed("Only the TRE's operations team manages other people's sign-ins.")
