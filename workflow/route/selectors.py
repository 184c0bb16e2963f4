"""What each person sees: the one home of visibility.

``applications_visible_to(user)`` is every application a person may see, and
``view_of(user, application)`` what they see of one: the whole of it, or (someone who sees it
only as a data owner) their own organisations' part: its datasets, tracks, pre-approval
matches, timeline, clocks and forecast. Every page and endpoint under an application reads
through these; ``workflow.route.policies.can_view`` asks the same question of one object, so the
two cannot disagree. Work queues (analysts, reviewers, panels, owners, signatories) read from
here too, and so does ``next_actors``: who holds an application's next step, which the notices,
the reminders and the "what happens next" of every page share.

Who sees an application whole: its team; its assigned analyst; reviewers, once it has reached
internal review; members of a panel that has (or had) a track on it, so a panel keeps sight of
what it decided; ops. Who sees their own part of it: data owners whose organisation provides a
requested dataset, once it is submitted.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from django.db.models import (
    BooleanField,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Concat

from access.models import OrganisationMembership, Role, User
from access.policy import Permission, has_permission
from access.selectors import RoleDirectory, organisations_of
from catalogue.models import Dataset
from core.api.representation import ORGANISATION_FIELDS
from core.compiled import CompiledValues
from notifications.models import OutboundEmail
from workflow.models import (
    Application,
    ApplicationMember,
    ConflictOfInterest,
    Event,
    EventKind,
    HasTeam,
    PanelMembership,
    ProjectRole,
    RequestedDataset,
    RequestedVariable,
    ReviewTrack,
    StageVisit,
    State,
    TeamInvitation,
    TrackKind,
    TrackState,
    Vote,
)
from workflow.reviews.selectors import (
    current_panel_ids,
    open_track_deciders,
    reviewers_of,
)
from workflow.route.models import OPEN_SCOPING

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    # An application with ``stage_entered_at`` (``with_stage_age``).
    Staged = WithAnnotations[Application, "StageAge"]


class StageAge(TypedDict):
    stage_entered_at: datetime.datetime | None


T = TypeVar("T")


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.is_active


def _whole(user: User) -> Q:
    """The relations that see an application whole (for an ``Application`` queryset)."""
    whole = Q(Exists(ApplicationMember.objects.filter(application=OuterRef("pk"), user=user)))
    if user.has_role(Role.ANALYST):
        whole |= Q(analyst=user)
    if user.has_role(Role.REVIEWER):
        whole |= Q(reached_review=True)
    if user.has_role(Role.PANEL_MEMBER):
        whole |= Q(
            Exists(
                ReviewTrack.objects.filter(
                    application=OuterRef("pk"),
                    panel__memberships__user=user,
                    panel__memberships__left_on__isnull=True,
                )
            )
        )
    return whole


def _owner_part(user: User) -> Q | None:
    """Applications a data owner sees their organisations' part of, or None."""
    if not user.has_role(Role.DATA_OWNER):
        return None
    organisations = organisations_of(user, OrganisationMembership.Capacity.DATA_OWNER)
    if not organisations:
        return None
    return Q(
        Exists(
            RequestedDataset.objects.filter(
                application=OuterRef("pk"), dataset__provider_id__in=organisations
            )
        )
    ) & Q(submitted_at__isnull=False)


