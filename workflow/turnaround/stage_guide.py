"""The stages of the route in plain words, for the "how to get access" page.

``typical_days()`` is the one place the typical time of each stage comes from: the live medians
of the turnaround metrics (``workflow.services.metrics``) where enough past applications went
through the stage, else the defaults from the sources (SAIL's published figures and this
service's targets).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from workflow.turnaround import metrics
from workflow.turnaround.models import StoredFigure


@dataclass(frozen=True)
class Stage:
    key: str
    name: str
    who: str
    what: str


STAGES: list[Stage] = [
    Stage(
        "scoping",
        "Scoping with a data analyst",
        "You and a TRE data analyst",
        "An analyst who knows the data works through your request with you: which datasets and "
        "variables answer your question, whether the linkage is feasible, and what support you "
        "need. If anything needs to change, you get every point at once and resubmit.",
    ),
    Stage(
        "internal_review",
        "Internal review",
        "TRE governance staff",
        "Governance staff check the application against the Five Safes (safe people, projects, "
        "settings, data and outputs) before it goes to the panels, so panels see a complete "
        "application.",
    ),
    Stage(
        "panels",
        "Independent panel review",
        "The Independent Governance Review Panel, and the DEA accreditation panel when data "
        "are shared under the Digital Economy Act",
        "Panel members, including members of the public, vote with their reasons; the chair "
        "closes the vote. Each panel decides on its own, at the same time as the data owners.",
    ),
    Stage(
        "owner_signoff",
        "Data owner sign-off",
        "The organisations that provide the data",
        "Each data owner signs off for their own datasets, at the same time as the panels. If "
        "your project falls within a category of use the owner has approved in advance, this "
        "happens at once, automatically.",
    ),
    Stage(
        "grant",
        "Access granted",
        "TRE operations",
        "Once every review has approved and every condition to meet before access is met, "
        "operations open the project's workspace for the named team.",
    ),
]

# Typical times from the sources, used until live turnaround metrics are available.
DEFAULT_TYPICAL = {
    "scoping": (20, "working days"),
    "internal_review": (5, "working days"),
    "panels": (19, "days"),
    "owner_signoff": (10, "working days"),
    "grant": (5, "working days"),
}


# Where each stage's live figure comes from: (stages or tracks, key, working days?).
LIVE_SOURCE = {
    "scoping": ("stages", "scoping", True),
    "internal_review": ("stages", "internal_review", True),
    "panels": ("tracks", "igrp", False),
    "owner_signoff": ("tracks", "owner_signoff", True),
    "grant": ("stages", "approved", True),
}


STORED_KEY = "typical_days"
STORED_FOR = datetime.timedelta(days=1)


def stored_typical_days() -> tuple[dict[str, tuple[int, str]], datetime.datetime]:
    """``typical_days()`` as last stored, and when it was computed: one indexed read. Computed
    and stored when missing or older than ``STORED_FOR`` (beat refreshes it hourly:
    ``refresh_typical_days``)."""
    stored = StoredFigure.objects.filter(key=STORED_KEY).first()
    if stored is None or stored.computed_at < timezone.now() - STORED_FOR:
        return refresh_typical_days()
    return {k: (int(v[0]), str(v[1])) for k, v in stored.value.items()}, stored.computed_at


def refresh_typical_days() -> tuple[dict[str, tuple[int, str]], datetime.datetime]:
    """Compute the typical times again from the turnaround metrics and store them."""
    typical = typical_days()
    now = timezone.now()
    StoredFigure.objects.update_or_create(
        key=STORED_KEY, defaults={"value": typical, "computed_at": now}
    )
    return typical, now


def typical_days() -> dict[str, tuple[int, str]]:
    """Typical time of each stage: (number, unit). The median of the completed visits in the
    turnaround metrics, in the unit of the stage's default, when at least
    ``TURNAROUND_FORECAST_MIN_HISTORY`` visits completed (as the forecast does); the default
    otherwise."""

    summary = metrics.turnaround_summary(metrics.MetricsFilter())
    rows = {
        "stages": {s["stage"]: s for s in summary["stages"]},
        "tracks": {t["kind"]: t for t in summary["tracks"]},
    }
    typical = dict(DEFAULT_TYPICAL)
    for key, (group, name, working) in LIVE_SOURCE.items():
        row = rows[group].get(name)
        if not row or row["count"] < settings.TURNAROUND_FORECAST_MIN_HISTORY:
            continue
        value = row["median_working_days"] if working else row["median_days"]
        if value is not None:
            typical[key] = (max(1, round(value)), "working days" if working else "days")
    return typical
