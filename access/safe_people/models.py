"""Safe people: researcher accreditation, data access agreements and access grants.

Imported by ``access.models`` (so ``from access.models import Accreditation`` works); kept in
its own topic, ``access/safe_people/``. State changes happen only in its ``services.py``: lock,
check policy (403) and state (409) and input (400), transition, save, append the event, raise
the notices, all in one transaction (``core.transitions``, the engine the workflow uses too).

Two machines live here:

* ``Accreditation``: one per person, kind and award. ``applied → accredited | refused``;
  ``accredited → expired`` (the nightly task), ``suspended``, ``revoked``; ``suspended →
  accredited`` (the suspension is lifted) or ``revoked``/``expired``. A renewal is a new
  application: the old award runs to its end and the new one takes over.
* ``AccessGrant``: one per member of a live project. ``active ⇄ suspended → ended``. Suspended at
  once when the member's accreditation lapses (or the project is suspended), reinstated when
  both hold again, ended at the project's end date or when the project closes.

Accreditation and grants point at people and (for grants and signatures) at an application by a
string reference (``"workflow.Application"``), so nothing in ``access`` imports ``workflow``.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import ConcurrentTransitionMixin, FSMField

from core.immutable import ImmutableModel
from core.transitions import transition


class AccreditationKind(models.TextChoices):
    SAFE_RESEARCHER = "safe_researcher", "Safe researcher training"
    DEA_FULL = "dea_full", "DEA accredited researcher (full)"
    DEA_PROVISIONAL = "dea_provisional", "DEA accredited researcher (provisional)"


class Requirement(models.TextChoices):
    """What a project asks of each member; each is met by one or more kinds of accreditation."""

    SAFE_RESEARCHER = "safe_researcher", "Safe researcher training"
    DEA_ACCREDITED = "dea_accredited", "DEA accredited researcher (full or provisional)"


SATISFIED_BY: dict[str, frozenset[str]] = {
    Requirement.SAFE_RESEARCHER: frozenset({AccreditationKind.SAFE_RESEARCHER}),
    Requirement.DEA_ACCREDITED: frozenset(
        {AccreditationKind.DEA_FULL, AccreditationKind.DEA_PROVISIONAL}
    ),
}

# What a person told "you need X" should start: the first kind that meets the requirement.
START_KIND: dict[str, str] = {
    Requirement.SAFE_RESEARCHER: AccreditationKind.SAFE_RESEARCHER,
    Requirement.DEA_ACCREDITED: AccreditationKind.DEA_FULL,
}


def validity_years(kind: str) -> int:
    """How long an award of ``kind`` lasts by default (settings.ACCREDITATION_VALIDITY_YEARS)."""
    return int(settings.ACCREDITATION_VALIDITY_YEARS[kind])


def default_expiry(kind: str, issued_on: datetime.date) -> datetime.date:
    """The day before the anniversary ``validity_years`` later (29 February → 28 February)."""
    years = validity_years(kind)
    try:
        anniversary = issued_on.replace(year=issued_on.year + years)
    except ValueError:  # 29 February into a year without one
        anniversary = issued_on.replace(year=issued_on.year + years, day=28)
    return anniversary - datetime.timedelta(days=1)


class AccreditationState(models.TextChoices):
    APPLIED = "applied", "Applied"
    ACCREDITED = "accredited", "Accredited"
    REFUSED = "refused", "Refused"
    EXPIRED = "expired", "Expired"
    SUSPENDED = "suspended", "Suspended"
    REVOKED = "revoked", "Revoked"


# States in which an award stops counting; a member's grants are re-examined on entering them.
LAPSED_STATES = (
    AccreditationState.EXPIRED,
    AccreditationState.SUSPENDED,
    AccreditationState.REVOKED,
)


class Accreditation(ConcurrentTransitionMixin, models.Model):
    """One award (or application for one) of a kind of accreditation to one person."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="accreditations"
    )
    kind = models.CharField(max_length=30, choices=AccreditationKind.choices)
    state = FSMField(
        max_length=20,
        choices=AccreditationState.choices,
        default=AccreditationState.APPLIED,
        protected=True,
        db_index=True,
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supervised_accreditations",
        help_text="Provisional DEA accreditation: a fully accredited researcher of the same "
        "organisation who directs the work and answers for breaches",
    )
    # Evidence
    issuer = models.CharField(
        max_length=200, help_text="Who awarded it, e.g. 'ONS Safe Researcher Training'"
    )
    certificate_number = models.CharField(max_length=100)
    issued_on = models.DateField()
    expires_on = models.DateField(help_text="Last day it is valid")

    applied_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_reason = models.TextField(blank=True)
    # The last time it stopped counting (expired, suspended or revoked) and why.
    lapsed_at = models.DateTimeField(null=True, blank=True)
    lapse_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["person", "kind", "-issued_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__gt=models.F("issued_on")),
                name="access_accreditation_expires_after_issue",
                violation_error_message="An accreditation must expire after it is issued.",
            ),
            models.CheckConstraint(
                condition=Q(decided_at__isnull=True, decided_by__isnull=True)
                | Q(decided_at__isnull=False, decided_by__isnull=False),
                name="access_accreditation_decided_at_by_together",
            ),
            models.CheckConstraint(
                condition=Q(kind="dea_provisional", supervisor__isnull=False)
                | ~Q(kind="dea_provisional"),
                name="access_accreditation_provisional_has_supervisor",
            ),
            models.CheckConstraint(
                condition=~Q(supervisor=models.F("person")),
                name="access_accreditation_not_own_supervisor",
            ),
            # One application in progress per person and kind (a renewal waits for the decision
            # on the previous one).
            models.UniqueConstraint(
                fields=["person", "kind"],
                condition=Q(state="applied"),
                name="access_accreditation_one_open_application",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.person} ({self.get_state_display()})"

    def is_valid_on(self, day: datetime.date) -> bool:
        return (
            self.state == AccreditationState.ACCREDITED and self.issued_on <= day <= self.expires_on
        )

    # --- transitions: fields in memory only ---------------------------------------------------
    @transition(
        state,
        source=AccreditationState.APPLIED,
        target=AccreditationState.ACCREDITED,
        event="accredit",
        notify="accreditation.accredited",
        role="accreditation_officer",
    )
    def accredit(self) -> None:
        pass

    @transition(
        state,
        source=AccreditationState.APPLIED,
        target=AccreditationState.REFUSED,
        event="refuse",
        notify="accreditation.refused",
        role="accreditation_officer",
    )
    def refuse(self) -> None:
        pass

    @transition(
        state,
        source=AccreditationState.ACCREDITED,
        target=AccreditationState.SUSPENDED,
        event="suspend",
        notify="accreditation.suspended",
        role="accreditation_officer",
    )
    def suspend(self) -> None:
        pass

    @transition(
        state,
        source=AccreditationState.SUSPENDED,
        target=AccreditationState.ACCREDITED,
        event="reinstate",
        notify="accreditation.reinstated",
        role="accreditation_officer",
    )
    def reinstate(self) -> None:
        pass

    @transition(
        state,
        source=[AccreditationState.ACCREDITED, AccreditationState.SUSPENDED],
        target=AccreditationState.REVOKED,
        event="revoke",
        notify="accreditation.revoked",
        role="accreditation_officer",
    )
    def revoke(self) -> None:
        pass

    # Taken by the nightly task only.
    @transition(
        state,
        source=[AccreditationState.ACCREDITED, AccreditationState.SUSPENDED],
        target=AccreditationState.EXPIRED,
        event="expire",
        notify="accreditation.expired",
        role="system",
        system=True,
    )
    def expire(self) -> None:
        pass