def _whole_sets(user: User) -> Q:
    """The applications ``user`` sees whole (the same relations as ``_whole``), for a
    queryset of many: an ``OR`` of one test per relation, each either a column of the
    application (the analyst, ``reached_review``) or membership of a set read from one index
    alone, uncorrelated, so PostgreSQL builds each set once per statement (a hashed subplan):
    the team's from the members' user index, a panel's from ``workflow_track_panel_app_idx``.
    A list then reads ``workflow_app_newest_idx`` in order, testing each row, and stops at
    the page; its count reads the table once. As correlated ``EXISTS`` clauses (``_whole``,
    right for one application) PostgreSQL probed each relation for every application (and
    JIT-compiled the plan); as a ``UNION`` of the sets (issue 24's first step) it joined and
    sorted every visible application for a page: 0.17-0.22 s for a panel member who sees
    15,000 of 100,000."""
    whole = Q(pk__in=ApplicationMember.objects.filter(user=user).values("application_id"))
    if user.has_role(Role.ANALYST):
        whole |= Q(analyst=user)
    if user.has_role(Role.REVIEWER):
        whole |= Q(reached_review=True)
    if user.has_role(Role.PANEL_MEMBER):
        # The panels by their ids (a subquery of the seats), not a join through the panel to
        # its memberships: the join read every track of every panel before filtering.
        seats = PanelMembership.objects.filter(user=user, left_on__isnull=True).values("panel_id")
        whole |= Q(pk__in=ReviewTrack.objects.filter(panel_id__in=seats).values("application_id"))
    return whole


def _owner_ids(user: User) -> QuerySet[Any, Any] | None:
    """The ids of the applications requesting a dataset of the organisations ``user`` is a data
    owner of, or None (``_owner_part`` without its condition on submission, which
    ``_owner_visible`` tests on the application's own row). Read from the index on
    (dataset, application) of the requested datasets alone, for the few datasets the
    catalogue says the organisations provide: no copy of a dataset's provider is kept on the
    application, so a dataset that changes provider (``catalogue.services.dataset_update``)
    changes who sees it at once."""
    if not user.has_role(Role.DATA_OWNER):
        return None
    organisations = organisations_of(user, OrganisationMembership.Capacity.DATA_OWNER)
    if not organisations:
        return None
    datasets = Dataset.objects.filter(provider_id__in=organisations).values("id")
    return (
        RequestedDataset.objects.filter(dataset_id__in=datasets).order_by().values("application_id")
    )


def _owner_visible(owner: QuerySet[Any, Any]) -> Q:
    """A data owner's part of an application: requesting their data, once submitted (a draft
    the team withdrew before submitting it was never sent: the owner never sees it)."""
    return Q(pk__in=owner) & Q(submitted_at__isnull=False)


def applications_visible_to(user: Any) -> QuerySet[Application]:
    """Every application ``user`` may see (whole, or their part of it as a data owner)."""
    applications: QuerySet[Application] = Application.objects.all()
    if not _signed_in(user):
        return applications.none()
    if has_permission(user, Permission.VIEW_ALL_APPLICATIONS):
        return applications
    visible = _whole_sets(user)
    owner = _owner_ids(user)
    if owner is not None:
        visible |= _owner_visible(owner)
    return applications.filter(visible)


def application_views_for(user: Any) -> tuple[QuerySet[Application], QuerySet[Application] | None]:
    """(applications ``user`` sees whole, applications they see only their part of)."""
    if not _signed_in(user):
        return Application.objects.none(), None
    if has_permission(user, Permission.VIEW_ALL_APPLICATIONS):
        return Application.objects.all(), None
    whole = Application.objects.filter(_whole_sets(user))
    owner = _owner_ids(user)
    only_part = (
        Application.objects.filter(_owner_visible(owner)).exclude(pk__in=whole.values("pk"))
        if owner is not None
        else None
    )
    return whole, only_part


