"""Write logic of identity: affiliations (asked, confirmed, declined, lapsed), self-registration
with a signed link, the ORCID iD a person types in.

Each change: lock, check who may (403), what the state allows (409) and the input (400),
transition, save, append the event, raise the notices, in one transaction
(``notifications.notices.service``). A lapse re-examines the person's access grants in the
same commit (``access_grants_review_person``): with no organisation vouching for them, their
grants are suspended, with notices.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from access.identity import tokens
from access.identity.policies import check_vouch
from access.models import (
    LIVE_AFFILIATION,
    Affiliation,
    AffiliationEvent,
    AffiliationState,
    Organisation,
    Registration,
    User,
)
from access.safe_people.services import (
    _actor_name,
    access_grants_review_person,
    append_event,
)
from core.errors import ValidationFailed
from core.transitions import Step, take
from notifications.notices import raise_notice, service
from notifications.services import queue_email


def _log(
    obj: Affiliation,
    *,
    step: Step,
    by: User | None,
    role: str,
    from_state: str,
    reason: str,
    payload: dict[str, Any] | None,
) -> AffiliationEvent:
    return append_event(
        AffiliationEvent,
        obj,
        actor=by,
        actor_name=_actor_name(by),
        transition=step.name,
        from_state=from_state,
        to_state=obj.state,
        reason=reason,
    )


def _lock(affiliation: Affiliation) -> Affiliation:
    locked: Affiliation = (
        Affiliation.objects.select_for_update(of=("self",))
        .select_related("person", "organisation")
        .get(pk=affiliation.pk)
    )
    return locked


@service
def affiliation_request(
    *, person: User, organisation: Organisation, by: User, position: str = ""
) -> Affiliation:
    """``person`` says they work at ``organisation``; its signatories and user managers are
    asked to confirm. Asking again while one is pending or confirmed returns that one."""
    if by.pk != person.pk:
        raise ValidationFailed(
            "Only the person says where they work.",
            fields={"organisation": ["Ask for your own affiliation only."]},
        )
    User.objects.select_for_update().filter(pk=person.pk).values_list("pk").get()
    live = Affiliation.objects.filter(
        person=person, organisation=organisation, state__in=LIVE_AFFILIATION
    ).first()
    if live is not None:
        return live
    affiliation = Affiliation.objects.create(
        person=person,
        organisation=organisation,
        position=position.strip()[:200],
        requested_at=timezone.now(),
    )
    append_event(
        AffiliationEvent,
        affiliation,
        actor=by,
        actor_name=_actor_name(by),
        transition="request",
        from_state="",
        to_state=affiliation.state,
        reason=position.strip()[:200],
    )
    raise_notice("affiliation.requested", affiliation, actor=by, affiliation=affiliation)
    return affiliation


def _decide(affiliation: Affiliation, name: str, *, by: User, reason: str) -> Affiliation:
    affiliation = _lock(affiliation)
    check_vouch(by, affiliation, name)
    now = timezone.now()
    if name == "lapse":
        affiliation.ended_at, affiliation.ended_by = now, by
    else:
        affiliation.decided_at, affiliation.decided_by = now, by
    affiliation.reason = reason
    take(affiliation, name, by=by, log=_log, reason=reason, check_policy=False)
    raise_notice(f"affiliation.{affiliation.state}", affiliation, actor=by, affiliation=affiliation)
    return affiliation


@service
def affiliation_confirm(*, affiliation: Affiliation, by: User) -> Affiliation:
    """The organisation confirms the person works there; they may now be named on its
    applications (``User.affiliation`` points at it), and suspended access comes back."""
    affiliation = _decide(affiliation, "confirm", by=by, reason="")
    person = affiliation.person
    person.affiliation = affiliation.organisation
    User.objects.filter(pk=person.pk).update(affiliation=affiliation.organisation)
    access_grants_review_person(
        person=person, by=by, reason=f"{affiliation.organisation} confirmed the affiliation"
    )
    return affiliation


def _required(reason: str, doing: str) -> str:
    if not reason.strip():
        raise ValidationFailed(
            f"Say why when {doing}.", fields={"reason": [f"Enter why you are {doing}."]}
        )
    return reason.strip()


@service
def affiliation_decline(*, affiliation: Affiliation, by: User, reason: str) -> Affiliation:
    """The organisation does not know the person (or not in that post)."""
    return _decide(affiliation, "decline", by=by, reason=_required(reason, "not confirming this"))


@service
def affiliation_lapse(*, affiliation: Affiliation, by: User, reason: str) -> Affiliation:
    """The organisation says the person has left. Without another confirmed affiliation, the
    person's access grants are suspended in the same commit (with their notices)."""
    affiliation = _decide(affiliation, "lapse", by=by, reason=_required(reason, "ending this"))
    person = affiliation.person
    other = (
        Affiliation.objects.filter(person=person, state=AffiliationState.CONFIRMED)
        .order_by("-decided_at")
        .values_list("organisation_id", flat=True)
        .first()
    )
    person.affiliation_id = other
    User.objects.filter(pk=person.pk).update(affiliation_id=other)
    access_grants_review_person(
        person=person, by=by, reason=f"{affiliation.organisation} says {person} has left"
    )
    return affiliation


