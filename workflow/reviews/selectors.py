"""Reads of the reviews: who sits on which panel, who can decide a track now, the votes, and
the open round of feedback. (Which tracks each person sees, and their queues, are read with the
rest of what they see: ``workflow.route.selectors``.)"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from access.models import OrganisationMembership, Role, User
from access.selectors import RoleDirectory, organisation_people
from workflow.models import (
    Application,
    ConflictOfInterest,
    FeedbackItem,
    FeedbackRequest,
    HasTeam,
    LegalGateway,
    Panel,
    PanelMembership,
    ReviewTrack,
    TrackKind,
    TrackState,
    Vote,
)

# --- relations ------------------------------------------------------------------------------


def current_panel_ids(user: User) -> set[int]:
    """Panels ``user`` sits on now (read once per user object)."""
    cache: dict[str, set[int]] = user.__dict__.setdefault("_panel_seats", {})
    if "member" not in cache:
        seats = list(
            PanelMembership.objects.filter(user=user, left_on__isnull=True).values_list(
                "panel_id", "is_chair"
            )
        )
        cache["member"] = {panel for panel, _ in seats}
        cache["chair"] = {panel for panel, chair in seats if chair}
    return cache["member"]


def chaired_panel_ids(user: User) -> set[int]:
    current_panel_ids(user)
    chaired: set[int] = user.__dict__["_panel_seats"]["chair"]
    return chaired


def is_conflicted(user: User, application: Application | int) -> bool:
    application_id = application if isinstance(application, int) else application.pk
    return ConflictOfInterest.objects.filter(application_id=application_id, user=user).exists()


# --- who can decide a track now -------------------------------------------------------------


def track_audience(track: ReviewTrack) -> list[User]:
    """Who was asked to decide ``track``, whatever its state: its panel's current members, or
    the data owners of its organisation. Never a member of the application's team."""
    if track.kind == TrackKind.OWNER_SIGNOFF:
        if track.organisation_id is None:  # never: a sign-off names its organisation
            return []
        people = organisation_people(
            [track.organisation_id], OrganisationMembership.Capacity.DATA_OWNER
        )
        return track.application.not_on_team(people)
    if track.panel_id is None:  # never: a panel track names its panel
        return []
    seats = PanelMembership.objects.filter(
        panel_id=track.panel_id, left_on__isnull=True, user__is_active=True
    ).select_related("user")
    return track.application.not_on_team(m.user for m in seats)


def track_deciders(track: ReviewTrack) -> list[User]:
    """Who can act on ``track`` now (nobody once it is decided or closed).

    A panel track: its panel's current members who have neither voted nor declared a conflict,
    and the chair, who closes the vote. An owner's sign-off: the data owners of its
    organisation. Never a member of the application's team.
    """
    return deciders_of(track, DecidingFacts.read([track]))


@dataclass
class DecidingFacts:
    """What ``track_deciders`` reads, read for many tracks at once (the reminder sweep asks it
    of a thousand tracks in four queries, not three queries a track)."""

    done: dict[int, set[int]]  # track id -> members who voted on it or declared a conflict
    seats: dict[int, list[PanelMembership]]  # panel id -> its current seats of active people
    owners: dict[int, list[User]]  # organisation id -> its active data owners

    @classmethod
    def read(cls, tracks: Iterable[ReviewTrack]) -> DecidingFacts:
        tracks = [t for t in tracks if t.state == TrackState.OPEN and not t.superseded]
        panel_tracks = [t for t in tracks if t.kind != TrackKind.OWNER_SIGNOFF and t.panel_id]
        done: dict[int, set[int]] = {t.pk: set() for t in panel_tracks}
        seats: dict[int, list[PanelMembership]] = {}
        owners: dict[int, list[User]] = {}
        if panel_tracks:
            for track_id, member_id in Vote.objects.filter(track_id__in=list(done)).values_list(
                "track_id", "member_id"
            ):
                done[track_id].add(member_id)
            conflicted: dict[int, set[int]] = {}
            for application_id, user_id in ConflictOfInterest.objects.filter(
                application_id__in={t.application_id for t in panel_tracks}
            ).values_list("application_id", "user_id"):
                conflicted.setdefault(application_id, set()).add(user_id)
            for t in panel_tracks:
                done[t.pk] |= conflicted.get(t.application_id, set())
            panels = {t.panel_id for t in panel_tracks}
            seats = {pk: [] for pk in panels if pk is not None}
            for seat in PanelMembership.objects.filter(
                panel_id__in=list(seats), left_on__isnull=True, user__is_active=True
            ).select_related("user"):
                seats[seat.panel_id].append(seat)
        organisations = {
            t.organisation_id
            for t in tracks
            if t.kind == TrackKind.OWNER_SIGNOFF and t.organisation_id is not None
        }
        if organisations:
            by_org: dict[int, dict[int, User]] = {pk: {} for pk in organisations}
            for membership in (
                OrganisationMembership.objects.filter(
                    organisation_id__in=organisations,
                    capacity=OrganisationMembership.Capacity.DATA_OWNER,
                    user__is_active=True,
                )
                .select_related("user")
                .order_by("user_id")
            ):
                by_org[membership.organisation_id].setdefault(membership.user_id, membership.user)
            owners = {pk: list(people.values()) for pk, people in by_org.items()}
        return cls(done=done, seats=seats, owners=owners)


