"""The stages of the route in plain words, for the "how to get access" page.

``typical_days()`` is the one place the typical time of each stage comes from. Today it gives
the defaults from the sources (SAIL's published figures and this service's targets); when
turnaround metrics exist it reads the live medians instead, and nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass


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


def typical_days() -> dict[str, tuple[int, str]]:
    """Typical time of each stage: (number, unit). The defaults for now; the live medians of
    the turnaround metrics later (the one function to change)."""
    return dict(DEFAULT_TYPICAL)
