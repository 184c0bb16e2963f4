"""Who is told of what happens to accreditations and access grants (``notifications.notices``).

Raised inside the services' transactions and sent when each service ends. Messages say what
happened and what to do next; the page behind the link shows the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from access.models import AccessGrant, Accreditation, Role, User
from access.selectors import users_with_role
from notifications.notices import notice


def _about_accreditation(accreditation: Accreditation) -> str:
    return f"accreditation:{accreditation.pk}"


def _own_page(accreditation: Accreditation, context: Mapping[str, Any]) -> str:
    return "/accreditation/"


def _person(accreditation: Accreditation, context: Mapping[str, Any]) -> list[User]:
    return [accreditation.person]


@notice(
    "accreditation.applied",
    subject="{{ accreditation.person.full_name }} applied for {{ accreditation.get_kind_display }}",
    body="{{ accreditation.person.full_name }} has applied for "
    "{{ accreditation.get_kind_display|in_sentence }} (certificate "
    "{{ accreditation.certificate_number }} from {{ accreditation.issuer }}). It needs an "
    "accreditation officer's decision.",
    # Officers decide on their queue's page.
    url=lambda accreditation, context: f"/accreditation/decisions/{accreditation.pk}/",
    about=_about_accreditation,
)
def _officers(accreditation: Accreditation, context: Mapping[str, Any]) -> list[User]:
    return [
        officer
        for officer in users_with_role(Role.ACCREDITATION_OFFICER)
        if officer.pk not in (accreditation.person_id, accreditation.supervisor_id)
    ]


notice(
    "accreditation.accredited",
    subject="Your {{ accreditation.get_kind_display|in_sentence }} is accredited",
    body="Your {{ accreditation.get_kind_display|in_sentence }} is accredited until "
    "{{ accreditation.expires_on|date:'j F Y' }}.",
    url=_own_page,
    about=_about_accreditation,
)(_person)
notice(
    "accreditation.refused",
    subject="Your {{ accreditation.get_kind_display|in_sentence }} was not accredited",
    body="Your application for {{ accreditation.get_kind_display|in_sentence }} was refused: "
    "{{ accreditation.decision_reason }}",
    url=_own_page,
    about=_about_accreditation,
)(_person)
notice(
    "accreditation.suspended",
    subject="Your {{ accreditation.get_kind_display|in_sentence }} is suspended",
    body="Your {{ accreditation.get_kind_display|in_sentence }} has been suspended: "
    "{{ accreditation.lapse_reason }} Your access to project data is suspended with it.",
    url=_own_page,
    about=_about_accreditation,
)(_person)
notice(
    "accreditation.reinstated",
    subject="Your {{ accreditation.get_kind_display|in_sentence }} is reinstated",
    body="The suspension of your {{ accreditation.get_kind_display|in_sentence }} has been lifted.",
    url=_own_page,
    about=_about_accreditation,
)(_person)
notice(
    "accreditation.revoked",
    subject="Your {{ accreditation.get_kind_display|in_sentence }} is revoked",
    body="Your {{ accreditation.get_kind_display|in_sentence }} has been revoked: "
    "{{ accreditation.lapse_reason }} Your access to project data ends with it.",
    url=_own_page,
    about=_about_accreditation,
)(_person)
notice(
    "accreditation.expired",
    subject="Your {{ accreditation.get_kind_display|in_sentence }} has expired",
    body="Your {{ accreditation.get_kind_display|in_sentence }} expired on "
    "{{ accreditation.expires_on|date:'j F Y' }}. Your access to project data is suspended "
    "until you renew it: apply again with your new certificate.",
    url=_own_page,
    about=_about_accreditation,
)(_person)


def _grant_page(grant: AccessGrant, context: Mapping[str, Any]) -> str:
    return f"/applications/{grant.application_id}/"


def _about_grant(grant: AccessGrant) -> str:
    return f"application:{grant.application_id}"


@notice(
    "access_grant.suspended",
    subject="Access to {{ grant.application.reference }} suspended for "
    "{{ grant.person.full_name }}",
    body="Access of {{ grant.person.full_name }} to the data of "
    "{{ grant.application.reference }} is suspended: {{ grant.suspension_reason }}",
    url=_grant_page,
    about=_about_grant,
)
def _member_and_ops(grant: AccessGrant, context: Mapping[str, Any]) -> list[User]:
    """The member and ops hear of a grant suspended or reinstated."""
    return [grant.person, *users_with_role(Role.OPS)]


notice(
    "access_grant.reinstated",
    subject="Access to {{ grant.application.reference }} reinstated for "
    "{{ grant.person.full_name }}",
    body="Access of {{ grant.person.full_name }} to the data of "
    "{{ grant.application.reference }} is active again.",
    url=_grant_page,
    about=_about_grant,
)(_member_and_ops)


@notice(
    "access_grant.ended",
    subject="Access to {{ grant.application.reference }} has ended",
    body="Access of {{ grant.person.full_name }} to the data of "
    "{{ grant.application.reference }} has ended: {{ grant.end_reason }}",
    url=_grant_page,
    about=_about_grant,
)
def _member(grant: AccessGrant, context: Mapping[str, Any]) -> list[User]:
    """The member hears of their grant's end."""
    return [grant.person]


@notice(
    "access_grant.granted",
    subject="Access to {{ grant.application.reference }} granted to {{ grant.person.full_name }}",
    body="{{ grant.person.full_name }} may use the data of {{ grant.application.reference }} "
    "until {{ grant.end_on|date:'j F Y' }}.",
    url=_grant_page,
    about=_about_grant,
)
def _nobody(grant: AccessGrant, context: Mapping[str, Any]) -> list[User]:
    """People hear of a project going live from ``application.access_granted``; this notice is
    for the machines that watch grants (the secure environment: ``workflow.provisioning``)."""
    return []
