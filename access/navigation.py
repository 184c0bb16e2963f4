"""The service navigation: which links each person sees, by what they may do.

One list, read by the context processor for every page. Later features add their entry here
(accreditation, agreements, metrics): an entry is shown when the person holds any of its
permissions, or to everyone when it names none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from access.models import OrganisationMembership
from access.policy import Permission, has_permission


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    # Shown to people holding any of these; an empty tuple means everyone (signed in or not).
    permissions: tuple[Permission, ...] = ()
    # Shown only to people who are signed in.
    signed_in: bool = False
    # Shown when this says so (for what is not a permission: a signatory membership).
    show: Callable[[object], bool] | None = None
    # A queue of work the home page may send the person to (not a page about themself).
    queue: bool = True


def _is_signatory(user) -> bool:

    return OrganisationMembership.objects.filter(
        user=user, capacity=OrganisationMembership.Capacity.SIGNATORY
    ).exists()


NAVIGATION: list[NavEntry] = [
    NavEntry("My applications", "workflow:my-applications", (Permission.APPLICATION_CREATE,)),
    NavEntry("Scoping", "workflow:scoping-queue", (Permission.SCOPING_DECIDE,)),
    NavEntry(
        "Internal review", "workflow:internal-review-queue", (Permission.INTERNAL_REVIEW_DECIDE,)
    ),
    NavEntry("Panel reviews", "workflow:panel-queue", (Permission.PANEL_VOTE,)),
    NavEntry("My datasets", "catalogue:owner-datasets", (Permission.CATEGORY_MANAGE,)),
    NavEntry("Sign-off", "workflow:signoff-queue", (Permission.OWNER_TRACK_DECIDE,)),
    NavEntry("Operations", "workflow:ops-dashboard", (Permission.ANALYST_ASSIGN,)),
    NavEntry("Turnaround", "workflow:turnaround", (Permission.METRICS_VIEW,), queue=False),
    NavEntry("My accreditation", "accreditation", (Permission.ACCREDITATION_APPLY,), queue=False),
    NavEntry("Accreditation", "accreditation-queue", (Permission.ACCREDITATION_DECIDE,)),
    NavEntry("Output checks", "workflow:output-requests", (Permission.OUTPUT_CHECK,)),
    NavEntry(
        "Outputs",
        "workflow:output-requests",
        (Permission.OUTPUT_REQUEST,),
        show=lambda user: not has_permission(user, Permission.OUTPUT_CHECK),
        queue=False,
    ),
    NavEntry(
        "Agreements to sign", "workflow:agreements-to-sign", signed_in=True, show=_is_signatory
    ),
    NavEntry("Your account", "account", signed_in=True, queue=False),
    NavEntry("Sessions and tokens", "sessions", signed_in=True, queue=False),
    NavEntry("Catalogue", "catalogue:dataset-list"),
    NavEntry("How to get access", "how-to-get-access"),
    NavEntry("Data-use register", "workflow:register"),
]


def entries_for(user, path: str) -> list[dict]:
    """The navigation items for ``user`` on ``path``, marking the current section."""
    signed_in = bool(getattr(user, "is_authenticated", False))
    items: list[dict[str, Any]] = []
    for entry in NAVIGATION:
        if entry.signed_in and not signed_in:
            continue
        if entry.permissions and not any(has_permission(user, p) for p in entry.permissions):
            continue
        if entry.show is not None and not entry.show(user):
            continue
        href = reverse(entry.url_name)
        items.append({"text": entry.label, "href": href, "active": path.startswith(href)})
    # Only the longest matching prefix is current (/ is never a prefix here).
    active = [i for i in items if i["active"]]
    if len(active) > 1:
        longest = max(active, key=lambda i: len(i["href"]))
        for item in active:
            item["active"] = item is longest
    return items
