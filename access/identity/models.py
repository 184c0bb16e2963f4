"""Identity: how a person is known here, and which organisation vouches for them.

A person's **affiliation** to an organisation is what the organisation says about them, not
what they say about themselves: it is ``pending`` until the organisation's authorised
signatory (or a user manager the organisation delegated) confirms it, and ``lapsed`` once the
organisation says the person has left. One machine per (person, organisation) claim:

    pending → confirmed (confirm) → lapsed (lapse)
    pending → declined (decline)

``User.affiliation`` mirrors the confirmed one (set on confirm, cleared on lapse), so the rest
of the service (supervisors, the register, the team pages) reads one field as before.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import ConcurrentTransitionMixin, FSMField

from access.safe_people.models import AppendOnlyEvent
from core.transitions import transition


class AffiliationState(models.TextChoices):
    PENDING = "pending", "Waiting for the organisation"
    CONFIRMED = "confirmed", "Confirmed by the organisation"
    DECLINED = "declined", "Not confirmed by the organisation"
    LAPSED = "lapsed", "Left the organisation"


LIVE_AFFILIATION = (AffiliationState.PENDING, AffiliationState.CONFIRMED)


class Affiliation(ConcurrentTransitionMixin, models.Model):
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="affiliations"
    )
    organisation = models.ForeignKey(
        "access.Organisation", on_delete=models.PROTECT, related_name="affiliations"
    )
    state = FSMField(
        max_length=20,
        choices=AffiliationState.choices,
        default=AffiliationState.PENDING,
        protected=True,
        db_index=True,
    )
    position = models.CharField(
        max_length=200, blank=True, help_text="Their post, as they gave it (e.g. Research fellow)"
    )
    requested_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(blank=True, help_text="Why it was declined or lapsed")

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "organisation"],
                condition=Q(state__in=["pending", "confirmed"]),
                name="access_one_live_affiliation_per_organisation",
            ),
            models.CheckConstraint(
                condition=Q(decided_at__isnull=True, decided_by__isnull=True)
                | Q(decided_at__isnull=False, decided_by__isnull=False),
                name="access_affiliation_decided_together",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True, ended_by__isnull=True)
                | Q(ended_at__isnull=False, ended_by__isnull=False),
                name="access_affiliation_ended_together",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} at {self.organisation} ({self.get_state_display()})"

    # --- transitions: fields in memory only ---------------------------------------------------
    @transition(
        state,
        source=AffiliationState.PENDING,
        target=AffiliationState.CONFIRMED,
        event="confirm",
        notify="affiliation.confirmed",
        role="signatory",
    )
    def confirm(self) -> None:
        pass

    @transition(
        state,
        source=AffiliationState.PENDING,
        target=AffiliationState.DECLINED,
        event="decline",
        notify="affiliation.declined",
        role="signatory",
    )
    def decline(self) -> None:
        pass

    @transition(
        state,
        source=AffiliationState.CONFIRMED,
        target=AffiliationState.LAPSED,
        event="lapse",
        notify="affiliation.lapsed",
        role="signatory",
    )
    def lapse(self) -> None:
        pass


class AffiliationEvent(AppendOnlyEvent):
    CHAIN = "affiliation"

    affiliation = models.ForeignKey(Affiliation, on_delete=models.PROTECT, related_name="events")

    class Meta(AppendOnlyEvent.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d} {self.transition} of affiliation {self.affiliation_id}"


class Registration(models.Model):
    """An email address someone asked to register with, until they follow the link sent to it
    (a signed, expiring token over this row's id and address; ``access/identity/tokens.py``).
    Completed registrations keep ``completed_at`` so a link works once."""

    email = models.EmailField()
    full_name = models.CharField(max_length=200)
    organisation = models.ForeignKey(
        "access.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"Registration of {self.email}"


__all__ = [
    "LIVE_AFFILIATION",
    "Affiliation",
    "AffiliationEvent",
    "AffiliationState",
    "Registration",
]
