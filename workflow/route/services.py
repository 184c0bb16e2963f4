"""The SAIL route: create, edit, submit, scope, review internally, refer, withdraw, go live.

Every service: lock the application, check who may and when (``workflow.route.policies``:
403 then 409), check the input (400), change it, write one event, raise its notices (sent to
the people they concern when the service ends, from the state after the change). The other
topics are called at their fixed points: the review tracks open at referral and reopen on
resubmission (``workflow.reviews``), the Five Safes gate the referral and access and ask for
accreditation and the agreement (``workflow.safes``), the register follows each decision
(``workflow.transparency``), and the members' access grants follow the project
(``access.safe_people``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from access.identity import tokens as identity_tokens
from access.identity.selectors import vouching_problems
from access.identity.services import researcher_role_ensure
from access.models import Role, User
from access.safe_people.services import (
    access_grants_end_for_application,
    access_grants_hold_for_application,
    access_grants_release_for_application,
)
from access.selectors import users_with_role
from catalogue.models import Dataset, Variable
from core.errors import InvalidTransition, ValidationFailed
from core.text import in_sentence
from notifications.notices import raise_notice, service
from notifications.services import outbound_cancel_pending, queue_email
from workflow.events import fire, record_event
from workflow.models import (
    MAX_FEEDBACK_ITEMS,
    MAX_REQUESTED_DATASETS,
    MAX_SCOPED_VARIABLES,
    MAX_TEAM_MEMBERS,
    MAX_VARIABLES_PER_DATASET,
    ActorRole,
    Application,
    ApplicationMember,
    ApplicationVersion,
    EventKind,
    FeedbackRequest,
    LegalGateway,
    MeetingMedium,
    ProjectRole,
    RequestedDataset,
    RequestedVariable,
    Scoping,
    Section,
    State,
    TeamInvitation,
)
from workflow.reviews import services as reviews
from workflow.reviews.selectors import open_feedback_request
from workflow.route.content import QUESTIONS, gateway_problem, snapshot, submission_errors
from workflow.route.models import OPEN_SCOPING
from workflow.route.policies import (
    EDITABLE_STATES,
    can_record_feasibility,
    check_assign_analyst,
    check_create,
    check_edit,
    check_take,
    check_update_scoping,
    check_withdraw_invitation,
)
from workflow.safes import services as five_safes
from workflow.safes.checks import safeguard_errors
from workflow.transparency import services as transparency

# What the team writes: the application's own fields (workflow/route/content.py), its team and
# its datasets. Anything else is refused, never silently dropped.
WRITABLE = frozenset({*QUESTIONS, "members", "datasets"})


# --- content -------------------------------------------------------------------------------


def _validate_content(data: dict[str, Any]) -> dict[str, list[str]]:
    """Structural checks at every save (completeness waits for submission)."""
    errors: dict[str, list[str]] = {}
    for name in data.keys() - WRITABLE:
        errors[name] = ["Not a field of the application the team writes."]
    for name, value in data.items():
        question = QUESTIONS.get(name)
        if question is None:
            continue
        empty = value is None or (isinstance(value, str) and not value.strip())
        if question.always and empty:
            errors[name] = [question.missing or f"Enter the {in_sentence(question.title)}."]
        elif question.choices is not None and not empty and value not in question.choices.values:
            errors[name] = [
                f"'{value}' is not one of the choices for {in_sentence(question.title)}."
            ]
    start, end = data.get("start_date"), data.get("end_date")
    if isinstance(start, datetime.date) and isinstance(end, datetime.date) and end <= start:
        errors["end_date"] = ["The project must end after it starts."]
    return errors


def _replace_members(application: Application, members: Sequence[dict[str, Any]]) -> None:
    """The team, replaced whole. Before: each ``user`` is a loaded ``User`` (the API resolves
    them all in one query). At most ``MAX_TEAM_MEMBERS``."""
    if len(members) > MAX_TEAM_MEMBERS:
        raise ValidationFailed(
            "The team has problems.",
            fields={"members": [f"Name at most {MAX_TEAM_MEMBERS} people on the team."]},
        )
    errors: dict[str, list[str]] = {}
    seen: set[int] = set()
    pis = 0
    already = set(application.members.values_list("user_id", flat=True))
    # Organisations vouch for their people (docs/identity.md): someone new to the team needs
    # an organisation that confirms they work there (one query for the whole team).
    problems = vouching_problems(m["user"] for m in members if m["user"].pk not in already)
    for index, m in enumerate(members):
        user: User = m["user"]
        problem = problems.get(user.pk)
        if problem:
            errors.setdefault(f"members.{index}.user", []).append(problem)
        if user.pk in seen:
            errors.setdefault(f"members.{index}.user", []).append(f"{user} is listed twice.")
        seen.add(user.pk)
        if m["project_role"] not in ProjectRole.values:
            errors.setdefault(f"members.{index}.project_role", []).append("Not a project role.")
        if m["project_role"] == ProjectRole.PRINCIPAL_INVESTIGATOR:
            pis += 1
        if not user.is_active:
            errors.setdefault(f"members.{index}.user", []).append(f"{user} has no active account.")
        if application.analyst_id == user.pk:
            # Separation of duties: the analyst scoping a project cannot join its team.
            errors.setdefault(f"members.{index}.user", []).append(
                f"{user} is the analyst of this application and cannot join its team."
            )
    if pis > 1:
        errors.setdefault("members", []).append("Name exactly one principal investigator.")
    if errors:
        raise ValidationFailed("The team has problems.", fields=errors)
    for m in members:
        if m["user"].pk not in already:
            researcher_role_ensure(person=m["user"])
    application.members.all().delete()
    ApplicationMember.objects.bulk_create(
        ApplicationMember(application=application, user=m["user"], project_role=m["project_role"])
        for m in members
    )


def _replace_datasets(application: Application, datasets: Sequence[dict[str, Any]]) -> None:
    """The data request, replaced whole: at most ``MAX_REQUESTED_DATASETS`` datasets of at most
    ``MAX_VARIABLES_PER_DATASET`` variables each. The variables of every dataset are looked up
    in one query, and the rows written in two inserts, however many there are."""
    if len(datasets) > MAX_REQUESTED_DATASETS:
        raise ValidationFailed(
            "The data request has problems.",
            fields={"datasets": [f"Ask for at most {MAX_REQUESTED_DATASETS} datasets."]},
        )
    names_of = [[v["variable"] for v in d.get("variables", [])] for d in datasets]
    wanted = {name for names in names_of for name in names}
    known: dict[tuple[int, str], int] = {
        (dataset_id, name): pk
        for pk, dataset_id, name in Variable.objects.filter(
            dataset__in=[d["dataset"] for d in datasets], name__in=wanted
        ).values_list("pk", "dataset_id", "name")
    }
    errors: dict[str, list[str]] = {}
    seen: set[int] = set()
    for index, (d, names) in enumerate(zip(datasets, names_of, strict=True)):
        dataset: Dataset = d["dataset"]
        prefix = f"datasets.{index}"
        if dataset.pk in seen:
            errors.setdefault(f"{prefix}.dataset", []).append(f"{dataset.title} is listed twice.")
        seen.add(dataset.pk)
        if d.get("legal_gateway") not in LegalGateway.values:
            errors.setdefault(f"{prefix}.legal_gateway", []).append("Choose a legal gateway.")
        else:
            problem = gateway_problem(dataset, d["legal_gateway"])
            if problem:
                errors.setdefault(f"{prefix}.legal_gateway", []).append(problem)
        if len(names) > MAX_VARIABLES_PER_DATASET:
            errors.setdefault(f"{prefix}.variables", []).append(
                f"Ask for at most {MAX_VARIABLES_PER_DATASET} variables of a dataset."
            )
            continue
        for v_index, name in enumerate(names):
            if (dataset.pk, name) not in known:
                errors.setdefault(f"{prefix}.variables.{v_index}.variable", []).append(
                    f"{name} is not a variable of {dataset.title}."
                )
        if len(set(names)) != len(names):
            errors.setdefault(f"{prefix}.variables", []).append("A variable is listed twice.")
    if errors:
        raise ValidationFailed("The data request has problems.", fields=errors)
    application.requested_datasets.all().delete()
    # bulk_create sets the primary keys (PostgreSQL, and SQLite 3.35+) the variables refer to.
    requested = RequestedDataset.objects.bulk_create(
        RequestedDataset(
            application=application,
            dataset=d["dataset"],
            legal_gateway=d["legal_gateway"],
            justification=d.get("justification", ""),
        )
        for d in datasets
    )
    RequestedVariable.objects.bulk_create(
        RequestedVariable(
            requested_dataset=rd,
            variable_id=known[(rd.dataset_id, v["variable"])],
            justification=v.get("justification", ""),
        )
        for rd, d in zip(requested, datasets, strict=True)
        for v in d.get("variables", [])
    )


def _apply(application: Application, data: dict[str, Any]) -> list[str]:
    errors = _validate_content(
        {**{f: getattr(application, f) for f in ("start_date", "end_date")}, **data}
    )
    if errors:
        raise ValidationFailed("The application has invalid fields.", fields=errors)
    changed = []
    for name in QUESTIONS:
        if name in data:
            setattr(application, name, data[name])
            changed.append(name)
    application.save()
    if "members" in data:
        _replace_members(application, data["members"])
        changed.append("members")
    if "datasets" in data:
        _replace_datasets(application, data["datasets"])
        changed.append("datasets")
    return changed


@service
def application_create(*, by: User, data: dict[str, Any]) -> Application:
    """A new draft. The creator is its principal investigator unless the team says otherwise."""
    check_create(by)
    researcher_role_ensure(person=by)
    application: Application = Application(title=data.get("title", ""), created_by=by)
    application.save()
    # The reference needs the id, so it is set right after the insert, in the same transaction.
    application.reference = f"TRE-{application.created_at:%Y}-{application.pk:04d}"
    data = dict(data)
    members = data.pop("members", None) or [
        {"user": by, "project_role": ProjectRole.PRINCIPAL_INVESTIGATOR}
    ]
    if not any(m["user"].pk == by.pk for m in members):
        raise ValidationFailed(
            "You must be on the team of an application you start.",
            fields={"members": ["Include yourself in the team."]},
        )
    data["members"] = members
    if not data.get("lead_organisation") and by.affiliation_id:
        data["lead_organisation"] = by.affiliation
    _apply(application, data)
    record_event(
        application=application,
        kind=EventKind.CREATED,
        by=by,
        role=ActorRole.MEMBER,
        to_state=application.state,
    )
    return application


@service
def application_update(*, application: Application, by: User, data: dict[str, Any]) -> Application:
    """Edit content while it is the team's turn (draft or changes requested)."""
    application = Application.objects.locked(application)
    check_edit(by, application)
    if "members" in data and not any(m["user"].pk == by.pk for m in data["members"]):
        raise ValidationFailed(
            "You cannot remove yourself from the team.",
            fields={"members": ["Include yourself in the team."]},
        )
    changed = _apply(application, data)
    record_event(
        application=application,
        kind=EventKind.EDITED,
        by=by,
        role=ActorRole.MEMBER,
        payload={"fields": changed},
    )
    return application


