"""Who is told of what the Five Safes ask of people (``notifications.notices``): a member who
lacks the accreditation a project needs, and the people who must sign the agreement."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from access.models import OrganisationMembership, User
from access.selectors import organisation_people
from notifications.notices import notice
from workflow.models import Application

Context = Mapping[str, Any]


def _about(application: Application) -> str:
    return f"application:{application.pk}"


@notice(
    "accreditation.needed",
    subject="{{ reference }}: you need {{ requirement_label|in_sentence }}",
    body="You are named on application {{ reference }}, which needs every member to hold "
    "{{ requirement_label|in_sentence }}. You do not hold it yet. Start now ({{ start_label }}: "
    "apply with your certificate on your accreditation page, /accreditation/), so it is in "
    "place by the time the project is approved.",
    url=lambda application, context: "/accreditation/",
    about=_about,
    # Once per person, requirement and application, however often the team resubmits.
    dedupe=lambda application, context: (
        f"accreditation-needed:{application.pk}:{context['person'].pk}:{context['requirement']}"
    ),
)
def _the_member(application: Application, context: Context) -> list[User]:
    return [context["person"]]


def _agreement_page(application: Application, context: Context) -> str:
    return f"/applications/{application.pk}/agreement/"


@notice(
    "agreement.requested",
    subject="{{ reference }}: sign the data access agreement",
    body="Application {{ reference }} has been approved. Before access can be granted, every "
    "member and a signatory of {{ organisation }} must accept the data access agreement "
    "(version {{ version }}){% if capacity %}: you sign as {{ capacity }}{% endif %}.",
    url=_agreement_page,
    about=_about,
    dedupe=lambda application, context: (
        f"agreement-requested:{application.pk}:{context['version']}:{context['signing_as']}"
    ),
)
def _signers(application: Application, context: Context) -> list[User]:
    """The team, or the lead organisation's signatories (``signing_as``)."""
    if context["signing_as"] == "member":
        return application.team()
    if application.lead_organisation_id is None:
        return []
    return organisation_people(
        [application.lead_organisation_id], OrganisationMembership.Capacity.SIGNATORY
    )