@dataclass(frozen=True)
class ApplicationView:
    """What one person sees of one application: the whole of it (``organisations`` is None),
    or only what concerns ``organisations`` (a data owner's part)."""

    organisations: frozenset[int] | None

    @property
    def whole(self) -> bool:
        return self.organisations is None

    def _mine(self, organisation_id: int | None) -> bool:
        return self.organisations is None or organisation_id in self.organisations

    def datasets(self, requested: Iterable[RequestedDataset]) -> list[RequestedDataset]:
        return [rd for rd in requested if self._mine(rd.dataset.provider_id)]

    def tracks(self, tracks: Iterable[T]) -> list[T]:
        """Review tracks (models or rows with ``organisation_id``) this person may see."""
        return [t for t in tracks if self._mine(_get(t, "organisation_id"))]

    def matches(self, matches: Iterable[T]) -> list[T]:
        """Pre-approval matches (with ``provider_id``) of the datasets this person may see."""
        return [m for m in matches if self._mine(_get(m, "provider_id"))]

    def events(self, events: QuerySet[Event]) -> QuerySet[Event]:
        """The timeline: a data owner sees the route and their own organisation's track, not the
        others', nor the team's drafting."""
        if self.organisations is None:
            return events
        return events.filter(
            Q(track__isnull=True) | Q(track__organisation_id__in=self.organisations)
        ).exclude(
            kind__in=[
                EventKind.EDITED,
                EventKind.FEEDBACK_ANSWERED,
                EventKind.SAFEGUARDS_UPDATED,
                EventKind.PUBLIC_BENEFIT_UPDATED,
            ]
        )

    def clocks(self, clocks: Mapping[str, Any]) -> dict[str, Any]:
        """An application's clocks with only the tracks this person may see."""
        return {**clocks, "tracks": self.tracks(clocks.get("tracks", []))}

    def forecast(self, forecast: Mapping[str, Any]) -> dict[str, Any]:
        """A forecast whose steps show only the tracks this person may see."""
        if self.organisations is None:
            return dict(forecast)
        steps = [
            {**step, "tracks": self.tracks(step["tracks"])} if "tracks" in step else step
            for step in forecast.get("steps", [])
        ]
        return {**forecast, "steps": steps}


WHOLE = ApplicationView(organisations=None)


def _get(item: Any, name: str) -> Any:
    return item[name] if isinstance(item, Mapping) else getattr(item, name)


def view_of(user: Any, application: Application) -> ApplicationView | None:
    """What ``user`` sees of ``application`` (None: nothing, so it is not theirs to know it
    exists). One query, kept on the application object for the request."""
    if not _signed_in(user):
        return None
    cache: dict[int, ApplicationView | None] = application.__dict__.setdefault("_views", {})
    if user.pk in cache:
        return cache[user.pk]
    if has_permission(user, Permission.VIEW_ALL_APPLICATIONS):
        cache[user.pk] = WHOLE
        return WHOLE
    whole = _whole(user)
    owner = _owner_part(user)
    visible = whole if owner is None else whole | owner
    seen = (
        Application.objects.filter(pk=application.pk)
        .filter(visible)
        .annotate(whole=ExpressionWrapper(whole, output_field=BooleanField()))
        .values_list("whole", flat=True)
        .first()
    )
    if seen is None:
        view = None
    elif seen:
        view = WHOLE
    else:
        organisations = organisations_of(user, OrganisationMembership.Capacity.DATA_OWNER)
        view = ApplicationView(organisations=frozenset(organisations))
    cache[user.pk] = view
    return view


def tracks_visible_to(user: Any) -> QuerySet[ReviewTrack]:
    """The review tracks ``user`` may see: every track of an application they see whole; their
    own organisations' sign-off of one they see only their part of."""
    tracks: QuerySet[ReviewTrack] = ReviewTrack.objects.all()
    if not _signed_in(user):
        return tracks.none()
    whole, only_part = application_views_for(user)
    visible = Q(application__in=whole)
    if only_part is not None:
        organisations = organisations_of(user, OrganisationMembership.Capacity.DATA_OWNER)
        visible |= Q(application__in=only_part, organisation_id__in=organisations)
    return tracks.filter(visible).select_related(
        "application", "organisation", "decided_by", "panel"
    )


def timeline_for(user: Any, application: Application) -> QuerySet[Event]:
    """The audit trail of ``application`` as ``user`` may see it, oldest first."""
    view = view_of(user, application)
    if view is None:
        return Event.objects.none()
    return view.events(application.events.select_related("track").order_by("created_at", "id"))


