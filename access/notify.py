"""Who hears about accreditation and access grants, through the notifications outbox.

Called inside the transaction of the change, like ``workflow.notify``. Messages say what
happened and what to do next; the page behind the link shows the rest.
"""

from __future__ import annotations

from collections.abc import Iterable

from access.models import Role, User
from notifications.services import notify

# kind → (subject, body); templates get ``accreditation`` or ``grant`` and ``recipient``.
MESSAGES: dict[str, tuple[str, str]] = {
    "accreditation.applied": (
        "{{ accreditation.person.full_name }} applied for {{ accreditation.get_kind_display }}",
        "{{ accreditation.person.full_name }} has applied for "
        "{{ accreditation.get_kind_display|lower }} (certificate "
        "{{ accreditation.certificate_number }} from {{ accreditation.issuer }}). It needs an "
        "accreditation officer's decision.",
    ),
    "accreditation.accredited": (
        "Your {{ accreditation.get_kind_display|lower }} is accredited",
        "Your {{ accreditation.get_kind_display|lower }} is accredited until "
        "{{ accreditation.expires_on|date:'j F Y' }}.",
    ),
    "accreditation.refused": (
        "Your {{ accreditation.get_kind_display|lower }} was not accredited",
        "Your application for {{ accreditation.get_kind_display|lower }} was refused: "
        "{{ accreditation.decision_reason }}",
    ),
    "accreditation.suspended": (
        "Your {{ accreditation.get_kind_display|lower }} is suspended",
        "Your {{ accreditation.get_kind_display|lower }} has been suspended: "
        "{{ accreditation.lapse_reason }} Your access to project data is suspended with it.",
    ),
    "accreditation.reinstated": (
        "Your {{ accreditation.get_kind_display|lower }} is reinstated",
        "The suspension of your {{ accreditation.get_kind_display|lower }} has been lifted.",
    ),
    "accreditation.revoked": (
        "Your {{ accreditation.get_kind_display|lower }} is revoked",
        "Your {{ accreditation.get_kind_display|lower }} has been revoked: "
        "{{ accreditation.lapse_reason }} Your access to project data ends with it.",
    ),
    "accreditation.expired": (
        "Your {{ accreditation.get_kind_display|lower }} has expired",
        "Your {{ accreditation.get_kind_display|lower }} expired on "
        "{{ accreditation.expires_on|date:'j F Y' }}. Your access to project data is suspended "
        "until you renew it: apply again with your new certificate.",
    ),
    "accreditation.expiring": (
        "Your {{ accreditation.get_kind_display|lower }} expires in {{ days }} days",
        "Your {{ accreditation.get_kind_display|lower }} expires on "
        "{{ accreditation.expires_on|date:'j F Y' }}. Renew it before then, or your access to "
        "project data will be suspended.",
    ),
    "accreditation.needed": (
        "{{ reference }}: you need {{ requirement_label|lower }}",
        "You are named on application {{ reference }}, which needs every member to hold "
        "{{ requirement_label|lower }}. You do not hold it yet. Start now ({{ start_label }}: "
        "apply with your certificate on your accreditation page, /accreditation/), so it is in "
        "place by the time "
        "the project is approved.",
    ),
    "agreement.requested": (
        "{{ reference }}: sign the data access agreement",
        "Application {{ reference }} has been approved. Before access can be granted, every member "
        "and a signatory of {{ organisation }} must accept the data access agreement "
        "(version {{ version }}){% if capacity %}: you sign as {{ capacity }}{% endif %}.",
    ),
    "access_grant.suspended": (
        "Access to {{ grant.application.reference }} suspended for {{ grant.person.full_name }}",
        "Access of {{ grant.person.full_name }} to the data of {{ grant.application.reference }} "
        "is suspended: {{ grant.suspension_reason }}",
    ),
    "access_grant.reinstated": (
        "Access to {{ grant.application.reference }} reinstated for {{ grant.person.full_name }}",
        "Access of {{ grant.person.full_name }} to the data of {{ grant.application.reference }} "
        "is active again.",
    ),
    "access_grant.ended": (
        "Access to {{ grant.application.reference }} has ended",
        "Access of {{ grant.person.full_name }} to the data of {{ grant.application.reference }} "
        "has ended: {{ grant.end_reason }}",
    ),
}


def with_role(role: Role) -> list[User]:
    return list(User.objects.filter(role_assignments__role=role, is_active=True))


def unique(people: Iterable[User], *, exclude: int | None = None) -> list[User]:
    seen: dict[int, User] = {}
    for person in people:
        if person.pk != exclude and person.is_active:
            seen.setdefault(person.pk, person)
    return list(seen.values())


def send(
    kind: str,
    *,
    recipients: Iterable[User],
    context: dict,
    url: str,
    about: str,
    exclude: int | None = None,
    dedupe_key: str | None = None,
) -> None:
    people = unique(recipients, exclude=exclude)
    if not people:
        return
    subject, body = MESSAGES[kind]
    notify(
        recipients=people,
        kind=kind,
        subject=subject,
        body=body,
        context=context,
        url=url,
        about=about,
        dedupe_key=dedupe_key,
    )


def accreditation_changed(accreditation, kind: str, *, by=None, **extra) -> None:
    """Tell whoever ``kind`` concerns about ``accreditation`` (inside its transaction)."""
    if kind == "accreditation.applied":
        recipients = with_role(Role.ACCREDITATION_OFFICER)
    else:
        recipients = [accreditation.person]
    send(
        kind,
        recipients=recipients,
        context={"accreditation": accreditation, **extra},
        # Officers decide on their queue's page; the researcher reads their own page.
        url=f"/accreditation/decisions/{accreditation.pk}/"
        if kind == "accreditation.applied"
        else "/accreditation/",
        about=f"accreditation:{accreditation.pk}",
        exclude=by.pk if by is not None else None,
        dedupe_key=extra.get("dedupe_key"),
    )


def grant_changed(grant, kind: str) -> None:
    """The member and ops hear of a grant suspended or reinstated; the member of its end."""
    recipients = [grant.person]
    if kind != "access_grant.ended":
        recipients += with_role(Role.OPS)
    send(
        kind,
        recipients=recipients,
        context={"grant": grant},
        url=f"/applications/{grant.application_id}/",
        about=f"application:{grant.application_id}",
    )
