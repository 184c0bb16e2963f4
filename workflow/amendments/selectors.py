"""Reads of amendments: the route as explained now or as frozen, what a person may do, the
decision letter of an amendment, and turnaround per amendment type for the dashboard."""

from __future__ import annotations

from collections import defaultdict
from statistics import median
from typing import Any

from workflow.amendments import routing
from workflow.amendments.models import (
    Amendment,
    AmendmentState,
    AmendmentTrackState,
    ChangeType,
    RouteRule,
)
from workflow.turnaround.calendar import workdays_between


def routing_of(amendment: Amendment) -> dict[str, Any]:
    """The frozen route once submitted; for a draft, the route it would take now."""
    if amendment.state == AmendmentState.DRAFT:
        steps = routing.explain(amendment.application, amendment.changes)
        route = [s.as_dict() for s in steps]
        plans = [p.__dict__ for p in routing.tracks_of(steps)]
    else:
        route = amendment.route
        plans = [
            {
                "reviewer": t.reviewer,
                "organisation_id": t.organisation_id,
                "name": t.name,
                "target_days": workdays_between(t.opened_at.date(), t.due_date),
                "reasons": t.reasons,
            }
            for t in amendment.tracks.select_related("organisation").order_by("id")
        ]
    return {
        "amendment": amendment.pk,
        "frozen": amendment.state != AmendmentState.DRAFT,
        "takes_effect_at_once": not any(s.get("opens_track") for s in route),
        "route": route,
        "tracks": plans,
    }


def amendment_letter(amendment: Amendment) -> dict[str, Any] | None:
    """The decision letter of a decided amendment: it cites the amendment, its changes and
    each track's decision, and the pre-approved categories that skipped an owner."""
    if amendment.state not in (AmendmentState.APPROVED, AmendmentState.REJECTED):
        return None
    return {
        "reference": amendment.application.reference,
        "title": amendment.application.title,
        "amendment": amendment.number,
        "outcome": amendment.state,
        "decided_at": amendment.decided_at,
        "version": amendment.version,
        "changes": [
            s["summary"]
            for s in {s["change"]: s for s in amendment.route}.values()  # one per change
        ],
        "tracks": [
            {
                "name": t.name,
                "outcome": t.get_outcome_display(),
                "rationale": t.rationale,
                "decided_at": t.decided_at,
                "decided_by": str(t.decided_by) if t.decided_by else "",
            }
            for t in amendment.tracks.select_related("organisation", "decided_by").order_by("id")
            if t.state == AmendmentTrackState.DECIDED
        ],
        "pre_approved": [s["pre_approved"] for s in amendment.route if s.get("pre_approved")],
    }


def turnaround_by_type() -> list[dict[str, Any]]:
    """Decided amendments' turnaround (submitted to decided, working days) per change type, with
    the target of that type (the longest target among its rules) and how many met it."""
    targets: dict[str, int] = defaultdict(int)
    for rule in RouteRule.objects.filter(active=True):
        targets[rule.change_type] = max(targets[rule.change_type], rule.target_days)
    days: dict[str, list[int]] = defaultdict(list)
    decided = Amendment.objects.filter(
        state__in=(AmendmentState.APPROVED, AmendmentState.REJECTED),
        submitted_at__isnull=False,
        decided_at__isnull=False,
    ).only("changes", "submitted_at", "decided_at")
    for amendment in decided:
        taken = workdays_between(amendment.submitted_at.date(), amendment.decided_at.date())
        for kind in amendment.types:
            days[kind].append(taken)
    open_count: dict[str, int] = defaultdict(int)
    for amendment in Amendment.objects.filter(state=AmendmentState.IN_REVIEW).only("changes"):
        for kind in amendment.types:
            open_count[kind] += 1
    rows = []
    for kind in ChangeType:
        spent = days.get(kind.value, [])
        target = targets.get(kind.value, 0)
        rows.append(
            {
                "change_type": kind.value,
                "label": kind.label,
                "decided": len(spent),
                "open": open_count.get(kind.value, 0),
                "median_working_days": median(spent) if spent else None,
                "target_working_days": target,
                "within_target": sum(1 for d in spent if d <= target),
            }
        )
    return rows


__all__ = [
    "amendment_letter",
    "routing_of",
    "turnaround_by_type",
]
