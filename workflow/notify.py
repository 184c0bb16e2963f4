"""Who hears about what happens to an application, through the notifications outbox.

Called inside the transaction of the change (``services.core.fire`` and friends), so a
notification exists exactly when its change committed. Messages carry the reference and the
step, not the content: the page behind the link shows the rest to whoever may see it.
"""

from __future__ import annotations

from collections.abc import Iterable

from access.models import Role, User
from notifications.services import notify

from .models import Application, Event, ReviewTrack, State, TrackKind, TrackState

# kind → (subject, body); templates get ``app``, ``event`` and ``recipient``.
MESSAGES: dict[str, tuple[str, str]] = {
    "application.submitted": (
        "{{ app.reference }} was submitted for scoping",
        "Application {{ app.reference }} has been submitted and is now being scoped.",
    ),
    "application.analyst_assigned": (
        "{{ app.reference }}: analyst assigned",
        "{% if app.analyst %}{{ app.analyst.full_name }} is the analyst for application "
        "{{ app.reference }}.{% else %}Application {{ app.reference }} needs an analyst: no "
        "named analyst of its datasets is available.{% endif %}",
    ),
    "application.changes_requested": (
        "{{ app.reference }}: changes requested",
        "Changes have been requested on application {{ app.reference }}. Every point is listed "
        "on the application; answer each one and resubmit.",
    ),
    "application.resubmitted": (
        "{{ app.reference }} was resubmitted",
        "Application {{ app.reference }} has been resubmitted and is back in "
        "{{ app.get_state_display|lower }}.",
    ),
    "application.scoping_completed": (
        "{{ app.reference }} is ready for internal review",
        "Scoping of application {{ app.reference }} is complete; it is now in internal review.",
    ),
    "application.referred": (
        "{{ app.reference }} is in review",
        "Application {{ app.reference }} has been referred for review. It needs your decision "
        "if you sit on one of its panels or own one of its datasets.",
    ),
    "application.rejected": (
        "{{ app.reference }}: decision",
        "A decision has been made on application {{ app.reference }}: it was not approved. "
        "The reasons are on the application.",
    ),
    "application.approved": (
        "{{ app.reference }}: approved",
        "Application {{ app.reference }} has been approved. The decision and any conditions "
        "are on the application.",
    ),
    "application.access_granted": (
        "{{ app.reference }}: access granted",
        "Access for application {{ app.reference }} has been granted.",
    ),
    "application.suspended": (
        "{{ app.reference }}: access suspended",
        "Access for application {{ app.reference }} has been suspended. The reason is on the "
        "application.",
    ),
    "application.reinstated": (
        "{{ app.reference }}: access reinstated",
        "Access for application {{ app.reference }} has been reinstated.",
    ),
    "application.closed": (
        "{{ app.reference }} is closed",
        "Application {{ app.reference }} has been closed.",
    ),
    "application.withdrawn": (
        "{{ app.reference }} was withdrawn",
        "Application {{ app.reference }} has been withdrawn by its team.",
    ),
    "track.ready_to_close": (
        "{{ app.reference }}: the vote can be closed",
        "Enough members have voted on a track you chair for application {{ app.reference }}; "
        "the panel's decision rule now allows you to close it.",
    ),
    "track.decided": (
        "{{ app.reference }}: a review track was decided",
        "One of the reviews of application {{ app.reference }} has been decided.",
    ),
}


def _with_role(role: Role) -> list[User]:
    return list(User.objects.filter(role_assignments__role=role, is_active=True))


def _members(app: Application) -> list[User]:
    return [m.user for m in app.members.select_related("user")]


def _track_deciders(app: Application) -> list[User]:
    from access.models import OrganisationMembership

    people: list[User] = []
    for track in app.tracks.filter(superseded=False, state=TrackState.OPEN):
        people += deciders_of(track)
    org_ids = set(
        app.tracks.filter(
            superseded=False, state=TrackState.OPEN, kind=TrackKind.OWNER_SIGNOFF
        ).values_list("organisation_id", flat=True)
    )
    if org_ids:
        people += [
            m.user
            for m in OrganisationMembership.objects.filter(
                organisation_id__in=org_ids,
                capacity=OrganisationMembership.Capacity.DATA_OWNER,
                user__is_active=True,
            ).select_related("user")
        ]
    return people