# The detail's parts, compiled once per thread (access.compiled): the same four small queries
# for every application, which Django otherwise compiles afresh on every request.
_HEAD = CompiledValues(
    lambda application_id: Application.objects.filter(pk=application_id).values(
        "analyst__full_name",
        *(f"lead_organisation__{name}" for name in ORGANISATION_FIELDS),
    ),
    "application_id",
)
_MEMBERS = CompiledValues(
    lambda application_id: ApplicationMember.objects.filter(application_id=application_id).values(
        "project_role", "user_id", "user__full_name"
    ),
    "application_id",
)
_DATASETS = CompiledValues(
    lambda application_id: RequestedDataset.objects.filter(application_id=application_id).values(
        "id",
        "legal_gateway",
        "justification",
        "dataset__slug",
        "dataset__title",
        "dataset__provider_id",
        "dataset__provider__name",
    ),
    "application_id",
)
_VARIABLES = CompiledValues(
    lambda application_id: (
        RequestedVariable.objects.filter(requested_dataset__application_id=application_id)
        .order_by("requested_dataset_id", "id")
        .values(
            "requested_dataset_id", "justification", "variable__name", "variable__is_identifying"
        )
    ),
    "application_id",
)
_TRACKS = CompiledValues(
    lambda application_id: ReviewTrack.objects.filter(
        application_id=application_id, superseded=False
    ).values(
        "id",
        "kind",
        "state",
        "automatic",
        "round",
        "superseded",
        "version",
        "opened_at",
        "due_date",
        "outcome",
        "rationale",
        "conditions",
        "decided_at",
        "organisation_id",
        *(f"organisation__{name}" for name in ORGANISATION_FIELDS),
        "panel__slug",
        "decided_by_id",
        "decided_by__full_name",
    ),
    "application_id",
)


def application_detail_parts(application_id: int) -> dict[str, Any]:
    """What the API's detail shows beyond the application's own columns, as rows: the
    analyst's name and the lead organisation (``head``), the members, the requested datasets
    (each with its ``variables``) and the current (not superseded) review tracks, in the order
    the detail shows them. Four queries, five when datasets are requested, whatever their
    number; each compiled once per thread."""
    datasets = _DATASETS(application_id=application_id)
    if datasets:
        by_dataset: dict[int, list[dict[str, Any]]] = {d["id"]: [] for d in datasets}
        for variable in _VARIABLES(application_id=application_id):
            by_dataset[variable["requested_dataset_id"]].append(variable)
        for dataset in datasets:
            dataset["variables"] = by_dataset[dataset["id"]]
    (head,) = _HEAD(application_id=application_id) or [{}]
    return {
        "head": head,
        "members": _MEMBERS(application_id=application_id),
        "datasets": datasets,
        "tracks": _TRACKS(application_id=application_id),
    }


def _with_people(applications: QuerySet[Application]) -> QuerySet[Application]:
    return applications.select_related(
        "analyst", "lead_organisation", "created_by"
    ).prefetch_related(
        Prefetch("members", queryset=ApplicationMember.objects.select_related("user")),
    )


def application_list(user: Any) -> QuerySet[Application]:
    """The applications ``user`` sees, with their people (for lists and queues)."""
    return _with_people(applications_visible_to(user))


# The columns the API's list shows (``ApplicationListSerializer``); the long texts are left out.
LIST_COLUMNS = (
    "id",
    "reference",
    "title",
    "state",
    "route",
    "purpose",
    "current_version",
    "submitted_at",
    "updated_at",
    "analyst_id",
)


def application_list_rows(
    applications: QuerySet[Application],
) -> QuerySet[Application, dict[str, Any]]:
    """The API's application list as rows (dicts, not model instances: a page of 50 models was
    most of the list's time): the listed columns of ``applications`` (visible to the caller,
    filtered, ordered: see ``applications_visible_to``), the analyst's name (``analyst_name``),
    and the principal investigator (one per application, a constraint) as ``pi_id`` and
    ``pi_name``. The pagination counts ``applications`` itself, without these joins."""
    # Subqueries per row of the page, not joins: PostgreSQL evaluates them after its top-N
    # sort, for the 50 rows of the page only, where joins were made for every visible
    # application before the sort (0.35 of 0.62 s for a data owner who sees 33,000 of 100,000).
    # The principal investigator is the member row the partial unique index allows one of.
    pi = ApplicationMember.objects.filter(
        application=OuterRef("pk"), project_role=ProjectRole.PRINCIPAL_INVESTIGATOR
    )
    rows: QuerySet[Application, dict[str, Any]] = applications.values(
        *LIST_COLUMNS,
        analyst_name=Subquery(User.objects.filter(pk=OuterRef("analyst_id")).values("full_name")),
        pi_id=Subquery(pi.values("user_id")),
        pi_name=Subquery(pi.values("user__full_name")),
    )
    return rows


