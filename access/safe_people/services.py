"""Write logic of safe people: researcher accreditation (one machine per award), access
grants (one per member of a live project) and the versions of the data access agreement.

Every change: lock the row inside a transaction, check who may (403), what the state allows
(409) and the input (400), transition (``core.transitions``), save, append the event, and
raise the notices (sent when the service ends), all in one transaction. A lapse of an
accreditation (expiry, suspension, revocation) re-examines the person's access grants in the
very commit that records it, and a new or reinstated award reinstates them.

Access grants should be active exactly while (1) the project is not on hold, (2) the member
holds every accreditation the project requires, and (3) its end date has not passed. The
grant functions move grants to match whenever one of those changes, inside the caller's
transaction: ``access_grants_create`` (the workflow's ``grant_access``),
``access_grants_review_person`` (the member's accreditation changed),
``access_grants_hold/release/end_for_application`` (ops suspend, reinstate or close the
project) and ``access_grants_end_due`` (the nightly task).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone

from access.identity.selectors import is_vouched
from access.models import (
    AccessGrant,
    AccessGrantEvent,
    Accreditation,
    AccreditationEvent,
    AccreditationKind,
    AccreditationState,
    AffiliationEvent,
    AgreementText,
    GrantState,
    Requirement,
    User,
    default_expiry,
)
from access.safe_people.policies import (
    check_apply_for_accreditation,
    check_decide_accreditation,
    check_publish_agreement,
)
from access.safe_people.selectors import (
    missing_requirements,
    supervisor_problem,
)
from core import audit_chain
from core.errors import ValidationFailed
from core.text import in_sentence
from core.transitions import Log, Step, step_of, take
from notifications.notices import collecting, raise_notice, service

# --- the two machines' logs -----------------------------------------------------------------

E = TypeVar("E", AccreditationEvent, AccessGrantEvent, AffiliationEvent)


def _actor_name(by: User | None) -> str:
    return (by.full_name or by.username) if by is not None else "System"


def append_event(model: type[E], parent: Any, **fields: Any) -> E:
    """Append one event to ``parent``'s chained history (the one writer of both histories).

    Locks the award or grant first, so two writers cannot both extend the same head and fork
    the chain (the services already hold the lock; taking it again is free). The event is
    chained to the previous one and sealed with the audit key (``core.audit_chain``).
    """
    type(parent).objects.select_for_update(of=("self",)).filter(pk=parent.pk).values_list(
        "pk"
    ).get()
    previous = (
        model.objects.filter(**{model.CHAIN: parent})
        .order_by("-id")
        .values_list("hash", flat=True)
        .first()
    )
    event = model(**{model.CHAIN: parent}, created_at=timezone.now(), **fields)
    event.prev_hash = previous or ""
    event.hash = audit_chain.digest(event.chain_content(), event.prev_hash)
    event.mac = audit_chain.seal(model.seal_label(), event.hash)
    event.save(force_insert=True)
    return event


def _history_of(event_model: type[E]) -> Log:
    """How a transition of an accreditation or a grant is recorded: one event appended to its
    own chained history."""

    def log(
        obj: Accreditation | AccessGrant,
        *,
        step: Step,
        by: User | None,
        role: str,
        from_state: str,
        reason: str,
        payload: dict[str, Any] | None,
    ) -> E:
        return append_event(
            event_model,
            obj,
            actor=by,
            actor_name=_actor_name(by),
            transition=step.name,
            from_state=from_state,
            to_state=obj.state,
            reason=reason,
        )

    return log


_log_accreditation = _history_of(AccreditationEvent)
_log_grant = _history_of(AccessGrantEvent)


def _lock(accreditation: Accreditation) -> Accreditation:
    locked: Accreditation = (
        Accreditation.objects.select_for_update(of=("self",))
        .select_related("person", "supervisor")
        .get(pk=accreditation.pk)
    )
    return locked


def _move(
    accreditation: Accreditation, name: str, *, by: User | None, reason: str = ""
) -> AccreditationEvent:
    """Take decision ``name`` (policy already checked) and raise its notice."""
    event: AccreditationEvent = take(
        accreditation,
        name,
        by=by,
        log=_log_accreditation,
        reason=reason,
        check_policy=False,
    )
    raise_notice(
        step_of(Accreditation, name).notify, accreditation, actor=by, accreditation=accreditation
    )
    return event


def _require(reason: str, what: str) -> None:
    if not reason.strip():
        raise ValidationFailed(
            f"Give the reason for {what}.", fields={"reason": [f"Give the reason for {what}."]}
        )


# --- accreditation --------------------------------------------------------------------------


@service
def accreditation_apply(
    *,
    by: User,
    kind: str,
    issuer: str,
    certificate_number: str,
    issued_on: datetime.date,
    expires_on: datetime.date | None = None,
    supervisor: User | None = None,
) -> Accreditation:
    """``by`` applies for an award of ``kind`` for themself, with the evidence.

    Before: no application of the same kind in progress. After: an ``applied`` award with an
    expiry (the kind's default validity unless the certificate says otherwise), its event, and
    the accreditation officers told.
    """
    check_apply_for_accreditation(by)
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    if kind not in AccreditationKind.values:
        errors["kind"] = [f"Choose one of {', '.join(AccreditationKind.values)}."]
    if not issuer.strip():
        errors["issuer"] = ["Say who awarded it (e.g. 'ONS Safe Researcher Training')."]
    if not certificate_number.strip():
        errors["certificate_number"] = ["Give the certificate number."]
    if issued_on > today:
        errors["issued_on"] = ["The issue date cannot be in the future."]
    if not errors and expires_on is None:
        expires_on = default_expiry(kind, issued_on)
    if expires_on is not None and expires_on <= issued_on:
        errors["expires_on"] = ["The expiry date must be after the issue date."]
    elif expires_on is not None and expires_on < today:
        errors["expires_on"] = ["This certificate has already expired: apply with a current one."]
    if kind == AccreditationKind.DEA_PROVISIONAL:
        problem = supervisor_problem(person=by, supervisor=supervisor, day=today)
        if problem:
            errors["supervisor"] = [problem]
    elif supervisor is not None and kind in AccreditationKind.values:
        errors["supervisor"] = ["Only a provisional DEA accreditation has a supervisor."]
    if (
        kind in AccreditationKind.values
        and Accreditation.objects.filter(
            person=by, kind=kind, state=AccreditationState.APPLIED
        ).exists()
    ):
        errors["kind"] = ["You already have an application of this kind waiting for a decision."]
    if errors:
        raise ValidationFailed("The application for accreditation has problems.", fields=errors)
    accreditation: Accreditation = Accreditation.objects.create(
        person=by,
        kind=kind,
        supervisor=supervisor,
        issuer=issuer.strip(),
        certificate_number=certificate_number.strip(),
        issued_on=issued_on,
        expires_on=expires_on,
    )
    append_event(
        AccreditationEvent,
        accreditation,
        actor=by,
        actor_name=_actor_name(by),
        transition="apply",
        from_state="",
        to_state=accreditation.state,
    )
    raise_notice("accreditation.applied", accreditation, actor=by, accreditation=accreditation)
    return accreditation


@service
def accreditation_accredit(
    *, accreditation: Accreditation, by: User, reason: str = ""
) -> Accreditation:
    """An officer (not the person, not the supervisor) accredits an application.

    A provisional award still needs its qualifying supervisor on the day it is decided. After:
    the person's suspended grants whose requirements now hold are reinstated.
    """
    accreditation = _lock(accreditation)
    check_decide_accreditation(by, accreditation, "accredit")
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    if accreditation.expires_on < today:
        errors["expires_on"] = ["This certificate has expired; the researcher must apply again."]
    if accreditation.kind == AccreditationKind.DEA_PROVISIONAL:
        problem = supervisor_problem(
            person=accreditation.person, supervisor=accreditation.supervisor, day=today
        )
        if problem:
            errors["supervisor"] = [problem]
    if errors:
        raise ValidationFailed("This accreditation cannot be granted.", fields=errors)
    accreditation.decided_at = timezone.now()
    accreditation.decided_by = by
    accreditation.decision_reason = reason.strip()
    _move(accreditation, "accredit", by=by, reason=reason.strip())
    access_grants_review_person(person=accreditation.person, by=by, reason="Accreditation granted.")
    return accreditation


@service
def accreditation_refuse(*, accreditation: Accreditation, by: User, reason: str) -> Accreditation:
    accreditation = _lock(accreditation)
    check_decide_accreditation(by, accreditation, "refuse")
    _require(reason, "refusing")
    accreditation.decided_at = timezone.now()
    accreditation.decided_by = by
    accreditation.decision_reason = reason.strip()
    _move(accreditation, "refuse", by=by, reason=reason.strip())
    return accreditation


def _lapse(accreditation: Accreditation, name: str, *, by: User | None, reason: str) -> None:
    accreditation.lapsed_at = timezone.now()
    accreditation.lapse_reason = reason
    _move(accreditation, name, by=by, reason=reason)
    access_grants_review_person(
        person=accreditation.person,
        by=by,
        reason=f"{accreditation.get_kind_display()} "
        f"{in_sentence(accreditation.get_state_display())} ({reason})",
    )


@service
def accreditation_suspend(*, accreditation: Accreditation, by: User, reason: str) -> Accreditation:
    """Suspend an award; the person's access that relies on it is suspended at once."""
    accreditation = _lock(accreditation)
    check_decide_accreditation(by, accreditation, "suspend")
    _require(reason, "suspending")
    _lapse(accreditation, "suspend", by=by, reason=reason.strip())
    return accreditation


@service
def accreditation_reinstate(
    *, accreditation: Accreditation, by: User, reason: str = ""
) -> Accreditation:
    """Lift a suspension (before the award's own expiry); access comes back with it."""
    accreditation = _lock(accreditation)
    check_decide_accreditation(by, accreditation, "reinstate")
    if accreditation.expires_on < timezone.localdate():
        raise ValidationFailed(
            "This accreditation has expired.",
            fields={"expires_on": ["It has expired: the researcher must apply again."]},
        )
    _move(accreditation, "reinstate", by=by, reason=reason.strip())
    access_grants_review_person(
        person=accreditation.person, by=by, reason="Accreditation reinstated."
    )
    return accreditation


@service
def accreditation_revoke(*, accreditation: Accreditation, by: User, reason: str) -> Accreditation:
    """Revoke an award for good; the person's access that relies on it is suspended at once."""
    accreditation = _lock(accreditation)
    check_decide_accreditation(by, accreditation, "revoke")
    _require(reason, "revoking")
    _lapse(accreditation, "revoke", by=by, reason=reason.strip())
    return accreditation


def accreditation_expire_due(*, today: datetime.date | None = None) -> list[int]:
    """Expire every award whose last valid day is before ``today`` (the nightly task).

    Idempotent: an award already expired is not due. Each award expires in its own
    transaction, so one failure does not hold back the others. Returns the ids expired.
    """
    today = today or timezone.localdate()
    due = Accreditation.objects.filter(
        state__in=[AccreditationState.ACCREDITED, AccreditationState.SUSPENDED],
        expires_on__lt=today,
    ).values_list("pk", flat=True)
    expired = []
    for pk in list(due):
        with transaction.atomic(), collecting():
            accreditation = Accreditation.objects.select_for_update(of=("self",)).get(pk=pk)
            if (
                accreditation.state
                not in (
                    AccreditationState.ACCREDITED,
                    AccreditationState.SUSPENDED,
                )
                or accreditation.expires_on >= today
            ):
                continue  # changed since the list was read
            _lapse(
                accreditation,
                "expire",
                by=None,
                reason=f"it ended on {accreditation.expires_on:%-d %B %Y}",
            )
            expired.append(pk)
    return expired


# --- access grants ---------------------------------------------------------------------------

LIVE = (GrantState.ACTIVE, GrantState.SUSPENDED)


def _move_grant(grant: AccessGrant, name: str, *, by: User | None, reason: str) -> None:
    now = timezone.now()
    if name == "suspend":
        grant.suspended_at, grant.suspension_reason = now, reason
    elif name == "end":
        grant.ended_at, grant.end_reason = now, reason
    take(grant, name, by=by, log=_log_grant, reason=reason, check_policy=False)
    raise_notice(step_of(AccessGrant, name).notify, grant, actor=by, grant=grant)


def _labels(requirements: Iterable[str]) -> str:
    return " and ".join(in_sentence(Requirement(r).label) for r in requirements)


def access_grants_create(
    *,
    application: models.Model,
    people: Sequence[User],
    start_on: datetime.date,
    end_on: datetime.date,
    requirements: Sequence[str],
    by: User,
) -> list[AccessGrant]:
    """One active grant per person (inside the ``grant_access`` transaction)."""
    now = timezone.now()
    grants = []
    for person in people:
        grant = AccessGrant.objects.create(
            application=application,
            person=person,
            start_on=start_on,
            end_on=end_on,
            requirements=list(requirements),
            granted_at=now,
            granted_by=by,
        )
        append_event(
            AccessGrantEvent,
            grant,
            actor=by,
            actor_name=_actor_name(by),
            transition="grant",
            from_state="",
            to_state=grant.state,
            reason="Project went live.",
        )
        raise_notice("access_grant.granted", grant, actor=by, grant=grant)
        grants.append(grant)
    return grants


def access_grants_review_person(
    *, person: User, by: User | None, reason: str, today: datetime.date | None = None
) -> list[AccessGrant]:
    """Suspend the person's active grants whose requirements no longer hold; reinstate the
    suspended ones (not held by their project, not past their end) whose requirements hold
    again. Returns the grants that changed."""
    today = today or timezone.localdate()
    changed = []
    grants = (
        AccessGrant.objects.select_for_update(of=("self",))
        .filter(person=person, state__in=LIVE)
        .select_related("application", "person")
        .order_by("id")
    )
    vouched = is_vouched(person)
    for grant in grants:
        missing = missing_requirements(person, grant.requirements, today)
        if grant.state == GrantState.ACTIVE and (missing or not vouched):
            needs = [_labels(missing)] if missing else []
            if not vouched:
                needs.append("an organisation that confirms they work there")
            _move_grant(
                grant,
                "suspend",
                by=by,
                reason=f"{reason}. Access needs {' and '.join(needs)}.",
            )
            changed.append(grant)
        elif (
            grant.state == GrantState.SUSPENDED
            and not missing
            and vouched
            and not grant.project_on_hold
            and grant.end_on >= today
        ):
            _move_grant(grant, "reinstate", by=by, reason=reason)
            changed.append(grant)
    return changed


def _grants_of(application: models.Model) -> list[AccessGrant]:
    return list(
        AccessGrant.objects.select_for_update(of=("self",))
        .filter(application=application, state__in=LIVE)
        .select_related("application", "person")
        .order_by("id")
    )


def access_grants_hold_for_application(*, application: models.Model, by: User, reason: str) -> None:
    """The project is suspended: every live grant is held and suspended."""
    for grant in _grants_of(application):
        grant.project_on_hold = True
        if grant.state == GrantState.ACTIVE:
            _move_grant(grant, "suspend", by=by, reason=f"The project is suspended: {reason}")
        else:
            grant.save(update_fields=["project_on_hold"])


def access_grants_release_for_application(
    *, application: models.Model, by: User, reason: str = "", today: datetime.date | None = None
) -> None:
    """The project is reinstated: grants come back for members who are still accredited."""
    today = today or timezone.localdate()
    for grant in _grants_of(application):
        grant.project_on_hold = False
        grant.save(update_fields=["project_on_hold"])
        if grant.end_on >= today and not missing_requirements(
            grant.person, grant.requirements, today
        ):
            _move_grant(grant, "reinstate", by=by, reason=reason or "The project is reinstated.")


def access_grants_end_for_application(*, application: models.Model, by: User, reason: str) -> None:
    """The project is closed: every live grant ends."""
    for grant in _grants_of(application):
        _move_grant(grant, "end", by=by, reason=reason)


def access_grant_end_for_person(
    *, application: models.Model, person: User, by: User, reason: str
) -> AccessGrant | None:
    """One member leaves a live project (an amendment removed them): their grant ends today."""
    grant = next((g for g in _grants_of(application) if g.person_id == person.pk), None)
    if grant is not None:
        _move_grant(grant, "end", by=by, reason=reason)
    return grant


def access_grants_follow_project(
    *,
    application: models.Model,
    end_on: datetime.date,
    requirements: Sequence[str],
    by: User,
    reason: str,
) -> list[AccessGrant]:
    """A live project's end date or requirements changed (an approved amendment): every live
    grant takes the new terms, and its person is checked against them at once (a grant whose
    person lacks a new requirement is suspended until they hold it)."""
    grants = _grants_of(application)
    for grant in grants:
        grant.end_on = end_on
        grant.requirements = list(requirements)
        grant.save(update_fields=["end_on", "requirements"])
    for person in {g.person for g in grants}:
        access_grants_review_person(person=person, by=by, reason=reason)
    return grants


def access_grants_end_due(*, today: datetime.date | None = None) -> list[int]:
    """End every live grant whose last day is before ``today`` (the nightly task; idempotent)."""
    today = today or timezone.localdate()
    ended = []
    for pk in list(
        AccessGrant.objects.filter(state__in=LIVE, end_on__lt=today).values_list("pk", flat=True)
    ):
        with transaction.atomic(), collecting():
            grant = (
                AccessGrant.objects.select_for_update(of=("self",))
                .select_related("application", "person")
                .get(pk=pk)
            )
            if grant.state not in LIVE or grant.end_on >= today:
                continue
            _move_grant(
                grant, "end", by=None, reason=f"The project ended on {grant.end_on:%-d %B %Y}."
            )
            ended.append(pk)
    return ended


# --- the data access agreement ----------------------------------------------------------------


@service
def agreement_publish(*, by: User, title: str, body: str) -> AgreementText:
    """Publish the next version. Earlier versions stay (signatures cite them), and from now on
    access needs signatures against this one."""
    check_publish_agreement(by)
    errors = {}
    if not title.strip():
        errors["title"] = ["Give the agreement a title."]
    if not body.strip():
        errors["body"] = ["Write the text people will sign."]
    if errors:
        raise ValidationFailed("The agreement has problems.", fields=errors)
    # Lock the table's latest row so two publications cannot take the same number.
    list(AgreementText.objects.select_for_update().order_by("-version")[:1])
    latest = AgreementText.objects.aggregate(n=Max("version"))["n"] or 0
    return AgreementText.objects.create(
        version=latest + 1,
        title=title.strip(),
        body=body.strip(),
        published_at=timezone.now(),
        published_by=by,
    )
