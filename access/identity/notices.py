"""Who is told of what happens to affiliations (``notifications.notices``). The lapse also
suspends the person's access grants, whose own notices tell them and ops
(``access/safe_people/notices.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from access.identity.selectors import vouchers_of
from access.models import Affiliation, User
from notifications.notices import notice


def _about(affiliation: Affiliation) -> str:
    return f"affiliation:{affiliation.pk}"


def _person(affiliation: Affiliation, context: Mapping[str, Any]) -> list[User]:
    return [affiliation.person]


@notice(
    "affiliation.requested",
    subject="{{ affiliation.person.full_name }} says they work at "
    "{{ affiliation.organisation.name }}",
    body="{{ affiliation.person.full_name }} ({{ affiliation.person.email }}) says they work at "
    "{{ affiliation.organisation.name }}. Confirm it, or say they do not, on the "
    "organisation's people page.",
    url=lambda affiliation, context: f"/organisations/{affiliation.organisation.slug}/people/",
    about=_about,
)
def _vouchers(affiliation: Affiliation, context: Mapping[str, Any]) -> list[User]:
    return [u for u in vouchers_of(affiliation.organisation_id) if u.pk != affiliation.person_id]


notice(
    "affiliation.confirmed",
    subject="{{ affiliation.organisation.name }} confirmed you work there",
    body="{{ affiliation.organisation.name }} confirmed that you work there. You can now be "
    "named on applications.",
    url=lambda affiliation, context: "/account/",
    about=_about,
)(_person)
notice(
    "affiliation.declined",
    subject="{{ affiliation.organisation.name }} did not confirm you work there",
    body="{{ affiliation.organisation.name }} did not confirm that you work there: "
    "{{ affiliation.reason }}",
    url=lambda affiliation, context: "/account/",
    about=_about,
)(_person)
notice(
    "affiliation.lapsed",
    subject="{{ affiliation.organisation.name }} says you have left",
    body="{{ affiliation.organisation.name }} says you no longer work there: "
    "{{ affiliation.reason }} Your access to project data is suspended until an organisation "
    "confirms you again.",
    url=lambda affiliation, context: "/account/",
    about=_about,
)(_person)