def application_detail_queryset() -> QuerySet[Application]:
    """What an application's pages read, in one round of queries (load it through
    ``workflow.route.policies.visible_application``, which decides who sees it)."""
    return (
        _with_people(Application.objects.all())
        .select_related("scoping")
        .prefetch_related(
            Prefetch(
                "requested_datasets",
                queryset=RequestedDataset.objects.select_related(
                    "dataset__provider"
                ).prefetch_related("variables__variable"),
            ),
            Prefetch(
                "tracks",
                queryset=ReviewTrack.objects.select_related("organisation", "panel", "decided_by"),
            ),
        )
    )


def with_stage_age(queryset: QuerySet[Application]) -> QuerySet[Staged]:
    """Annotate ``stage_entered_at``: when the application entered its current state (the
    latest event that moved it there), for the queues' ageing."""
    entered = (
        Event.objects.filter(application=OuterRef("pk"), to_state=OuterRef("state"))
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )
    return queryset.annotate(stage_entered_at=Subquery(entered))


def applications_of_member(user: User) -> QuerySet[Application]:
    """The applications ``user`` is on the team of (a researcher's own list)."""
    return application_list(user).filter(members__user=user).distinct()


# --- work queues --------------------------------------------------------------------------
#
# Every staff queue is a page of rows (dicts) read in one query, sorted by the due date of the
# stage the application is in (the open stage visit's, fixed when the stage started; none last:
# a stage without a target, or the applicant's clock), then longest in the stage. The counts per
# stage are one ``GROUP BY``. Nothing is loaded per row and no list of ids is sent, so a queue
# costs the same few queries at ten applications or a hundred thousand.

# Work still moving through the route (ops's "in progress"): not drafts, not live projects, not
# finished ones.
IN_PROGRESS = (
    State.SCOPING,
    State.CHANGES_REQUESTED,
    State.INTERNAL_REVIEW,
    State.IN_REVIEW,
    State.APPROVED,
    State.SUSPENDED,
)

QUEUE_COLUMNS = ("id", "reference", "title", "state", "analyst_id")


def queue_rows(applications: QuerySet[Application]) -> QuerySet[StageVisit, Any]:
    """``applications`` as queue rows, soonest due first: ``QUEUE_COLUMNS``, the analyst's name,
    and the open stage visit's ``due_on`` and ``entered_at``.

    Read from the open stage visits (one per application, a constraint; its state is the
    application's) in the order of their partial index on (due_on, entered_at), the
    applications a semi-join: PostgreSQL stops at the page instead of joining and sorting every
    application in progress (268 ms for ops at 100,000 applications, in EXPLAIN ANALYZE)."""
    visits: QuerySet[StageVisit] = StageVisit.objects.filter(
        left_at__isnull=True, application__in=applications.order_by().values("pk")
    )
    rows: QuerySet[StageVisit, Any] = visits.values(
        "state",
        "due_on",
        "entered_at",
        id=F("application_id"),
        reference=F("application__reference"),
        title=F("application__title"),
        analyst_id=F("application__analyst_id"),
        analyst_name=F("application__analyst__full_name"),
    ).order_by(F("due_on").asc(nulls_last=True), F("entered_at").asc(nulls_last=True), "event_id")
    return rows


def stage_counts(applications: QuerySet[Application]) -> dict[str, int]:
    """How many of ``applications`` are in each state (one ``GROUP BY``)."""
    return dict(
        # COUNT(*), not COUNT(id): the state index answers it alone (an index-only scan; 74 to
        # 14 ms for ops at 100,000 applications, in EXPLAIN ANALYZE), where counting the ids
        # read every row of the table.
        applications.order_by().values("state").annotate(n=Count("*")).values_list("state", "n")
    )


