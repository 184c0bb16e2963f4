"""Reads that decide what each person sees. Views never filter by hand."""

from __future__ import annotations

from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)

from access.api.representation import ORGANISATION_FIELDS
from access.compiled import CompiledValues
from access.models import OrganisationMembership, Role, User
from access.policy import Permission, has_permission

from .models import (
    Application,
    ApplicationMember,
    Event,
    EventKind,
    ProjectRole,
    RequestedDataset,
    RequestedVariable,
    ReviewTrack,
    State,
    TrackKind,
    TrackState,
)
from .rules import data_owner_organisation_ids, is_member, sits_on_an_open_track


def applications_visible_to(user) -> QuerySet[Application]:
    """Every application ``user`` may see (see ``rules.may_view`` for the same rule per object)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Application.objects.none()
    qs = Application.objects.all()
    if has_permission(user, Permission.VIEW_ALL_APPLICATIONS):
        return qs
    visible = Q(Exists(ApplicationMember.objects.filter(application=OuterRef("pk"), user=user)))
    if user.has_role(Role.ANALYST):
        visible |= Q(analyst=user)
    if user.has_role(Role.REVIEWER):
        visible |= Q(
            Exists(
                Event.objects.filter(application=OuterRef("pk"), kind=EventKind.SCOPING_COMPLETED)
            )
        )
    if user.has_role(Role.PANEL_MEMBER):
        visible |= Q(
            Exists(
                ReviewTrack.objects.filter(
                    application=OuterRef("pk"),
                    superseded=False,
                    state=TrackState.OPEN,
                    panel__memberships__user=user,
                    panel__memberships__left_on__isnull=True,
                )
            )
        )
    if user.has_role(Role.DATA_OWNER):
        owner_orgs = OrganisationMembership.objects.filter(
            user=user, capacity=OrganisationMembership.Capacity.DATA_OWNER
        ).values("organisation_id")
        visible |= Q(
            Exists(
                RequestedDataset.objects.filter(
                    application=OuterRef("pk"), dataset__provider_id__in=owner_orgs
                )
            )
        ) & ~Q(state=State.DRAFT)
    return qs.filter(visible)


def application_list(user) -> QuerySet[Application]:
    return (
        applications_visible_to(user)
        .select_related("analyst", "lead_organisation", "created_by")
        .prefetch_related(
            Prefetch("members", queryset=ApplicationMember.objects.select_related("user")),
        )
    )


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


def application_list_rows(applications: QuerySet[Application]) -> QuerySet[Application]:
    """The API's application list as rows (dicts, not model instances: a page of 50 models was
    most of the list's time): the listed columns of ``applications`` (visible to the caller,
    filtered, ordered: see ``applications_visible_to``), the analyst's name (``analyst_name``),
    and the principal investigator (one per application, a constraint) as ``pi_id`` and
    ``pi_name``. The pagination counts ``applications`` itself, without these joins."""
    # Joins, not subqueries per row: the analyst on the foreign key, the principal investigator
    # on the member row the partial unique index allows one of (so no row is repeated).
    return applications.annotate(
        pi=FilteredRelation(
            "members", condition=Q(members__project_role=ProjectRole.PRINCIPAL_INVESTIGATOR)
        )
    ).values(
        *LIST_COLUMNS,
        analyst_name=F("analyst__full_name"),
        pi_id=F("pi__user_id"),
        pi_name=F("pi__user__full_name"),
    )


def application_detail_queryset(user) -> QuerySet[Application]:
    return (
        application_list(user)
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


def application_detail_parts(application_id: int) -> dict:
    """What the API's detail shows beyond the application's own columns, as rows: the
    analyst's name and the lead organisation (``head``), the members, the requested datasets
    (each with its ``variables``) and the current (not superseded) review tracks, in the order
    the detail shows them. Four queries, five when datasets are requested, whatever their
    number; each compiled once per thread."""
    datasets = _DATASETS(application_id=application_id)
    if datasets:
        by_dataset: dict[int, list[dict]] = {d["id"]: [] for d in datasets}
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


def owner_only_organisations(user, application: Application) -> set[int] | None:
    """When ``user`` sees the application only as a data owner, the organisations whose parts
    they may see; ``None`` when they see all of it."""
    if has_permission(user, Permission.VIEW_ALL_APPLICATIONS) or is_member(user, application):
        return None
    if user.has_role(Role.ANALYST) and application.analyst_id == user.pk:
        return None
    if (
        user.has_role(Role.REVIEWER)
        and application.events.filter(kind=EventKind.SCOPING_COMPLETED).exists()
    ):
        return None
    if user.has_role(Role.PANEL_MEMBER) and sits_on_an_open_track(user, application):
        return None
    return data_owner_organisation_ids(user)


def timeline_for(user, application: Application) -> QuerySet[Event]:
    events = application.events.select_related("track").order_by("created_at", "id")
    orgs = owner_only_organisations(user, application)
    if orgs is not None:
        # An owner sees the route and their own organisation's track, not the others'.
        events = events.filter(Q(track__isnull=True) | Q(track__organisation_id__in=orgs))
        events = events.exclude(
            kind__in=[
                EventKind.EDITED,
                EventKind.FEEDBACK_ANSWERED,
                EventKind.SAFEGUARDS_UPDATED,
                EventKind.PUBLIC_BENEFIT_UPDATED,
            ]
        )
    return events


def review_tracks_visible_to(user) -> QuerySet[ReviewTrack]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ReviewTrack.objects.none()
    apps = applications_visible_to(user)
    qs = ReviewTrack.objects.filter(application__in=apps).select_related(
        "application", "organisation", "decided_by"
    )
    if has_permission(user, Permission.VIEW_ALL_APPLICATIONS):
        return qs
    # Owner-only viewers see only their own organisation's tracks; everyone else who can see
    # the application sees all of its tracks.
    owner_orgs = data_owner_organisation_ids(user)
    full = Q(application__members__user=user) | Q(application__analyst=user)
    if user.has_role(Role.REVIEWER):
        full |= Q(
            Exists(
                Event.objects.filter(
                    application=OuterRef("application"), kind=EventKind.SCOPING_COMPLETED
                )
            )
        )
    if user.has_role(Role.PANEL_MEMBER):
        full |= Q(panel__memberships__user=user, panel__memberships__left_on__isnull=True)
    return qs.filter(full | Q(organisation_id__in=owner_orgs)).distinct()


# --- work queues (the web pages) -----------------------------------------------------------

# An analyst's open scoping work: being scoped, or sent back to the team from scoping. The
# automatic assignment (services.applications.choose_analyst) balances the same load.
OPEN_SCOPING = Q(state=State.SCOPING) | Q(
    state=State.CHANGES_REQUESTED, changes_requested_from=State.SCOPING
)


def with_stage_age(queryset: QuerySet[Application]) -> QuerySet[Application]:
    """Annotate ``stage_entered_at``: when the application entered its current state (the
    latest event that moved it there), for the queues' ageing."""
    entered = (
        Event.objects.filter(application=OuterRef("pk"), to_state=OuterRef("state"))
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )
    return queryset.annotate(stage_entered_at=Subquery(entered))