def deciders_of(track: ReviewTrack) -> list[User]:
    """Who can act on a panel track now: its panel's current members who have neither voted
    nor declared a conflict (owner tracks are resolved by organisation above)."""
    from .models import ConflictOfInterest, PanelMembership, Vote

    if track.kind == TrackKind.OWNER_SIGNOFF or track.panel_id is None:
        return []
    done = set(Vote.objects.filter(track=track).values_list("member_id", flat=True)) | set(
        ConflictOfInterest.objects.filter(application_id=track.application_id).values_list(
            "user_id", flat=True
        )
    )
    return [
        m.user
        for m in PanelMembership.objects.filter(
            panel_id=track.panel_id, left_on__isnull=True, user__is_active=True
        ).select_related("user")
        if m.user_id not in done
    ]


def notify_chair_ready(*, application: Application, track: ReviewTrack) -> None:
    """Tell the chair, once per track, that the vote can be closed."""
    from .models import PanelMembership

    chairs = [
        m.user
        for m in PanelMembership.objects.filter(
            panel_id=track.panel_id, is_chair=True, left_on__isnull=True
        ).select_related("user")
    ]
    if not chairs:
        return
    subject, body = MESSAGES["track.ready_to_close"]
    notify(
        recipients=chairs,
        kind="track.ready_to_close",
        subject=subject,
        body=body,
        context={"app": application},
        url=f"/reviews/tracks/{track.pk}/",
        about=f"application:{application.pk}",
        dedupe_key=f"track-ready:{track.pk}",
    )


def recipients_for(kind: str, app: Application) -> list[User]:
    # Each list is read only when the kind needs it: a transition pays for its own audience.
    def members() -> list[User]:
        return _members(app)

    def analyst() -> list[User]:
        return [app.analyst] if app.analyst_id else []

    if kind == "application.submitted":
        return members() + (analyst() or _with_role(Role.OPS))
    if kind == "application.analyst_assigned":
        return analyst() or _with_role(Role.OPS)
    if kind in {"application.changes_requested", "application.access_granted"}:
        return members()
    if kind == "application.resubmitted":
        if app.state == State.SCOPING:
            return analyst()
        if app.state == State.INTERNAL_REVIEW:
            return _with_role(Role.REVIEWER)
        return _track_deciders(app)
    if kind == "application.scoping_completed":
        return members() + _with_role(Role.REVIEWER)
    if kind == "application.referred":
        return members() + _track_deciders(app)
    if kind in {"application.approved", "application.rejected"}:
        return (
            members()
            + analyst()
            + _with_role(Role.OPS if kind.endswith("approved") else Role.REVIEWER)
        )
    if kind in {"application.suspended", "application.reinstated", "application.closed"}:
        return members()
    if kind == "application.withdrawn":
        return analyst() + (_with_role(Role.REVIEWER) if app.state != State.DRAFT else [])
    if kind == "track.decided":
        return _with_role(Role.REVIEWER)
    raise KeyError(f"No recipients defined for notification kind {kind!r}")


def notify_transition(*, application: Application, event: Event, notify_kind: str) -> None:
    """Raise the notifications for ``event`` (inside its transaction). The actor is not told
    about what they just did."""
    people = _unique(recipients_for(notify_kind, application), exclude=event.actor_id)
    if not people:
        return
    subject, body = MESSAGES[notify_kind]
    notify(
        recipients=people,
        kind=notify_kind,
        subject=subject,
        body=body,
        context={"app": application, "event": event},
        url=f"/applications/{application.pk}/",
        about=f"application:{application.pk}",
    )


def _unique(people: Iterable[User], *, exclude: int | None) -> list[User]:
    seen: dict[int, User] = {}
    for person in people:
        if person.pk != exclude and person.is_active:
            seen.setdefault(person.pk, person)
    return list(seen.values())