def _freeze_version(application: Application, by: User) -> ApplicationVersion:
    """Freeze the content as the next version (before the transition's event, which then
    records the version it froze)."""
    application.current_version += 1
    application.save(update_fields=["current_version", "updated_at"])
    return ApplicationVersion.objects.create(
        application=application,
        number=application.current_version,
        content=snapshot(application),
        created_by=by,
    )


def _ready(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationFailed("The application is not ready for this step.", fields=errors)


# --- analysts ------------------------------------------------------------------------------


def _open_scoping_load(candidates: Iterable[int]) -> dict[int, int]:
    rows = (
        Application.objects.filter(analyst_id__in=list(candidates))
        .filter(OPEN_SCOPING)
        .order_by()
        .values("analyst_id")
        .annotate(n=Count("*"))  # from the open scoping index alone
    )
    return {r["analyst_id"]: r["n"] for r in rows}


def choose_analyst(application: Application) -> User | None:
    """A named analyst of the requested datasets with the fewest open scopings.

    Primary analysts come before backups on a tie; analysts on the team are never chosen.
    """
    members = set(application.members.values_list("user_id", flat=True))
    order: list[int] = []
    for rd in application.requested_datasets.select_related("dataset").order_by("id"):
        for uid in (rd.dataset.primary_analyst_id, rd.dataset.backup_analyst_id):
            if uid and uid not in members and uid not in order:
                order.append(uid)
    eligible = set(users_with_role(Role.ANALYST).filter(pk__in=order).values_list("pk", flat=True))
    order = [uid for uid in order if uid in eligible]
    if not order:
        return None
    load = _open_scoping_load(order)
    best = min(order, key=lambda uid: (load.get(uid, 0), order.index(uid)))
    return User.objects.get(pk=best)


@service
def application_assign_analyst(*, application: Application, by: User, analyst: User) -> Application:
    """Ops reassign the analyst (the old and new analysts hear of it)."""
    application = Application.objects.locked(application)
    check_assign_analyst(by, application)
    if not analyst.has_role(Role.ANALYST):
        raise ValidationFailed(
            "Not an analyst.", fields={"analyst": [f"{analyst} is not an analyst."]}
        )
    if application.members.filter(user=analyst).exists():
        raise ValidationFailed(
            "Separation of duties.",
            fields={"analyst": [f"{analyst} is on the team of this application."]},
        )
    previous = application.analyst
    application.analyst = analyst
    application.save(update_fields=["analyst", "updated_at"])
    event = record_event(
        application=application,
        kind=EventKind.ANALYST_ASSIGNED,
        by=by,
        role=ActorRole.OPS,
        payload={
            "analyst_id": analyst.pk,
            "analyst": analyst.full_name,
            "previous_analyst_id": previous.pk if previous else None,
        },
    )
    raise_notice(
        "application.analyst_assigned",
        application,
        actor=by,
        app=application,
        event=event,
        previous=previous if previous is not None and previous.pk != analyst.pk else None,
    )
    return application


# --- the route -----------------------------------------------------------------------------


@service
def application_submit(*, application: Application, by: User) -> Application:
    """Draft → scoping. Freezes version 1 and assigns an analyst automatically.

    After: the application is in scoping with a scoping record; the submission event carries
    version 1; an analyst is assigned when a named analyst of its datasets is available
    (otherwise ops are told to assign one); members who lack an accreditation the project needs
    are told what to apply for.
    """
    application = Application.objects.locked(application)
    check_take(by, application, "submit")
    _ready({**submission_errors(application), **safeguard_errors(application)})
    application.submitted_at = timezone.now()
    _freeze_version(application, by)
    fire(application, "submit", by=by)
    Scoping.objects.get_or_create(application=application)
    analyst = choose_analyst(application)
    application.analyst = analyst
    application.save()
    assigned = record_event(
        application=application,
        kind=EventKind.ANALYST_ASSIGNED,
        by=None,
        role=ActorRole.SYSTEM,
        payload={
            "analyst_id": analyst.pk if analyst else None,
            "analyst": analyst.full_name if analyst else None,
            "automatic": True,
        },
    )
    five_safes.tell_members_what_they_need(application)
    if analyst is None:
        # Nobody named can take it: ops are asked to assign someone.
        raise_notice("application.analyst_assigned", application, app=application, event=assigned)
    return application


@service
def application_request_changes(
    *, application: Application, by: User, items: Sequence[dict[str, str]], summary: str = ""
) -> FeedbackRequest:
    """Scoping or internal review → changes requested, with every point at once.

    ``items``: at least one ``{"section", "text"}``. The round number counts requests.
    """
    application = Application.objects.locked(application)
    errors: dict[str, list[str]] = {}
    if not items:
        errors["items"] = ["Give at least one point for the applicant to address."]
    elif len(items) > MAX_FEEDBACK_ITEMS:
        errors["items"] = [f"Give at most {MAX_FEEDBACK_ITEMS} points in one request."]
        items = ()  # nothing more to check item by item
    for index, item in enumerate(items):
        if item.get("section") not in Section.values:
            errors[f"items.{index}.section"] = ["Choose the section this point is about."]
        if not (item.get("text") or "").strip():
            errors[f"items.{index}.text"] = ["Say what needs to change."]
    stage = application.state
    round_number = application.feedback_requests.count() + 1
    fire(
        application,
        "request_changes",
        by=by,
        errors=errors,
        reason=summary,
        payload={"round": round_number, "items": len(items), "stage": stage},
    )
    return reviews.open_feedback(application, stage=stage, by=by, summary=summary, items=items)


@service
def application_resubmit(*, application: Application, by: User) -> Application:
    """Changes requested → the stage that asked. Every point must be answered first.

    Freezes a new version, which the resubmission event carries. Back in review, only the
    tracks that asked for revision reopen, and their deciders are told.
    """
    application = Application.objects.locked(application)
    check_take(by, application, "resubmit")
    errors: dict[str, list[str]] = {}
    request = open_feedback_request(application)
    if request is not None:
        unanswered = [i for i in request.items.all() if not i.response]
        if unanswered:
            errors["items"] = [
                f"Answer every point before resubmitting ({len(unanswered)} unanswered)."
            ]
    errors.update(submission_errors(application))
    errors.update(safeguard_errors(application))
    _ready(errors)
    returning_to = application.changes_requested_from
    if request is not None:
        request.resolved_at = timezone.now()
        request.save(update_fields=["resolved_at"])
    _freeze_version(application, by)
    fire(application, "resubmit", by=by, payload={"returned_to": returning_to})
    application.changes_requested_from = ""
    application.save()
    if application.state == State.IN_REVIEW:
        reviews.reopen_revised_tracks(application=application, by=by)
    five_safes.tell_members_what_they_need(application)  # members added since are told too
    return application


SCOPING_FIELDS = (
    "refined_research_question",
    "linkage_needs",
    "feasibility_notes",
    "feasible",
    "support_needed",
    "meeting_offered_at",
    "meeting_medium",
)


@service
def scoping_update(*, application: Application, by: User, data: dict[str, Any]) -> Scoping:
    """The analyst and the team work on the scoping record while the application is scoped.

    Only the assigned analyst records feasibility. Variables come from the data dictionary of
    the requested datasets.
    """
    application = Application.objects.locked(application)
    check_update_scoping(by, application)
    scoping, _ = Scoping.objects.get_or_create(application=application)
    errors: dict[str, list[str]] = {}
    is_analyst = can_record_feasibility(by, application)
    if "feasible" in data and not is_analyst:
        errors["feasible"] = ["Only the assigned analyst records whether the project is feasible."]
    if data.get("meeting_medium") and data["meeting_medium"] not in MeetingMedium.values:
        errors["meeting_medium"] = ["Choose video, telephone or in person."]
    variables = data.get("scoped_variables")
    if variables is not None and len(variables) > MAX_SCOPED_VARIABLES:
        errors["scoped_variables"] = [f"Scope at most {MAX_SCOPED_VARIABLES} variables."]
    elif variables is not None:
        dataset_ids = set(application.requested_datasets.values_list("dataset_id", flat=True))
        outside = [v for v in variables if v.dataset_id not in dataset_ids]
        if outside:
            errors["scoped_variables"] = [f"{v} is not in a requested dataset." for v in outside]
    if errors:
        raise ValidationFailed("The scoping record has invalid fields.", fields=errors)
    for name in SCOPING_FIELDS:
        if name in data:
            setattr(scoping, name, data[name])
    scoping.updated_by = by
    scoping.save()
    if variables is not None:
        scoping.scoped_variables.set(variables)
    record_event(
        application=application,
        kind=EventKind.SCOPING_UPDATED,
        by=by,
        role=ActorRole.ANALYST if is_analyst else ActorRole.MEMBER,
        payload={"fields": sorted(k for k in data if k in (*SCOPING_FIELDS, "scoped_variables"))},
    )
    return scoping


def scoping_errors(application: Application) -> dict[str, list[str]]:
    """What stops scoping being completed: feasibility not recorded, or a requested variable
    outside the scoped set."""
    errors: dict[str, list[str]] = {}
    scoping = getattr(application, "scoping", None)
    if scoping is None or scoping.feasible is not True:
        errors["feasible"] = ["Record that the project is feasible before completing scoping."]
        return errors
    scoped = set(scoping.scoped_variables.values_list("id", flat=True))
    if not scoped:
        errors["scoped_variables"] = ["Agree the variables in scope."]
        return errors
    outside = (
        RequestedVariable.objects.filter(requested_dataset__application=application)
        .exclude(variable_id__in=scoped)
        .select_related("variable", "requested_dataset__dataset")
    )
    if outside:
        errors["scoped_variables"] = [
            f"{rv.requested_dataset.dataset.slug}.{rv.variable.name} is requested but not in "
            "scope: add it to the scope or ask the team to remove it."
            for rv in outside
        ]
    return errors


@service
def application_complete_scoping(*, application: Application, by: User) -> Application:
    """Scoping → internal review (the assigned analyst)."""
    application = Application.objects.locked(application)
    errors = scoping_errors(application) if application.state == State.SCOPING else {}
    fire(application, "complete_scoping", by=by, errors=errors)
    return application


def referral_errors(
    application: Application, gate: dict[str, list[str]] | None = None
) -> dict[str, list[str]]:
    """What stops the tracks opening: a dataset whose gateway is not allowed, a panel that is
    not configured, or (``gate``, from ``five_safes.referral_gate``) a failing safe-projects or
    safe-data check."""
    errors: dict[str, list[str]] = reviews.panel_errors(application)
    for index, rd in enumerate(application.requested_datasets.select_related("dataset")):
        problem = gateway_problem(rd.dataset, rd.legal_gateway)
        if problem:
            errors.setdefault(f"datasets.{index}.legal_gateway", []).append(problem)
    if gate is None:
        gate, _ = five_safes.referral_gate(application)
    errors.update(gate)
    return errors


@service
def application_refer_to_panels(
    *, application: Application, by: User, note: str = ""
) -> Application:
    """Internal review → in review: every track the project needs opens at once, and the
    people who decide each one are told, with a link to it."""
    application = Application.objects.locked(application)
    check_take(by, application, "refer_to_panels")
    gate, results = five_safes.referral_gate(application)
    errors = referral_errors(application, gate)
    tracks = [
        f"{kind}:{org}" if org else kind for kind, org in reviews.required_tracks(application)
    ]
    fire(
        application,
        "refer_to_panels",
        by=by,
        errors=errors,
        reason=note,
        payload={"tracks": tracks},
    )
    reviews.open_tracks(application=application, by=by)
    five_safes.referred(application, by=by, results=results)  # the checks the panels received
    return application


def _require_reason(reason: str, what: str) -> dict[str, list[str]]:
    return {} if reason.strip() else {"reason": [f"Give the reason for {what}."]}


@service
def application_reject(*, application: Application, by: User, reason: str) -> Application:
    """Internal review → rejected, with the reason the team will read."""
    application = Application.objects.locked(application)
    fire(application, "reject", by=by, reason=reason, errors=_require_reason(reason, "rejecting"))
    application.decided_at = timezone.now()
    application.save(update_fields=["decided_at", "updated_at"])
    _end_open_work(application, by=by, reason=reason)
    transparency.decision_record_create(
        application=application, outcome="rejected", by=by, reason=reason
    )
    transparency.register_record(application)
    return application


def _end_open_work(application: Application, *, by: User, reason: str) -> None:
    """The application has ended (withdrawn, rejected, closed): close every review track and
    condition still open, so that no clock runs on and nobody is reminded of it."""
    reviews.review_tracks_close(application=application, by=by, reason=reason)
    five_safes.conditions_close(application=application, by=by, reason=reason)


@service
def application_withdraw(*, application: Application, by: User, reason: str = "") -> Application:
    """Any state before a final decision → withdrawn (the team). Open review tracks and
    conditions close with it."""
    application = Application.objects.locked(application)
    fire(application, "withdraw", by=by, reason=reason)
    _end_open_work(application, by=by, reason=reason)
    return application


def access_gate_errors(
    application: Application, gate: dict[str, list[str]] | None = None
) -> dict[str, list[str]]:
    """Checks that must pass before access is granted: dates that have not ended, and (``gate``,
    from ``workflow.safes.services.access_gate``) every Five Safes check passing, no safe judged
    not met, every before-access condition verified, the agreement signed by every member and
    the lead organisation's signatory."""
    errors: dict[str, list[str]] = {}
    if application.end_date and application.end_date < timezone.localdate():
        errors["end_date"] = ["The project has already ended; it cannot start now."]
    if gate is None:
        gate, _ = five_safes.access_gate(application)
    errors.update(gate)
    return errors


@service
def application_grant_access(*, application: Application, by: User) -> Application:
    application = Application.objects.locked(application)
    check_take(by, application, "grant_access")
    gate, results = five_safes.access_gate(application)
    _ready(access_gate_errors(application, gate))
    fire(application, "grant_access", by=by)
    five_safes.go_live(application, by=by, results=results)  # the access grants, at once
    transparency.register_record(application)
    return application


@service
def application_suspend(*, application: Application, by: User, reason: str) -> Application:
    application = Application.objects.locked(application)
    fire(application, "suspend", by=by, reason=reason, errors=_require_reason(reason, "suspending"))
    access_grants_hold_for_application(application=application, by=by, reason=reason)
    transparency.register_record(application)
    return application


@service
def application_reinstate(*, application: Application, by: User, reason: str = "") -> Application:
    application = Application.objects.locked(application)
    fire(application, "reinstate", by=by, reason=reason)
    access_grants_release_for_application(application=application, by=by, reason=reason)
    transparency.register_record(application)
    return application


@service
def application_close(*, application: Application, by: User, reason: str = "") -> Application:
    application = Application.objects.locked(application)
    fire(application, "close", by=by, reason=reason)
    _end_open_work(application, by=by, reason=reason or "The project is closed.")
    access_grants_end_for_application(
        application=application, by=by, reason=reason or "The project is closed."
    )
    transparency.register_record(application)
    return application


# --- invitations onto the team ---------------------------------------------------------------
# A known person is added at once; an unknown address gets a signed link that works for
# INVITATION_LINK_DAYS, for that address only, once (access/identity/tokens.py).


def invitation_link_age() -> datetime.timedelta:
    return datetime.timedelta(days=settings.INVITATION_LINK_DAYS)


@service
def team_member_invite(
    *, application: Application, email: str, project_role: str, by: User
) -> TeamInvitation | None:
    """Add someone to the team by email (while the team may edit the application).

    Someone with an account is added now (as ``application_update`` adds anyone) and None is
    returned. An address with no account gets an invitation: the team shows it as invited,
    and a link goes to the address."""
    email = email.strip().lower()
    application = Application.objects.locked(application)
    check_edit(by, application)
    if project_role not in ProjectRole.values or project_role == ProjectRole.PRINCIPAL_INVESTIGATOR:
        raise ValidationFailed(
            "Choose their role in the project.", fields={"project_role": ["Not a project role."]}
        )
    known = User.objects.filter(email__iexact=email, is_active=True).first()
    if known is not None:
        members = [
            {"user": m.user, "project_role": m.project_role}
            for m in application.members.select_related("user")
        ]
        application_update(
            application=application,
            by=by,
            data={"members": [*members, {"user": known, "project_role": project_role}]},
        )
        return None
    if TeamInvitation.objects.filter(
        application=application, email__iexact=email, status=TeamInvitation.Status.INVITED
    ).exists():
        raise ValidationFailed(
            "They are already invited.",
            fields={"email": [f"{email} is already invited to this application."]},
        )
    invitation = TeamInvitation.objects.create(
        application=application,
        email=email,
        project_role=project_role,
        invited_by=by,
        invited_at=timezone.now(),
    )
    record_event(
        application=application,
        kind=EventKind.EDITED,
        by=by,
        role=ActorRole.MEMBER,
        payload={"fields": ["invitations"], "invited": email},
    )
    token = identity_tokens.make(identity_tokens.INVITATION, invitation.pk, email)
    link = settings.SITE_URL.rstrip("/") + reverse("workflow:invitation", args=[token])
    subject = f"{by.full_name} invited you to join a research project"
    body = (
        f"{by.full_name} invited you to join the team of application "
        f"{application.reference} ({application.title}) as "
        f"{in_sentence(ProjectRole(project_role).label)}.\n\n"
        f"Follow this link to accept (sign in or register first if you need to):\n\n{link}\n\n"
        f"It works once, for {settings.INVITATION_LINK_DAYS} days, and only for this email "
        "address."
    )
    # The outbox, in this transaction (see access.identity.services.registration_start).
    queue_email(
        to=email,
        kind="application.invitation",
        subject=subject,
        body=body,
        about=f"invitation:{invitation.pk}",
        # If it never arrives, the member who invited is told, with the team page where they
        # can withdraw it and invite the right address.
        sender=by,
        sender_url=reverse("workflow:section", args=[application.pk, Section.TEAM]),
    )
    return invitation


@service
def invitation_withdraw(*, invitation: TeamInvitation, by: User) -> TeamInvitation:
    """A member of the team takes an invitation back: its link stops working, an email about
    it that has not left yet is not sent, and the application's history records who withdrew
    it. Withdrawing a withdrawn invitation changes nothing; an accepted one is refused
    (``InvalidTransition``, 409): the person is on the team, remove them there instead."""
    application = Application.objects.locked(invitation.application)
    check_withdraw_invitation(by, application)
    invitation = TeamInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status == TeamInvitation.Status.WITHDRAWN:
        return invitation
    if invitation.status == TeamInvitation.Status.ACCEPTED:
        raise InvalidTransition(
            f"{invitation.email} already accepted the invitation and is on the team: remove "
            "them from the team instead.",
            current_state=invitation.status,
        )
    invitation.status = TeamInvitation.Status.WITHDRAWN
    invitation.save(update_fields=["status"])
    outbound_cancel_pending(about=f"invitation:{invitation.pk}")
    record_event(
        application=application,
        kind=EventKind.EDITED,
        by=by,
        role=ActorRole.MEMBER,
        payload={"fields": ["invitations"], "withdrawn": invitation.email},
    )
    return invitation


def invitation_from_link(token: str) -> TeamInvitation:
    """The invitation behind a link, or ``LinkProblem`` (expired, invalid, used)."""
    pk, email = identity_tokens.read(identity_tokens.INVITATION, token, invitation_link_age())
    invitation = (
        TeamInvitation.objects.select_related("application", "invited_by")
        .filter(pk=pk, email__iexact=email)
        .first()
    )
    if invitation is None or invitation.status == TeamInvitation.Status.WITHDRAWN:
        raise identity_tokens.LinkProblem("invalid")
    if invitation.status == TeamInvitation.Status.ACCEPTED:
        raise identity_tokens.LinkProblem("used")
    return invitation


@service
def invitation_accept(*, token: str, by: User) -> Application:
    """The invited person, signed in with the address the link was sent to, joins the team.

    Refused with ``LinkProblem`` (nothing changed) when the link expired, was used, or was
    sent to another address; with ``ValidationFailed`` while no organisation vouches for them
    or the team can no longer change (the invitation then still waits)."""
    invitation = invitation_from_link(token)
    application: Application = Application.objects.locked(invitation.application)
    invitation = TeamInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != TeamInvitation.Status.INVITED:
        raise identity_tokens.LinkProblem("used")
    if by.email.lower() != invitation.email.lower():
        raise identity_tokens.LinkProblem("other_email")
    if application.state not in EDITABLE_STATES:
        raise ValidationFailed(
            "The team can no longer change.",
            fields={
                "non_field_errors": [
                    f"{application.reference} is at “{application.get_state_display()}”: its "
                    "team changes only while it is a draft or changes are requested. Ask the "
                    "principal investigator."
                ]
            },
        )
    members = [
        {"user": m.user, "project_role": m.project_role}
        for m in application.members.select_related("user")
    ]
    _replace_members(application, [*members, {"user": by, "project_role": invitation.project_role}])
    invitation.status = TeamInvitation.Status.ACCEPTED
    invitation.accepted_at, invitation.accepted_by = timezone.now(), by
    invitation.save(update_fields=["status", "accepted_at", "accepted_by"])
    record_event(
        application=application,
        kind=EventKind.EDITED,
        by=by,
        role=ActorRole.MEMBER,
        payload={"fields": ["members"], "accepted_invitation": invitation.pk},
    )
    raise_notice(
        "application.invitation_accepted",
        application,
        actor=by,
        app=application,
        person=by,
        invitation=invitation,
    )
    return application
