"""Write logic of amendments: ask for one (a draft), submit it (the route is computed, frozen
and explained; only the affected tracks open), decide its tracks (their decisions combine into
one amendment decision), withdraw it; and a new member's signature of the agreement.

Every service: lock the project (then the amendment) inside a transaction, check who may (403),
what the state allows (409), the input (400), change, append one event to the amendment's
chained history per transition, and raise the notices (sent when the service ends, through the
outbox). Locking the project first serialises everything that changes it: two amendments asked
for at once (the second answers 409 naming the first), an approval and a withdrawal, two
reviewers deciding the last two tracks at the same moment (the second sees the first's
decision, and exactly one of them takes the combined decision).

Changes that open no review track (removals, a member from an organisation already on the
project) take effect when the amendment is submitted; the others when it is approved. A
rejected or withdrawn amendment changes nothing it had not already been allowed to change at
submission.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.utils import timezone

from access.models import AgreementSignature, Organisation, SignatureCapacity, User
from access.safe_people.selectors import agreement_current, missing_requirements
from access.safe_people.services import (
    access_grant_end_for_person,
    access_grants_create,
    access_grants_follow_project,
)
from catalogue.models import Dataset, Purpose
from core import audit_chain
from core.errors import ConcurrentChange, InvalidTransition, NotAllowed, ValidationFailed
from core.transitions import Step, check_state, may, refuse, step_of, take
from notifications.notices import raise_notice, service
from workflow.amendments import routing
from workflow.amendments.models import (
    Amendment,
    AmendmentEvent,
    AmendmentState,
    AmendmentTrack,
    AmendmentTrackState,
    AmendmentVote,
    ChangeType,
    Reviewer,
    RouteRule,
    TrackOutcome,
)
from workflow.amendments.policies import (
    AMENDABLE_STATES,
    check_amendable,
    check_change_routing,
    check_panel_decision,
    check_request,
    check_scope_growth,
    check_vote,
    may_decide,
    may_request,
)
from workflow.events import record_event
from workflow.route.content import diff as content_diff
from workflow.route.content import snapshot
from workflow.route.models import (
    MAX_REQUESTED_DATASETS,
    MAX_TEAM_MEMBERS,
    MAX_VARIABLES_PER_DATASET,
    ActorRole,
    Application,
    ApplicationMember,
    ApplicationVersion,
    EventKind,
    LegalGateway,
    ProjectRole,
    RequestedDataset,
    RequestedVariable,
    State,
)
from workflow.safes.selectors import access_start, requirements_of
from workflow.transparency.models import DecisionRecord
from workflow.transparency.register import dataset_keys
from workflow.transparency.services import register_record
from workflow.turnaround.calendar import add_workdays

MAX_CHANGES = 60

# --- the chained history ----------------------------------------------------------------------


def append_event(
    amendment: Amendment,
    *,
    by: User | None,
    transition: str,
    from_state: str,
    reason: str = "",
    payload: dict[str, Any] | None = None,
) -> AmendmentEvent:
    """Append one event to the amendment's chain (the caller holds the project's row lock)."""
    previous = (
        AmendmentEvent.objects.filter(amendment=amendment)
        .order_by("-id")
        .values_list("hash", flat=True)
        .first()
    )
    event = AmendmentEvent(
        amendment=amendment,
        actor=by,
        actor_name=(by.full_name or by.username) if by is not None else "System",
        transition=transition,
        from_state=from_state,
        to_state=amendment.state,
        reason=reason[:4000],
        payload=payload or {},
        created_at=timezone.now(),
    )
    event.prev_hash = previous or ""
    event.hash = audit_chain.digest(event.chain_content(), event.prev_hash)
    event.mac = audit_chain.seal(AmendmentEvent.seal_label(), event.hash)
    event.save(force_insert=True)
    return event


def _log(
    obj: Amendment | AmendmentTrack,
    *,
    step: Step,
    by: User | None,
    role: str,
    from_state: str,
    reason: str,
    payload: dict[str, Any] | None,
) -> AmendmentEvent:
    if isinstance(obj, AmendmentTrack):
        # A track's decision is an event of its amendment, naming the track.
        return append_event(
            obj.amendment,
            by=by,
            transition=f"track_{step.name}",
            from_state=obj.amendment.state,
            reason=reason,
            payload={
                "track_id": obj.pk,
                "track": obj.name,
                "outcome": obj.outcome,
                **(payload or {}),
            },
        )
    return append_event(
        cast(Amendment, obj),
        by=by,
        transition=step.name,
        from_state=from_state,
        reason=reason,
        payload=payload,
    )


def _context(amendment: Amendment, **extra: Any) -> dict[str, Any]:
    return {
        "reference": amendment.application.reference,
        "number": amendment.number,
        "types": ", ".join(ChangeType(t).label.lower() for t in amendment.types),
        **extra,
    }


def _move(
    obj: Amendment | AmendmentTrack,
    name: str,
    *,
    by: User | None,
    reason: str = "",
    payload: dict[str, Any] | None = None,
    check_policy: bool = True,
) -> AmendmentEvent:
    event: AmendmentEvent = take(
        obj,
        name,
        by=by,
        log=_log,
        reason=reason,
        payload=payload,
        check_policy=check_policy and by is not None,
    )
    step = step_of(type(obj), name)
    if step.notify:
        amendment = cast(Amendment, obj.amendment if isinstance(obj, AmendmentTrack) else obj)
        extra: dict[str, Any] = {}
        if isinstance(obj, AmendmentTrack):
            extra = {
                "track_name": obj.name,
                "outcome": obj.get_outcome_display(),
                "rationale": obj.rationale,
            }
        raise_notice(
            step.notify,
            obj,
            actor=by,
            **_context(amendment, version=amendment.version, **extra),
        )
    return event


def _lock(amendment: Amendment) -> tuple[Application, Amendment]:
    application = Application.objects.locked(amendment.application_id)
    try:
        locked = Amendment.objects.select_for_update().get(pk=amendment.pk)
    except Amendment.DoesNotExist as exc:  # pragma: no cover - amendments are never deleted
        raise ConcurrentChange("The amendment no longer exists.") from exc
    locked.application = application
    return application, locked


# --- validating the changes ------------------------------------------------------------------


def _date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return None


def clean_changes(application: Application, changes: Any) -> list[dict[str, Any]]:
    """The changes in their stored shape, or 400 naming each field that is wrong
    (``changes.<n>.<field>``). Checked against the project as it is now."""
    if not isinstance(changes, list) or not changes:
        raise ValidationFailed(
            "An amendment needs at least one change.",
            fields={"changes": ["Add at least one change to the project."]},
        )
    if len(changes) > MAX_CHANGES:
        raise ValidationFailed(
            "Too many changes.",
            fields={"changes": [f"At most {MAX_CHANGES} changes in one amendment."]},
        )
    errors: dict[str, list[str]] = {}
    cleaned: list[dict[str, Any]] = []
    members = {m.user_id: m for m in application.members.all()}
    requested = {
        rd.dataset.slug: rd
        for rd in application.requested_datasets.select_related("dataset").prefetch_related(
            "variables__variable"
        )
    }
    seen: set[tuple[str, str]] = set()
    adding_people = 0
    adding_datasets = 0

    def err(index: int, name: str, message: str) -> None:
        errors.setdefault(f"changes.{index}.{name}", []).append(message)

    for index, raw in enumerate(changes):
        if not isinstance(raw, dict):
            err(index, "type", "Each change is an object with a type.")
            continue
        kind = raw.get("type")
        if kind not in ChangeType.values:
            err(index, "type", "Choose one of: " + ", ".join(ChangeType.values) + ".")
            continue
        change: dict[str, Any] = {"type": kind}
        if kind in (ChangeType.ADD_MEMBER, ChangeType.REMOVE_MEMBER):
            person = (
                User.objects.filter(pk=int(raw["user"]), is_active=True).first()
                if str(raw.get("user", "")).isdigit()
                else None
            )
            if person is None:
                err(index, "user", "Choose a person who has an account here.")
                continue
            change["user"] = person.pk
            if (kind, str(person.pk)) in seen:
                err(index, "user", "This person is named twice in the amendment.")
            seen.add((kind, str(person.pk)))
            if kind == ChangeType.ADD_MEMBER:
                if person.pk in members:
                    err(index, "user", f"{person.full_name} is already a member of the project.")
                role = raw.get("project_role") or ProjectRole.RESEARCHER
                if role not in ProjectRole.values or role == ProjectRole.PRINCIPAL_INVESTIGATOR:
                    err(
                        index,
                        "project_role",
                        "Choose co-investigator, researcher or student (change the principal "
                        "investigator with its own change).",
                    )
                change["project_role"] = role
                adding_people += 1
            else:
                member = members.get(person.pk)
                if member is None:
                    err(index, "user", f"{person.full_name} is not a member of the project.")
                elif member.project_role == ProjectRole.PRINCIPAL_INVESTIGATOR:
                    err(
                        index,
                        "user",
                        "The principal investigator cannot be removed: name another one first.",
                    )
        elif kind in (ChangeType.ADD_DATASET, ChangeType.ADD_VARIABLES, ChangeType.REMOVE_DATASET):
            slug = str(raw.get("dataset", ""))
            dataset = Dataset.objects.filter(slug=slug).first() if slug else None
            if dataset is None:
                err(index, "dataset", "Choose a dataset from the catalogue.")
                continue
            change["dataset"] = dataset.slug
            if (kind, slug) in seen:
                err(index, "dataset", "This dataset is named twice in the amendment.")
            seen.add((kind, slug))
            if kind == ChangeType.REMOVE_DATASET:
                if slug not in requested:
                    err(index, "dataset", f"{dataset.title} is not on the project.")
                # Kept: a removal has nothing more to check (it was left out here, so an
                # amendment removing a dataset was stored without the removal).
                cleaned.append(change)
                continue
            names = raw.get("variables") or []
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                err(index, "variables", "Give the variables as a list of names.")
                continue
            names = list(dict.fromkeys(names))
            if len(names) > MAX_VARIABLES_PER_DATASET:
                err(index, "variables", f"At most {MAX_VARIABLES_PER_DATASET} variables.")
                continue
            known = set(dataset.variables.filter(name__in=names).values_list("name", flat=True))
            unknown = [n for n in names if n not in known]
            if unknown:
                err(
                    index,
                    "variables",
                    f"Not variables of {dataset.title}: {', '.join(sorted(unknown))}.",
                )
            change["variables"] = names
            if kind == ChangeType.ADD_VARIABLES:
                rd = requested.get(slug)
                if rd is None:
                    err(
                        index,
                        "dataset",
                        f"{dataset.title} is not on the project: add the dataset instead.",
                    )
                    continue
                if not names:
                    err(index, "variables", "Choose at least one variable to add.")
                have = {rv.variable.name for rv in rd.variables.all()}
                already = [n for n in names if n in have]
                if already:
                    err(
                        index,
                        "variables",
                        f"Already granted to the project: {', '.join(sorted(already))}.",
                    )
                continue
            # add_dataset
            adding_datasets += 1
            if slug in requested:
                err(index, "dataset", f"{dataset.title} is already granted to the project.")
            gateway = raw.get("legal_gateway") or ""
            if gateway not in LegalGateway.values:
                err(index, "legal_gateway", "Choose the legal gateway the data are shared under.")
            elif gateway == LegalGateway.DEA_RESEARCH:
                if dataset.holder_has_health_service_functions:
                    err(
                        index,
                        "legal_gateway",
                        f"{dataset.title} is held by a body with health-service functions, "
                        "which cannot share data under the Digital Economy Act research power.",
                    )
                elif not dataset.dea_gateway_permitted:
                    err(
                        index,
                        "legal_gateway",
                        f"{dataset.title} is not shared under the DEA research gateway.",
                    )
            change["legal_gateway"] = gateway
            justification = str(raw.get("justification", "")).strip()
            if not justification:
                err(index, "justification", "Say why the project needs this dataset.")
            change["justification"] = justification
        elif kind == ChangeType.CHANGE_QUESTION:
            question = str(raw.get("research_question", "") or "").strip()
            purpose = str(raw.get("purpose", "") or "").strip()
            if not question and not purpose:
                err(index, "research_question", "Give the new research question or purpose.")
                continue
            if purpose and purpose not in Purpose.values:
                err(index, "purpose", "Choose one of the purposes in the catalogue.")
            if question == (application.research_question or "").strip():
                question = ""
            if purpose == application.purpose:
                purpose = ""
            if not question and not purpose:
                err(
                    index,
                    "research_question",
                    "That is the project's question and purpose already: nothing changes.",
                )
            change.update({"research_question": question, "purpose": purpose})
        elif kind == ChangeType.EXTEND_END_DATE:
            end = _date(raw.get("end_date"))
            if end is None:
                err(index, "end_date", "Enter the new end date as a real date.")
                continue
            if application.end_date and end <= application.end_date:
                err(
                    index,
                    "end_date",
                    f"The new end date must be after the current one "
                    f"({application.end_date:%-d %B %Y}).",
                )
            change["end_date"] = end.isoformat()
        elif kind == ChangeType.CHANGE_LEAD:
            pi_id = raw.get("principal_investigator")
            org_id = raw.get("lead_organisation")
            if not pi_id and not org_id:
                err(
                    index,
                    "principal_investigator",
                    "Name the new principal investigator or lead organisation.",
                )
                continue
            if pi_id:
                member = members.get(int(pi_id)) if str(pi_id).isdigit() else None
                if member is None:
                    err(
                        index,
                        "principal_investigator",
                        "The new principal investigator must be a member of the project "
                        "(add them first).",
                    )
                elif member.project_role == ProjectRole.PRINCIPAL_INVESTIGATOR:
                    err(index, "principal_investigator", "They are the principal investigator.")
                else:
                    change["principal_investigator"] = member.user_id
            if org_id:
                org = (
                    Organisation.objects.filter(pk=org_id).first()
                    if str(org_id).isdigit()
                    else None
                )
                if org is None:
                    err(index, "lead_organisation", "Choose an organisation.")
                elif org.pk == application.lead_organisation_id:
                    err(index, "lead_organisation", "It is the lead organisation already.")
                else:
                    change["lead_organisation"] = org.pk
        cleaned.append(change)
    if len(members) + adding_people > MAX_TEAM_MEMBERS:
        errors.setdefault("changes", []).append(f"A team has at most {MAX_TEAM_MEMBERS} people.")
    if len(requested) + adding_datasets > MAX_REQUESTED_DATASETS:
        errors.setdefault("changes", []).append(
            f"A project has at most {MAX_REQUESTED_DATASETS} datasets."
        )
    removing = {c["dataset"] for c in cleaned if c["type"] == ChangeType.REMOVE_DATASET}
    if removing and not (set(requested) - removing) and not adding_datasets:
        errors.setdefault("changes", []).append(
            "A project keeps at least one dataset: close it instead of removing them all."
        )
    if errors:
        raise ValidationFailed("The amendment has changes that cannot be made.", fields=errors)
    return cleaned


# --- what the changes do to the project -------------------------------------------------------


def _signed_current(application: Application, person: User) -> bool:
    current = agreement_current()
    return (
        current is not None
        and AgreementSignature.objects.filter(
            application=application,
            agreement=current,
            signer=person,
            capacity=SignatureCapacity.MEMBER,
        ).exists()
    )


def grant_if_ready(application: Application, person: User, *, by: User) -> bool:
    """A member added by an amendment gets their access grant once they pass the safe-people
    check and have signed the agreement, while the project is active. True when granted."""
    if application.state != State.ACTIVE or application.end_date is None:
        return False
    if application.access_grants.filter(person=person).exists():
        return False
    requirements = requirements_of(application)
    today = timezone.localdate()
    if missing_requirements(person, requirements, today) or not _signed_current(
        application, person
    ):
        return False
    access_grants_create(
        application=application,
        people=[person],
        start_on=access_start(application),
        end_on=application.end_date,
        requirements=requirements,
        by=by,
    )
    return True


def _apply(application: Application, changes: Sequence[dict[str, Any]], *, by: User) -> None:
    """Make ``changes`` to the live project (inside the caller's transaction, project locked)."""
    terms_changed = False
    for change in changes:
        kind = change["type"]
        if kind == ChangeType.ADD_MEMBER:
            person = User.objects.get(pk=change["user"])
            ApplicationMember.objects.create(
                application=application, user=person, project_role=change["project_role"]
            )
            grant_if_ready(application, person, by=by)
        elif kind == ChangeType.REMOVE_MEMBER:
            person = User.objects.get(pk=change["user"])
            access_grant_end_for_person(
                application=application,
                person=person,
                by=by,
                reason="Removed from the project's team by an amendment.",
            )
            ApplicationMember.objects.filter(application=application, user=person).delete()
        elif kind in (ChangeType.ADD_DATASET, ChangeType.ADD_VARIABLES):
            dataset = Dataset.objects.get(slug=change["dataset"])
            if kind == ChangeType.ADD_DATASET:
                rd = RequestedDataset.objects.create(
                    application=application,
                    dataset=dataset,
                    legal_gateway=change["legal_gateway"],
                    justification=change.get("justification", ""),
                )
                terms_changed = terms_changed or (
                    change["legal_gateway"] == LegalGateway.DEA_RESEARCH
                )
            else:
                rd = RequestedDataset.objects.get(application=application, dataset=dataset)
            for variable in dataset.variables.filter(name__in=change.get("variables", [])):
                RequestedVariable.objects.get_or_create(requested_dataset=rd, variable=variable)
        elif kind == ChangeType.REMOVE_DATASET:
            RequestedDataset.objects.filter(
                application=application, dataset__slug=change["dataset"]
            ).delete()
            terms_changed = True
        elif kind == ChangeType.CHANGE_QUESTION:
            if change.get("research_question"):
                application.research_question = change["research_question"]
            if change.get("purpose"):
                application.purpose = change["purpose"]
            application.save(update_fields=["research_question", "purpose", "updated_at"])
        elif kind == ChangeType.EXTEND_END_DATE:
            application.end_date = datetime.date.fromisoformat(change["end_date"])
            application.save(update_fields=["end_date", "updated_at"])
            terms_changed = True
        elif kind == ChangeType.CHANGE_LEAD:
            if change.get("principal_investigator"):
                ApplicationMember.objects.filter(
                    application=application, project_role=ProjectRole.PRINCIPAL_INVESTIGATOR
                ).update(project_role=ProjectRole.CO_INVESTIGATOR)
                ApplicationMember.objects.filter(
                    application=application, user_id=change["principal_investigator"]
                ).update(project_role=ProjectRole.PRINCIPAL_INVESTIGATOR)
            if change.get("lead_organisation"):
                application.lead_organisation_id = change["lead_organisation"]
                application.save(update_fields=["lead_organisation", "updated_at"])
    application.__dict__.pop("_member_cache", None)
    if terms_changed and application.end_date is not None:
        access_grants_follow_project(
            application=application,
            end_on=application.end_date,
            requirements=requirements_of(application),
            by=by,
            reason="The project's terms changed by an amendment",
        )


def _freeze_version(
    application: Application, by: User, amendment: Amendment | None = None
) -> ApplicationVersion:
    application.current_version += 1
    application.save(update_fields=["current_version", "updated_at"])
    version = ApplicationVersion.objects.create(
        application=application,
        number=application.current_version,
        content=snapshot(application),
        created_by=by,
    )
    # The application's own chain records each version it reaches (the audit check compares
    # its last event's version with the application's): an amendment's new version too.
    number = amendment.number if amendment is not None else None
    record_event(
        application=application,
        kind=EventKind.EDITED,
        by=None,
        role=ActorRole.SYSTEM,
        transition="amend",
        reason=f"Amendment {number} took effect: version {version.number}."
        if number
        else f"An amendment took effect: version {version.number}.",
        payload={"amendment": amendment.pk if amendment is not None else None},
    )
    return version


def _preview_diff(
    application: Application, changes: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The diff the changes would make against the project as it is: made inside a savepoint
    that is rolled back, so that the diff comes from the same code as the change itself."""
    before = snapshot(application)
    after: dict[str, Any] = {}

    class _Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            copy = Application.objects.get(pk=application.pk)
            _apply_content_only(copy, changes)
            after = snapshot(copy)
            raise _Rollback
    except _Rollback:
        pass
    return content_diff(before, after)


def _apply_content_only(application: Application, changes: Sequence[dict[str, Any]]) -> None:
    """What ``_apply`` does to the project's content, without grants or notices."""
    for change in changes:
        kind = change["type"]
        if kind == ChangeType.ADD_MEMBER:
            ApplicationMember.objects.create(
                application=application,
                user_id=change["user"],
                project_role=change["project_role"],
            )
        elif kind == ChangeType.REMOVE_MEMBER:
            ApplicationMember.objects.filter(
                application=application, user_id=change["user"]
            ).delete()
        elif kind in (ChangeType.ADD_DATASET, ChangeType.ADD_VARIABLES):
            dataset = Dataset.objects.get(slug=change["dataset"])
            if kind == ChangeType.ADD_DATASET:
                rd = RequestedDataset.objects.create(
                    application=application,
                    dataset=dataset,
                    legal_gateway=change["legal_gateway"],
                    justification=change.get("justification", ""),
                )
            else:
                rd = RequestedDataset.objects.get(application=application, dataset=dataset)
            for variable in dataset.variables.filter(name__in=change.get("variables", [])):
                RequestedVariable.objects.get_or_create(requested_dataset=rd, variable=variable)
        elif kind == ChangeType.REMOVE_DATASET:
            RequestedDataset.objects.filter(
                application=application, dataset__slug=change["dataset"]
            ).delete()
        elif kind == ChangeType.CHANGE_QUESTION:
            application.research_question = (
                change.get("research_question") or application.research_question
            )
            application.purpose = change.get("purpose") or application.purpose
            application.save(update_fields=["research_question", "purpose"])
        elif kind == ChangeType.EXTEND_END_DATE:
            application.end_date = datetime.date.fromisoformat(change["end_date"])
            application.save(update_fields=["end_date"])
        elif kind == ChangeType.CHANGE_LEAD:
            if change.get("principal_investigator"):
                ApplicationMember.objects.filter(
                    application=application, project_role=ProjectRole.PRINCIPAL_INVESTIGATOR
                ).update(project_role=ProjectRole.CO_INVESTIGATOR)
                ApplicationMember.objects.filter(
                    application=application, user_id=change["principal_investigator"]
                ).update(project_role=ProjectRole.PRINCIPAL_INVESTIGATOR)
            if change.get("lead_organisation"):
                application.lead_organisation_id = change["lead_organisation"]
                application.save(update_fields=["lead_organisation"])


def preview(application: Application, changes: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The route and the diff ``changes`` would have (validated first: 400)."""
    cleaned = clean_changes(application, changes)
    steps = routing.explain(application, cleaned)
    return {
        "changes": cleaned,
        "route": [s.as_dict() for s in steps],
        "tracks": [p.__dict__ for p in routing.tracks_of(steps)],
        "takes_effect_at_once": routing.takes_effect_at_once(steps),
        "diff": _preview_diff(application, cleaned),
    }


# --- asking, submitting, withdrawing -----------------------------------------------------------


@service
def amendment_create(
    *, application: Application, by: User, changes: Any, reason: str = ""
) -> Amendment:
    """The PI (or ops for them) asks for an amendment of a live project: a draft whose route
    and diff are shown before it is submitted.

    Before: the project is active or suspended with no amendment open. After: a draft with one
    ``create`` event; nothing about the project changed.
    """
    application = Application.objects.locked(application)
    check_request(by, application)
    cleaned = clean_changes(application, changes)
    check_scope_growth(application, {c["type"] for c in cleaned})
    number = (
        application.amendments.order_by("-number").values_list("number", flat=True).first() or 0
    ) + 1
    try:
        amendment: Amendment = Amendment.objects.create(
            application=application,
            number=number,
            changes=cleaned,
            reason=(reason or "").strip()[:4000],
            base_version=application.current_version,
            requested_by=by,
            diff=_preview_diff(application, cleaned),
        )
    except IntegrityError as exc:  # pragma: no cover - the project lock makes this unreachable
        raise ConcurrentChange("Another amendment was asked for at the same moment.") from exc
    append_event(amendment, by=by, transition="create", from_state="", payload={"changes": cleaned})
    return amendment


@service
def amendment_update(
    *, amendment: Amendment, by: User, changes: Any, reason: str | None = None
) -> Amendment:
    """Change a draft's changes (and reason) before it is submitted."""
    application, amendment = _lock(amendment)
    check_request_on(by, amendment)
    if amendment.state != AmendmentState.DRAFT:
        raise InvalidTransition(
            "Only a draft amendment is changed; this one is submitted.",
            current_state=amendment.state,
        )
    cleaned = clean_changes(application, changes)
    check_scope_growth(application, {c["type"] for c in cleaned})
    amendment.changes = cleaned
    if reason is not None:
        amendment.reason = reason.strip()[:4000]
    amendment.diff = _preview_diff(application, cleaned)
    amendment.save(update_fields=["changes", "reason", "diff"])
    append_event(
        amendment,
        by=by,
        transition="edit",
        from_state=amendment.state,
        payload={"changes": cleaned},
    )
    return amendment


def check_request_on(by: User, amendment: Amendment) -> None:
    verdict = may_request(by, amendment.application)
    if not verdict:
        raise NotAllowed(getattr(verdict, "reason", "Not allowed."))


@service
def amendment_submit(*, amendment: Amendment, by: User) -> Amendment:
    """Submit a draft: the route is computed from its changes and the routing table, frozen
    with its explanation, and only the affected tracks open, in parallel. Changes that open no
    track take effect now; with no track at all, the amendment is approved at once.

    Before: a draft of a live project. After: ``in_review`` with its tracks open, or
    ``approved`` (a new project version) when nobody needs to review it.
    """
    application, amendment = _lock(amendment)
    # Who may (403), then the amendment's state and the project's (409), then the input (400).
    if not may(amendment, "submit", by):
        raise refuse(amendment, "submit", by)
    check_state(amendment, "submit")
    if application.state not in AMENDABLE_STATES:
        check_request(by, application)
    cleaned = clean_changes(application, amendment.changes)
    check_scope_growth(application, {c["type"] for c in cleaned})
    steps = routing.explain(application, cleaned)
    plans = routing.tracks_of(steps)
    amendment.changes = cleaned
    amendment.route = [s.as_dict() for s in steps]
    amendment.diff = _preview_diff(application, cleaned)
    amendment.submitted_at = timezone.now()
    _move(
        amendment,
        "submit",
        by=by,
        payload={"route": amendment.route, "tracks": [p.name for p in plans]},
    )
    today = timezone.localdate()
    for plan in plans:
        AmendmentTrack.objects.create(
            amendment=amendment,
            reviewer=plan.reviewer,
            organisation_id=plan.organisation_id,
            reasons=plan.reasons,
            opened_at=timezone.now(),
            due_date=add_workdays(today, plan.target_days),
        )
    reviewed = {s.change for s in steps if s.opens_track}
    at_once = [c for i, c in enumerate(cleaned) if i not in reviewed]
    if at_once:
        _apply(application, at_once, by=by)
    if not plans:
        _finish(application, amendment, by=by, approved=True)
    elif at_once:
        amendment.version = _freeze_version(application, by, amendment).number
        amendment.save(update_fields=["version"])
        register_record(application)
    return amendment


@service
def amendment_withdraw(*, amendment: Amendment, by: User, reason: str = "") -> Amendment:
    """The PI (or ops) withdraws an open amendment: its open tracks close, nothing more
    changes."""
    _application, amendment = _lock(amendment)
    amendment.decided_at = timezone.now()
    _move(amendment, "withdraw", by=by, reason=reason)
    _close_open_tracks(amendment, by=by)
    return amendment


def _close_open_tracks(amendment: Amendment, *, by: User | None) -> None:
    for track in amendment.tracks.select_for_update().filter(state=AmendmentTrackState.OPEN):
        _move(track, "close", by=None, check_policy=False, reason="The amendment ended.")


# --- deciding ---------------------------------------------------------------------------------


@service
def amendment_track_decide(
    *, track: AmendmentTrack, by: User, outcome: str, rationale: str = ""
) -> AmendmentTrack:
    """A reviewer decides their track. When it is the last open one, the tracks' decisions
    combine into the amendment's: any rejection rejects it; else it is approved and its
    changes take effect (a new project version, grants, register, decision record).

    Before: the track is open, its amendment in review. After: the track is decided, and
    perhaps the amendment too.
    """
    application, amendment = _lock(track.amendment)
    track = AmendmentTrack.objects.select_for_update().get(pk=track.pk)
    track.amendment = amendment
    errors: dict[str, list[str]] = {}
    if outcome not in TrackOutcome.values:
        errors["outcome"] = ["Choose approved or rejected."]
    rationale = (rationale or "").strip()
    if outcome == TrackOutcome.REJECTED and not rationale:
        errors["rationale"] = ["Say why the amendment is not approved."]
    if amendment.state != AmendmentState.IN_REVIEW and track.state == AmendmentTrackState.OPEN:
        raise InvalidTransition(  # pragma: no cover - tracks close with their amendment
            "The amendment is no longer in review.", current_state=amendment.state
        )
    if not errors:
        track.outcome = outcome
        track.rationale = rationale[:4000]
        track.decided_at = timezone.now()
        track.decided_by = by
    if (
        not errors
        and track.reviewer in (Reviewer.IGRP, Reviewer.DEA_PANEL)
        and track.state == AmendmentTrackState.OPEN
        and may_decide(by, track)
    ):
        # The panel's rule, as on a route's panel track: 409 naming what is missing (votes,
        # independent or lay votes, agreement, the chair's own vote on a blind first round).
        check_panel_decision(by, track, outcome)
    take_errors = errors or None
    _move_track_decide(track, by=by, errors=take_errors)
    if track.reviewer == Reviewer.ORGANISATION_SIGNATORY and outcome == TrackOutcome.APPROVED:
        _sign_for_organisation(application, track, by=by)
    if not amendment.tracks.filter(state=AmendmentTrackState.OPEN).exists():
        rejected = amendment.tracks.filter(outcome=TrackOutcome.REJECTED).exists()
        _finish(application, amendment, by=by, approved=not rejected)
    return track


def _move_track_decide(
    track: AmendmentTrack, *, by: User, errors: dict[str, list[str]] | None
) -> None:
    event: AmendmentEvent = take(
        track,
        "decide",
        by=by,
        log=_log,
        reason=track.rationale,
        errors=errors,
    )
    del event
    raise_notice(
        "amendment.track_decided",
        track,
        actor=by,
        **_context(
            track.amendment,
            track_name=track.name,
            outcome=track.get_outcome_display(),
            rationale=track.rationale,
        ),
    )


def _sign_for_organisation(application: Application, track: AmendmentTrack, *, by: User) -> None:
    """A new organisation's signatory approving the amendment signs the agreement for it."""
    current = agreement_current()
    if current is None or track.organisation_id is None:
        return
    AgreementSignature.objects.get_or_create(
        application=application,
        agreement=current,
        signer=by,
        capacity=SignatureCapacity.ORGANISATION_SIGNATORY,
        defaults={"organisation_id": track.organisation_id, "signed_at": timezone.now()},
    )


def _finish(application: Application, amendment: Amendment, *, by: User, approved: bool) -> None:
    """The combined decision: approve (the reviewed changes take effect) or reject."""
    amendment.decided_at = timezone.now()
    if approved:
        reviewed = {s["change"] for s in amendment.route if s.get("opens_track")}
        later = [c for i, c in enumerate(amendment.changes) if i in reviewed]
        if later:
            _apply(application, later, by=by)
        amendment.version = _freeze_version(application, by, amendment).number
        _move(amendment, "approve", by=by, check_policy=False)
        register_record(application)
        _decision_record(application, amendment, by=by)
    else:
        _move(amendment, "reject", by=by, check_policy=False)
        _decision_record(application, amendment, by=by)


def _decision_record(application: Application, amendment: Amendment, *, by: User) -> None:
    tracks = list(amendment.tracks.select_related("organisation").order_by("id"))
    # Shaped as the route's citations (dataset, ``category@version``, title): the RO-Crate and
    # the register read both alike.
    cited = [
        {
            "dataset": amendment.changes[s["change"]].get("dataset", ""),
            "category": s["pre_approved"]["citation"],
            "title": s["pre_approved"]["title"],
        }
        for s in amendment.route
        if s.get("pre_approved")
    ]
    slugs = sorted(application.requested_datasets.values_list("dataset__slug", flat=True))
    DecisionRecord.objects.create(
        application=application,
        version=amendment.version or application.current_version,
        outcome=amendment.state,
        stage="amendment",
        decided_at=amendment.decided_at or timezone.now(),
        decided_by_name=(by.full_name or by.username) if by is not None else "System",
        reason=f"Amendment {amendment.number}: "
        + "; ".join(ChangeType(t).label.lower() for t in amendment.types),
        tracks=[
            {
                "kind": t.reviewer,
                "name": t.name,
                "round": 1,
                "version": amendment.base_version,
                "outcome": t.outcome,
                "rationale": t.rationale,
                "conditions": [],
                "automatic": False,
                "decided_at": t.decided_at.isoformat() if t.decided_at else None,
                "pre_approved": [],
            }
            for t in tracks
        ],
        conditions=[],
        pre_approved=cited,
        five_safes={},
        reference=application.reference or "",
        title=application.title,
        purpose=application.purpose,
        datasets=slugs,
        dataset_keys=dataset_keys(slugs),
    )


@service
def amendment_vote_cast(
    *, track: AmendmentTrack, by: User, choice: str, rationale: str = ""
) -> AmendmentVote:
    """A panel member votes on a panel track (a second vote replaces their first while the
    track is open); the chair records the decision once the quorum is in."""
    _application, amendment = _lock(track.amendment)
    track = AmendmentTrack.objects.select_for_update().get(pk=track.pk)
    track.amendment = amendment
    check_vote(by, track)
    errors: dict[str, list[str]] = {}
    if choice not in TrackOutcome.values:
        errors["choice"] = ["Choose approved or rejected."]
    rationale = (rationale or "").strip()
    if choice == TrackOutcome.REJECTED and not rationale:
        errors["rationale"] = ["Say why you would not approve it."]
    if errors:
        raise ValidationFailed("The vote cannot be cast.", fields=errors)
    vote, _ = AmendmentVote.objects.update_or_create(
        track=track, member=by, defaults={"choice": choice, "rationale": rationale[:4000]}
    )
    append_event(
        amendment,
        by=by,
        transition="vote",
        from_state=amendment.state,
        reason=vote.rationale,
        payload={"track_id": track.pk, "track": track.name, "choice": choice},
    )
    return vote


# --- the routing table -----------------------------------------------------------------------


@service
def route_rule_update(
    *, rule: RouteRule, by: User, active: bool, target_days: int, note: str = ""
) -> RouteRule:
    """Ops switch a rule on or off, or change its target or note. Amendments already submitted
    keep the route they were sent on (it is frozen on them)."""
    check_change_routing(by)
    errors: dict[str, list[str]] = {}
    if not 0 <= int(target_days) <= 250:
        errors["target_days"] = ["The target must be between 0 and 250 working days."]
    if errors:
        raise ValidationFailed("The rule cannot be changed so.", fields=errors)
    rule = RouteRule.objects.select_for_update().get(pk=rule.pk)
    rule.active = bool(active)
    rule.target_days = int(target_days)
    rule.note = (note or "").strip()[:2000]
    rule.save(update_fields=["active", "target_days", "note", "updated_at"])
    return rule


# --- a new member's signature -------------------------------------------------------------------


@service
def amendment_member_sign(*, application: Application, by: User) -> bool:
    """A member of a live project (added by an amendment) signs the current agreement; their
    access follows at once if they already pass the safe-people check. True when granted."""
    application = Application.objects.locked(application)
    if not application.members.filter(user=by).exists():
        raise NotAllowed("Only members of the project sign the agreement as a member.")
    if application.state not in AMENDABLE_STATES:
        raise InvalidTransition("The project is not live.", current_state=application.state)
    current = agreement_current()
    if current is None:
        raise InvalidTransition(
            "No data access agreement is published yet.", current_state=application.state
        )
    AgreementSignature.objects.get_or_create(
        application=application,
        agreement=current,
        signer=by,
        capacity=SignatureCapacity.MEMBER,
        defaults={"signed_at": timezone.now()},
    )
    return grant_if_ready(application, by, by=by)


def grants_follow(application: Application, *, by: User) -> int:
    """Every member of the live project without a grant who is now ready gets one (called when
    a suspended project is reinstated: ``workflow.amendments.watchers``)."""
    granted = 0
    for member in application.members.select_related("user"):
        if grant_if_ready(application, member.user, by=by):
            granted += 1
    return granted


__all__ = [
    "amendment_create",
    "amendment_member_sign",
    "amendment_submit",
    "amendment_track_decide",
    "amendment_update",
    "amendment_withdraw",
    "check_amendable",
    "clean_changes",
    "preview",
]
