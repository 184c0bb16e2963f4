"""The one decision letter: every track's outcome, rationale and conditions together."""

from __future__ import annotations

from typing import Any

from workflow.models import Application, Event, EventKind, ReviewTrack, TrackKind

DECISION_EVENTS = (EventKind.APPROVED, EventKind.REJECTED, EventKind.REVISION_REQUESTED)


def decision_letter(application: Application) -> dict[str, Any] | None:
    """The latest decision on ``application``, or None before there is one."""
    event: Event | None = (
        application.events.filter(kind__in=DECISION_EVENTS).order_by("-created_at", "-id").first()
    )
    if event is None:
        return None
    track_ids = event.payload.get("track_ids", [])
    tracks = (
        ReviewTrack.objects.filter(pk__in=track_ids)
        .select_related("panel", "organisation")
        .prefetch_related("pre_approved__category_version", "pre_approved__dataset")
        .order_by("kind", "organisation__name")
    )
    outcomes: dict[str, str] = {
        EventKind.APPROVED: "approved",
        EventKind.REJECTED: "rejected",
        EventKind.REVISION_REQUESTED: "revise_and_resubmit",
    }
    outcome = outcomes[event.kind]
    items = []
    for t in tracks:
        if t.kind == TrackKind.OWNER_SIGNOFF:
            name = f"Data owner sign-off: {t.organisation.name}"
        else:
            name = t.panel.name if t.panel_id else t.get_kind_display()
        items.append(
            {
                "track_id": t.pk,
                "kind": t.kind,
                "name": name,
                "outcome": t.outcome,
                "rationale": t.rationale,
                "conditions": t.conditions,
                "decided_at": t.decided_at,
                "automatic": t.automatic,
                "pre_approved": [
                    {
                        "dataset": m.dataset.slug,
                        "category": m.category_version.citation,
                        "title": m.category_version.title,
                    }
                    for m in t.pre_approved.all()
                ],
            }
        )
    conditions: list[str] = []
    for item in items:
        for c in item["conditions"]:
            if c not in conditions:
                conditions.append(c)
    return {
        "reference": application.reference,
        "title": application.title,
        "outcome": outcome,
        "decided_at": event.created_at,
        "version": event.version,
        # A rejection at internal review has no tracks: its reason is the letter's text.
        "reason": event.reason,
        "tracks": items,
        "conditions": conditions,
    }