class AppendOnlyEvent(ImmutableModel):
    """A row of history: who did what, from which state to which, why, when. Never changed.

    Tamper-evident like the application's events (``core.audit_chain``): each row is chained
    to the previous row of the same award or grant (``prev_hash``, ``hash``) and sealed with
    the audit key (``mac``). ``CHAIN`` names the field that holds the chain's object.
    """

    CHAIN: str = ""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=200)
    transition = models.CharField(max_length=40)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(db_index=True)
    # Empty database defaults keep a hand-written INSERT possible; its empty hash and seal then
    # break the chain, which is the point.
    prev_hash = models.CharField(
        max_length=64, blank=True, default="", db_default="", editable=False
    )
    hash = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)
    mac = models.CharField(max_length=80, blank=True, default="", db_default="", editable=False)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    @classmethod
    def seal_label(cls) -> str:
        return cls._meta.label_lower

    def chain_content(self) -> dict:
        """What ``hash`` covers: the chain's object and every field of the event."""
        return {
            f"{self.CHAIN}_id": getattr(self, f"{self.CHAIN}_id"),
            "actor_id": self.actor_id,
            "actor_name": self.actor_name,
            "transition": self.transition,
            "from_state": self.from_state,
            "to_state": self.to_state,
            "reason": self.reason,
            "created_at": self.created_at,
        }


class AccreditationEvent(AppendOnlyEvent):
    CHAIN = "accreditation"

    accreditation = models.ForeignKey(
        Accreditation, on_delete=models.PROTECT, related_name="events"
    )

    class Meta(AppendOnlyEvent.Meta):
        pass

    def __str__(self) -> str:
        return (
            f"{self.created_at:%Y-%m-%d} {self.transition} of accreditation {self.accreditation_id}"
        )