def search_applications(applications: QuerySet[Application], text: str) -> QuerySet[Application]:
    """``applications`` whose reference or title contains ``text`` (the trigram indexes of
    migration 0013 answer it)."""
    return applications.filter(Q(reference__icontains=text) | Q(title__icontains=text))


def late_only(applications: QuerySet[Application], today: datetime.date) -> QuerySet[Application]:
    """``applications`` whose current stage is past its due date (the open visit's)."""
    late: QuerySet[Application] = applications.filter(
        stage_visits__left_at__isnull=True, stage_visits__due_on__lt=today
    )
    return late


def ops_queue(user: User) -> QuerySet[Application]:
    """Ops's work in progress: every application still moving through the route."""
    applications: QuerySet[Application] = Application.objects.filter(state__in=IN_PROGRESS)
    if not has_permission(user, Permission.ANALYST_ASSIGN):
        return applications.none()
    return applications


def analyst_queue(user: User) -> QuerySet[Application]:
    """An analyst's scoping work: assigned to them, in scoping or back with the team from it."""
    applications: QuerySet[Application] = Application.objects.filter(OPEN_SCOPING, analyst=user)
    return applications


def reviewer_queue(user: User) -> QuerySet[Application]:
    """Applications waiting for internal review, except the reviewer's own (nobody reviews
    their own application: ``workflow.reviews.policies``)."""
    applications: QuerySet[Application] = Application.objects.filter(state=State.INTERNAL_REVIEW)
    if not has_permission(user, Permission.INTERNAL_REVIEW_DECIDE):
        return applications.none()
    return applications.exclude(
        Exists(ApplicationMember.objects.filter(application=OuterRef("pk"), user=user))
    )


def panel_queue(user: User) -> QuerySet[ReviewTrack]:
    """Open panel tracks of the panels ``user`` sits on now, soonest due first. Sitting on the
    panel is what lets them see the application, so no other visibility rule is asked."""
    tracks: QuerySet[ReviewTrack] = ReviewTrack.objects.all()
    return (
        tracks.filter(superseded=False, state=TrackState.OPEN, panel_id__in=current_panel_ids(user))
        .select_related("application", "panel")
        .order_by("due_date", "id")
    )


def panel_marks(user: User, tracks: Iterable[ReviewTrack]) -> dict[int, str]:
    """For a page of panel tracks: ``voted`` or ``conflicted`` per track id (two queries,
    bounded by the page's size)."""
    tracks = list(tracks)
    voted = set(
        Vote.objects.filter(track__in=[t.pk for t in tracks], member=user).values_list(
            "track_id", flat=True
        )
    )
    conflicted = set(
        ConflictOfInterest.objects.filter(
            application_id__in={t.application_id for t in tracks}, user=user
        ).values_list("application_id", flat=True)
    )
    marks: dict[int, str] = {}
    for track in tracks:
        if track.application_id in conflicted:
            marks[track.pk] = "conflicted"
        elif track.pk in voted:
            marks[track.pk] = "voted"
    return marks


def signoff_queue(user: User) -> QuerySet[ReviewTrack]:
    """Open sign-off tracks of the organisations ``user`` is a data owner of, soonest due
    first (their organisation's track is what lets them see the application)."""
    tracks: QuerySet[ReviewTrack] = ReviewTrack.objects.all()
    return (
        tracks.filter(
            superseded=False,
            state=TrackState.OPEN,
            kind=TrackKind.OWNER_SIGNOFF,
            organisation_id__in=organisations_of(user, OrganisationMembership.Capacity.DATA_OWNER),
        )
        .select_related("application", "organisation")
        .order_by("due_date", "id")
    )


@dataclass(frozen=True)
class AnalystLoad:
    """An active analyst and the open scoping work they hold."""

    analyst: User
    open_scopings: int

    @property
    def full_name(self) -> str:
        return self.analyst.full_name