def deciders_of(track: ReviewTrack, facts: DecidingFacts) -> list[User]:
    """``track_deciders`` from ``facts`` read for it (``DecidingFacts.read``)."""
    if track.state != TrackState.OPEN or track.superseded:
        return []
    if track.kind == TrackKind.OWNER_SIGNOFF:
        if track.organisation_id is None:  # never: a check constraint
            return []
        return track.application.not_on_team(facts.owners.get(track.organisation_id, []))
    if track.panel_id is None:  # never: a panel track is opened with its panel
        return []
    done = facts.done.get(track.pk, set())
    people = [
        m.user for m in facts.seats.get(track.panel_id, []) if m.user_id not in done or m.is_chair
    ]
    return track.application.not_on_team(people)


def track_voters(track: ReviewTrack) -> list[User]:
    """The current members of the track's panel who have voted on it (not conflicted)."""
    conflicted = set(
        ConflictOfInterest.objects.filter(application_id=track.application_id).values_list(
            "user_id", flat=True
        )
    )
    voted = set(Vote.objects.filter(track=track).values_list("member_id", flat=True))
    if track.panel_id is None:  # an owner's sign-off: nobody votes
        return []
    seats = PanelMembership.objects.filter(
        panel_id=track.panel_id, left_on__isnull=True, user__is_active=True
    ).select_related("user")
    people = [m.user for m in seats if m.user_id in voted and m.user_id not in conflicted]
    return track.application.not_on_team(people)


def open_tracks(application: Application) -> list[ReviewTrack]:
    """The application's open tracks, oldest first: from what its page loaded with it
    (``application_detail_queryset``) when it did, else one query."""
    if "tracks" in getattr(application, "_prefetched_objects_cache", {}):
        tracks = [
            t for t in application.tracks.all() if not t.superseded and t.state == TrackState.OPEN
        ]
        return sorted(tracks, key=lambda t: t.pk)
    return list(application.tracks.filter(superseded=False, state=TrackState.OPEN).order_by("id"))


def open_track_deciders_by_track(application: Application) -> dict[int, list[User]]:
    """``track_deciders`` of every open track of the application at once, by track id: the
    votes, the conflicts, the panels' seats and the owners' people read once each (at most four
    queries whatever the number of tracks; an application's page asked five per track, three
    times over). Kept on an application loaded with its tracks (a page's: what it shows is
    that moment's), read again for any other."""
    loaded = "tracks" in getattr(application, "_prefetched_objects_cache", {})
    if loaded and "_deciders_by_track" in application.__dict__:
        kept: dict[int, list[User]] = application.__dict__["_deciders_by_track"]
        return kept
    tracks = open_tracks(application)
    facts = DecidingFacts.read(tracks)
    deciders = {track.pk: deciders_of(track, facts) for track in tracks}
    if loaded:
        application.__dict__["_deciders_by_track"] = deciders
    return deciders


def open_track_deciders(application: Application) -> list[User]:
    """Everyone who can decide one of the application's open tracks now."""
    by_track = open_track_deciders_by_track(application)
    return application.not_on_team(person for people in by_track.values() for person in people)


def panel_chairs(track: ReviewTrack) -> list[User]:
    if track.panel_id is None:  # an owner's sign-off
        return []
    seats = PanelMembership.objects.filter(
        panel_id=track.panel_id, is_chair=True, left_on__isnull=True, user__is_active=True
    ).select_related("user")
    return track.application.not_on_team(m.user for m in seats)


def reviewers_of(application: HasTeam, directory: RoleDirectory | None = None) -> list[User]:
    """Governance reviewers, minus the application's team."""
    return application.not_on_team((directory or RoleDirectory())(Role.REVIEWER))


# --- which tracks an application needs ---------------------------------------------------------


def active_panel(kind: str) -> Panel | None:
    return Panel.objects.filter(track_kind=kind, is_active=True).first()


def required_tracks(application: Application) -> list[tuple[str, int | None]]:
    """(kind, organisation id) of every track this application needs."""
    if "requested_datasets" in getattr(application, "_prefetched_objects_cache", {}):
        # What the application's page loaded with it (with each dataset): no second read.
        requested = list(application.requested_datasets.all())
    else:
        requested = list(application.requested_datasets.select_related("dataset"))
    needed: list[tuple[str, int | None]] = [(TrackKind.IGRP, None)]
    if any(rd.legal_gateway == LegalGateway.DEA_RESEARCH for rd in requested):
        needed.append((TrackKind.DEA_PANEL, None))
    for org_id in sorted({rd.dataset.provider_id for rd in requested}):
        needed.append((TrackKind.OWNER_SIGNOFF, org_id))
    return needed


def votes_on(track: ReviewTrack) -> QuerySet[Vote]:
    return Vote.objects.filter(track=track).select_related("member").order_by("cast_at", "id")


def vote_of(user: User, track: ReviewTrack) -> Vote | None:
    return Vote.objects.filter(track=track, member=user).first()


# --- consolidated feedback ------------------------------------------------------------------


def open_feedback_request(application: Application) -> FeedbackRequest | None:
    """The round of feedback the team is answering now, if any."""
    return application.feedback_requests.filter(resolved_at__isnull=True).order_by("-round").first()


def open_feedback_items(application: Application) -> list[FeedbackItem]:
    request = (
        application.feedback_requests.filter(resolved_at__isnull=True)
        .prefetch_related("items")
        .order_by("-round")
        .first()
    )
    return list(request.items.all()) if request else []


def feedback_rounds(application: Application) -> QuerySet[FeedbackRequest]:
    return application.feedback_requests.select_related("requested_by").prefetch_related(
        "items__responded_by"
    )