# --- data access agreement -------------------------------------------------------------------


class CitedAgreementError(RuntimeError):
    """A programming error: something tried to rewrite or delete an agreement people signed."""


class AgreementText(models.Model):
    """One version of the data access agreement. Immutable once anyone has signed it: a change
    is a new version, which everyone signs again before access."""

    version = models.PositiveIntegerField(unique=True)
    title = models.CharField(max_length=200)
    body = models.TextField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    def save(self, *args, **kwargs) -> None:
        # Immutability guard, not business logic: signed text never changes under a signature.
        if not self._state.adding and self.signatures.exists():
            raise CitedAgreementError("A signed agreement is immutable; publish a new version")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.signatures.exists():
            raise CitedAgreementError("A signed agreement is never deleted")
        return super().delete(*args, **kwargs)


class SignatureCapacity(models.TextChoices):
    MEMBER = "member", "Project member"
    ORGANISATION_SIGNATORY = "organisation_signatory", "Signatory of the lead organisation"


class AgreementSignature(models.Model):
    """Someone accepted a version of the agreement for an application, in a capacity."""

    application = models.ForeignKey(
        "workflow.Application", on_delete=models.PROTECT, related_name="agreement_signatures"
    )
    agreement = models.ForeignKey(
        AgreementText, on_delete=models.PROTECT, related_name="signatures"
    )
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="agreement_signatures"
    )
    capacity = models.CharField(max_length=30, choices=SignatureCapacity.choices)
    organisation = models.ForeignKey(
        "access.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="For a signatory: the organisation they signed for",
    )
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["application", "signed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "agreement", "signer", "capacity"],
                name="access_signature_once",
            ),
            models.CheckConstraint(
                condition=Q(capacity="organisation_signatory", organisation__isnull=False)
                | Q(capacity="member", organisation__isnull=True),
                name="access_signature_organisation_for_signatory",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.signer} signed {self.agreement} ({self.get_capacity_display()})"


# --- access grants ----------------------------------------------------------------------------


class GrantState(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    ENDED = "ended", "Ended"


class AccessGrant(ConcurrentTransitionMixin, models.Model):
    """One member's access to a live project's data, from ``start_on`` to ``end_on``."""

    application = models.ForeignKey(
        "workflow.Application", on_delete=models.PROTECT, related_name="access_grants"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_grants"
    )
    start_on = models.DateField()
    end_on = models.DateField(help_text="The project's end date: the grant ends after this day")
    requirements = models.JSONField(
        default=list,
        help_text="What the person must hold throughout (access.safe_people.Requirement codes)",
    )
    state = FSMField(
        max_length=20,
        choices=GrantState.choices,
        default=GrantState.ACTIVE,
        protected=True,
        db_index=True,
    )
    # Held by the project itself (suspended by ops), as opposed to the person's accreditation.
    project_on_hold = models.BooleanField(default=False)
    granted_at = models.DateTimeField()
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.TextField(blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["application", "person"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "person"], name="access_grant_once_per_member"
            ),
            models.CheckConstraint(
                condition=Q(end_on__gte=models.F("start_on")),
                name="access_grant_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"Access of {self.person} to application {self.application_id} ({self.state})"

    @transition(
        state,
        source=GrantState.ACTIVE,
        target=GrantState.SUSPENDED,
        event="suspend",
        notify="access_grant.suspended",
        role="system",
        system=True,
    )
    def suspend(self) -> None:
        pass

    @transition(
        state,
        source=GrantState.SUSPENDED,
        target=GrantState.ACTIVE,
        event="reinstate",
        notify="access_grant.reinstated",
        role="system",
        system=True,
    )
    def reinstate(self) -> None:
        pass

    @transition(
        state,
        source=[GrantState.ACTIVE, GrantState.SUSPENDED],
        target=GrantState.ENDED,
        event="end",
        notify="access_grant.ended",
        role="system",
        system=True,
    )
    def end(self) -> None:
        pass


class AccessGrantEvent(AppendOnlyEvent):
    CHAIN = "grant"

    grant = models.ForeignKey(AccessGrant, on_delete=models.PROTECT, related_name="events")

    class Meta(AppendOnlyEvent.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d} {self.transition} of access grant {self.grant_id}"


__all__ = [
    "LAPSED_STATES",
    "SATISFIED_BY",
    "START_KIND",
    "AccessGrant",
    "AccessGrantEvent",
    "Accreditation",
    "AccreditationEvent",
    "AccreditationKind",
    "AccreditationState",
    "AgreementSignature",
    "AgreementText",
    "CitedAgreementError",
    "GrantState",
    "Requirement",
    "SignatureCapacity",
    "default_expiry",
    "validity_years",
]