def analyst_load() -> list[AnalystLoad]:
    """Every active analyst with ``open_scopings``, the open scoping work they hold (for ops),
    in two queries whatever the numbers."""

    counts = dict(
        Application.objects.filter(OPEN_SCOPING, analyst__isnull=False)
        .order_by()
        .values("analyst_id")
        .annotate(n=Count("*"))  # from the open scoping index alone
        .values_list("analyst_id", "n")
    )
    analysts = list(
        User.objects.filter(is_active=True, role_assignments__role=Role.ANALYST).order_by(
            "full_name"
        )
    )
    return [AnalystLoad(analyst, counts.get(analyst.pk, 0)) for analyst in analysts]


def applications_to_sign(user: Any) -> QuerySet[Application]:
    """Applications whose lead organisation ``user`` signs for (an ``OrganisationMembership``
    with capacity signatory): they must reach the agreement without otherwise seeing the
    application. Never drafts."""
    applications: QuerySet[Application] = Application.objects.all()
    if not getattr(user, "is_authenticated", False):
        return applications.none()
    organisations = OrganisationMembership.objects.filter(
        user=user, capacity=OrganisationMembership.Capacity.SIGNATORY
    ).values("organisation_id")
    return (
        applications.exclude(state="draft")
        .filter(lead_organisation_id__in=organisations)
        .select_related("lead_organisation")
    )


# --- who holds the next step ----------------------------------------------------------------

# In words, per state (the docs and the pages).
HOLDER_WORDS: dict[str, str] = {
    State.DRAFT: "the research team",
    State.SCOPING: "the assigned analyst (ops, until one is assigned)",
    State.CHANGES_REQUESTED: "the research team",
    State.INTERNAL_REVIEW: "governance reviewers",
    State.IN_REVIEW: "the members of each open panel and the data owners whose sign-off is open",
    State.APPROVED: "ops (to grant access)",
    State.ACTIVE: "the research team",
    State.SUSPENDED: "ops",
    State.REJECTED: "nobody (final)",
    State.WITHDRAWN: "nobody (final)",
    State.CLOSED: "nobody (final)",
}


def next_actors(application: HasTeam, *, directory: RoleDirectory | None = None) -> list[User]:
    """Who holds the application's next step now: whose action it waits for.

    The notices raised by a change, the reminders of the sweep and the "what happens next" of
    the pages all ask this one question. Never anyone on the application's own team unless the
    step is theirs. ``directory`` keeps who holds each role for the life of a sweep.
    """
    directory = directory or RoleDirectory()
    state = application.state
    if state in (State.DRAFT, State.CHANGES_REQUESTED):
        return application.team()
    if state == State.SCOPING:
        if application.analyst is not None:
            return [application.analyst] if application.analyst.is_active else []
        return application.not_on_team(directory(Role.OPS))
    if state == State.INTERNAL_REVIEW:
        return reviewers_of(application, directory)
    if state == State.IN_REVIEW:
        # Its open tracks, read from the database: a whole application, not values of one.
        if not isinstance(application, Application):
            raise TypeError("Who decides an application in review is asked of the application")
        return open_track_deciders(application)
    if state in (State.APPROVED, State.SUSPENDED):
        return application.not_on_team(directory(Role.OPS))
    return []


def with_email_status(rows: QuerySet[TeamInvitation]) -> QuerySet[TeamInvitation]:
    """Invitations, each with ``email_status``: what became of its latest email (``failed``
    once the mail server refused every attempt: the team page and the API say so, and the
    member who invited was told)."""
    latest_email = (
        OutboundEmail.objects.filter(
            about=Concat(Value("invitation:"), Cast(OuterRef("pk"), CharField()))
        )
        .order_by("-id")
        .values("email_status")[:1]
    )
    annotated: QuerySet[TeamInvitation] = rows.select_related("invited_by").annotate(
        email_status=Subquery(latest_email)
    )
    return annotated


def open_invitations(application: Application) -> QuerySet[TeamInvitation]:
    """The application's invitations not yet accepted or withdrawn, oldest first, with
    ``email_status``."""
    return with_email_status(
        TeamInvitation.objects.filter(application=application, status="invited")
    ).order_by("invited_at", "id")