# --- ORCID ----------------------------------------------------------------------------------

ORCID_FORMAT = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")


def orcid_checksum_ok(orcid: str) -> bool:
    """ISO 7064 11,2, as ORCID computes its last character."""
    digits = orcid.replace("-", "")
    total = 0
    for ch in digits[:-1]:
        total = (total + int(ch)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


@service
def orcid_enter(*, person: User, orcid: str) -> User:
    """A person types their ORCID iD: recorded, shown as unverified until they sign in
    through ORCID (where configured). Blank removes a typed-in one."""
    value = orcid.strip().upper().removeprefix("HTTPS://ORCID.ORG/")
    if value and (not ORCID_FORMAT.match(value) or not orcid_checksum_ok(value)):
        raise ValidationFailed(
            "That is not an ORCID iD.",
            fields={"orcid": ["Enter an ORCID iD like 0000-0002-1825-0097."]},
        )
    if person.orcid_verified and value != person.orcid:
        raise ValidationFailed(
            "Your ORCID iD was confirmed by ORCID.",
            fields={"orcid": ["It was confirmed by ORCID and cannot be changed here."]},
        )
    person.orcid = value
    User.objects.filter(pk=person.pk).update(orcid=value)
    return person


# --- self-registration -----------------------------------------------------------------------


def registration_link_age() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.REGISTRATION_LINK_HOURS)


@transaction.atomic
def registration_start(
    *, email: str, full_name: str, organisation: Organisation | None
) -> Registration:
    """Someone asks to register: a link, signed and good for ``REGISTRATION_LINK_HOURS``, goes
    to the address. An address that already has an account is told so instead (the page says
    the same either way, so it tells nobody which addresses have accounts)."""
    email = email.strip().lower()
    registration = Registration.objects.create(
        email=email,
        full_name=full_name.strip(),
        organisation=organisation,
        requested_at=timezone.now(),
    )
    site = settings.SITE_URL.rstrip("/")
    if User.objects.filter(email__iexact=email).exists():
        subject = "You already have an account"
        body = (
            "Someone (probably you) asked to register with this email address, which already "
            f"has an account. Sign in at {site}{reverse('login')}."
        )
    else:
        token = tokens.make(tokens.REGISTRATION, registration.pk, email)
        link = site + reverse("sign-up-complete", args=[token])
        subject = "Finish registering"
        body = (
            f"Follow this link to choose a password and finish registering:\n\n{link}\n\n"
            f"It works once, for {settings.REGISTRATION_LINK_HOURS} hours. If you did not ask "
            "to register, ignore this email."
        )
    # The outbox, in this transaction: the email exists exactly when the registration does,
    # and a mail server that is down delays it (retries with backoff) rather than dropping it.
    queue_email(
        to=email,
        kind="identity.registration",
        subject=subject,
        body=body,
        about=f"registration:{registration.pk}",
    )
    return registration


def registration_from_link(token: str) -> Registration:
    """The registration behind a link, or ``LinkProblem`` (expired, invalid, used)."""
    pk, email = tokens.read(tokens.REGISTRATION, token, registration_link_age())
    registration = Registration.objects.filter(pk=pk, email=email).first()
    if registration is None:
        raise tokens.LinkProblem("invalid")
    if registration.completed_at is not None:
        raise tokens.LinkProblem("used")
    return registration


@service
def registration_complete(*, token: str, password: str) -> User:
    """Make the account of a registration (once): no role until they apply or are added,
    and a pending affiliation to the organisation they named."""
    pk, _ = tokens.read(tokens.REGISTRATION, token, registration_link_age())
    registration = Registration.objects.select_for_update().filter(pk=pk).first()
    if registration is None:
        raise tokens.LinkProblem("invalid")
    registration = registration_from_link(token)  # re-read under the lock: used since?
    if User.objects.filter(email__iexact=registration.email).exists():
        raise tokens.LinkProblem("used")
    user = User(
        username=_username_for(registration.email),
        email=registration.email,
        full_name=registration.full_name,
        origin="registration",
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(
            "Choose another password.", fields={"password": list(exc.messages)}
        ) from exc
    user.set_password(password)
    user.save()
    registration.completed_at = timezone.now()
    registration.user = user
    registration.save(update_fields=["completed_at", "user"])
    if registration.organisation is not None:
        affiliation_request(person=user, organisation=registration.organisation, by=user)
    return user


def _username_for(email: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", email.split("@")[0].lower()).strip("-") or "person"
    candidate, n = base, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def researcher_role_ensure(*, person: User) -> None:
    """Make a person who registered, and now applies or joins a team, a researcher (inside the
    caller's transaction). An administrator's account keeps the roles it was given."""
    from access.models import Role, RoleAssignment

    if person.origin == "admin" or Role.RESEARCHER in person.role_names:
        return
    RoleAssignment.objects.get_or_create(user=person, role=Role.RESEARCHER)
    person.__dict__.pop("_role_cache", None)  # read again on the next question