def applications_of_member(user) -> QuerySet[Application]:
    """The applications ``user`` is on the team of (a researcher's own list)."""
    return application_list(user).filter(members__user=user).distinct()


def scoping_queue(user) -> QuerySet[Application]:
    """The applications assigned to ``user`` as analyst that are in scoping or back with the
    team from scoping, oldest in their stage first."""
    qs = application_list(user).filter(OPEN_SCOPING, analyst=user)
    return with_stage_age(qs).order_by("stage_entered_at", "id")


def internal_review_queue(user) -> QuerySet[Application]:
    """Applications waiting for internal review that ``user`` may see, oldest first."""
    if not has_permission(user, Permission.INTERNAL_REVIEW_DECIDE):
        return Application.objects.none()
    qs = application_list(user).filter(state=State.INTERNAL_REVIEW)
    return with_stage_age(qs).order_by("stage_entered_at", "id")


def panel_tracks_for(user) -> QuerySet[ReviewTrack]:
    """Open panel tracks of the panels ``user`` sits on now, with whether they have voted or
    declared a conflict."""
    from .models import ConflictOfInterest, Vote

    return (
        review_tracks_visible_to(user)
        .filter(
            superseded=False,
            state=TrackState.OPEN,
            panel__memberships__user=user,
            panel__memberships__left_on__isnull=True,
        )
        .select_related("panel")
        .annotate(
            has_voted=Exists(Vote.objects.filter(track=OuterRef("pk"), member=user)),
            conflicted=Exists(
                ConflictOfInterest.objects.filter(application=OuterRef("application"), user=user)
            ),
        )
        .order_by("due_date", "id")
    )


def signoff_tracks_for(user) -> QuerySet[ReviewTrack]:
    """Open sign-off tracks of the organisations ``user`` is a data owner of."""
    return (
        review_tracks_visible_to(user)
        .filter(
            superseded=False,
            state=TrackState.OPEN,
            kind=TrackKind.OWNER_SIGNOFF,
            organisation_id__in=data_owner_organisation_ids(user),
        )
        .order_by("due_date", "id")
    )


def analyst_load() -> list:
    """Every active analyst with ``open_scopings``, the open scoping work they hold (for ops),
    in two queries whatever the numbers."""

    counts = dict(
        Application.objects.filter(OPEN_SCOPING, analyst__isnull=False)
        .values("analyst_id")
        .annotate(n=Count("id"))
        .values_list("analyst_id", "n")
    )
    analysts = list(
        User.objects.filter(is_active=True, role_assignments__role=Role.ANALYST).order_by(
            "full_name"
        )
    )
    for analyst in analysts:
        analyst.open_scopings = counts.get(analyst.pk, 0)
    return analysts


def available_transitions(user, application: Application) -> list[dict]:
    """The steps ``user`` may take on ``application`` now: allowed by the state, by their part
    in the route and by the transition's conditions. Steps only the system takes (the
    combined outcome of the review tracks) are never listed."""
    from django_fsm import can_proceed

    from .services.core import transition_meta

    available = []
    for transition in application.get_available_state_transitions():
        meta = transition_meta(Application, transition.name)
        if meta["permission"] is None:
            continue
        if meta["may"](application, user) and can_proceed(getattr(application, transition.name)):
            available.append(
                {
                    "name": transition.name,
                    "label": transition.name.replace("_", " ").capitalize(),
                    "target": transition.target if isinstance(transition.target, str) else None,
                }
            )
    return available


def applications_to_sign(user) -> QuerySet[Application]:
    """Applications whose lead organisation ``user`` signs for (an ``OrganisationMembership``
    with capacity signatory): they must reach the agreement without otherwise seeing the
    application. Never drafts."""
    if not getattr(user, "is_authenticated", False):
        return Application.objects.none()
    organisations = OrganisationMembership.objects.filter(
        user=user, capacity=OrganisationMembership.Capacity.SIGNATORY
    ).values("organisation_id")
    return (
        Application.objects.exclude(state="draft")
        .filter(lead_organisation_id__in=organisations)
        .select_related("lead_organisation")
    )
