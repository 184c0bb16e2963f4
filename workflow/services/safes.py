"""The Five Safes on the route: safeguards the team declares, the checks at the gates, the
reviewer's verdicts, telling people what accreditation they need, and going live.

Hooks into the route (each called inside the transaction of the change):

* ``application_submit`` / ``application_resubmit`` → ``tell_members_what_they_need``;
* ``referral_errors`` (refer to panels) → ``referral_gate_errors``; after it, ``referred``;
* ``access_gate_errors`` (grant access) → ``access_gate_errors``;
* ``application_grant_access`` → ``go_live`` (snapshot the checks, create the access grants);
* ``_combine_if_complete`` (approved) → ``after_approval`` (conditions, agreement requests).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from access import notify as access_notify
from access.evidence import display_name, sha256_of, stored_name, validate_evidence
from access.exceptions import InvalidTransition, NotAllowed, ValidationFailed
from access.models import (
    START_KIND,
    AccessGrant,
    Accreditation,
    AccreditationKind,
    Requirement,
    User,
)
from access.policy import Permission, has_permission
from access.services import access_grants_create, missing_requirements
from workflow.models import (
    ActorRole,
    Application,
    ApplicationSafeguards,
    Condition,
    ConditionOrigin,
    ConditionState,
    EventKind,
    FiveSafesCheckResult,
    FiveSafesRun,
    Gate,
    ProjectRole,
    ReviewTrack,
    Safe,
    SafeVerdict,
    State,
    Verdict,
)
from workflow.safes import CheckResult, gate_errors, run_checks

from .core import lock_application, record_event

EDITABLE = (State.DRAFT, State.CHANGES_REQUESTED)
# Reviewers give verdicts from internal review until access is granted.
VERDICT_STATES = (State.INTERNAL_REVIEW, State.IN_REVIEW, State.APPROVED)

SAFEGUARD_FIELDS = (
    "ethics_reference",
    "ethics_committee",
    "ethics_approved_on",
    "access_inside_tre_only",
    "intended_outputs",
)


# --- safeguards -----------------------------------------------------------------------------


def safeguards_of(application: Application) -> ApplicationSafeguards:
    return getattr(application, "safeguards", None) or ApplicationSafeguards(
        application=application
    )


@transaction.atomic
def safeguards_update(
    *, application: Application, by: User, data: dict[str, Any]
) -> ApplicationSafeguards:
    """The team records ethics approval, intended outputs, TRE-only access and acknowledges the
    disclosure-control rules (``acknowledge_disclosure_rules: true``), while it may edit."""
    application = lock_application(application)
    if not has_permission(by, Permission.APPLICATION_EDIT, application):
        raise NotAllowed("Only the team edits its safeguards.")
    if application.state not in EDITABLE:
        raise InvalidTransition(
            "Safeguards can be edited while the application is a draft or changes are requested.",
            current_state=application.state,
        )
    approved_on = data.get("ethics_approved_on")
    if approved_on and approved_on > timezone.localdate():
        raise ValidationFailed(
            "The safeguards have problems.",
            fields={"ethics_approved_on": ["The approval date cannot be in the future."]},
        )
    safeguards, _ = ApplicationSafeguards.objects.get_or_create(application=application)
    for name in SAFEGUARD_FIELDS:
        if name in data:
            value = data[name]
            setattr(safeguards, name, value.strip() if isinstance(value, str) else value)
    if "acknowledge_disclosure_rules" in data:
        if data["acknowledge_disclosure_rules"]:
            safeguards.disclosure_rules_acknowledged_at = timezone.now()
            safeguards.disclosure_rules_acknowledged_by = by
            safeguards.disclosure_min_cell_count = settings.DISCLOSURE_MIN_CELL_COUNT
        else:
            safeguards.disclosure_rules_acknowledged_at = None
            safeguards.disclosure_rules_acknowledged_by = None
            safeguards.disclosure_min_cell_count = None
    safeguards.updated_by = by
    safeguards.save()
    record_event(
        application=application,
        kind=EventKind.SAFEGUARDS_UPDATED,
        by=by,
        role=ActorRole.MEMBER,
        payload={"fields": sorted(data)},
    )
    return safeguards


# --- the checks, the verdicts, the gates ----------------------------------------------------


@transaction.atomic
def safeguards_ethics_letter_attach(
    *, application: Application, by: User, upload: UploadedFile | None
) -> ApplicationSafeguards:
    """The team attaches (or replaces) the ethics approval letter while it may edit.

    Before: ``upload`` is whatever the client sent. After: a PDF, PNG or JPEG within the size
    limit is stored under a random name outside the web root, its SHA-256 is on the safeguards
    and in the event (so the audit chain vouches for the file), and the letter it replaces is
    deleted from storage once the change has committed.
    """
    application = lock_application(application)
    if not has_permission(by, Permission.APPLICATION_EDIT, application):
        raise NotAllowed("Only the team attaches its ethics approval letter.")
    if application.state not in EDITABLE:
        raise InvalidTransition(
            "The letter can be attached while the application is a draft or changes are requested.",
            current_state=application.state,
        )
    content_type = validate_evidence(upload, field="file")
    assert upload is not None  # noqa: S101 - validate_evidence refused None
    safeguards, _ = ApplicationSafeguards.objects.get_or_create(application=application)
    replaced = safeguards.ethics_letter.name
    checksum = sha256_of(upload)
    safeguards.ethics_letter.save(stored_name(content_type), upload, save=False)
    # Everything that can refuse has run; if the transaction still fails the stored file is an
    # orphan under a random name that nothing links to or serves (harmless, and rare).
    storage = safeguards.ethics_letter.storage
    safeguards.ethics_letter_name = display_name(upload)
    safeguards.ethics_letter_type = content_type
    safeguards.ethics_letter_sha256 = checksum
    safeguards.updated_by = by
    safeguards.save()
    if replaced:
        transaction.on_commit(lambda: storage.delete(replaced))
    record_event(
        application=application,
        kind=EventKind.SAFEGUARDS_UPDATED,
        by=by,
        role=ActorRole.MEMBER,
        payload={
            "fields": ["ethics_letter"],
            "file": {"name": safeguards.ethics_letter_name, "sha256": checksum},
        },
    )
    return safeguards


def five_safes_overview(application: Application, *, today: datetime.date | None = None) -> dict:
    """Checks and verdicts side by side, per safe, with what each gate would say now."""
    results = run_checks(application, today=today)
    verdicts = {v.safe: v for v in application.safe_verdicts.select_related("decided_by")}
    conditions = list(
        application.conditions.filter(origin=ConditionOrigin.SAFE).exclude(
            state=ConditionState.WITHDRAWN
        )
    )
    safes = []
    for safe in Safe:
        safes.append(
            {
                "safe": safe.value,
                "label": safe.label,
                "checks": [r for r in results if r.safe == safe],
                "verdict": verdicts.get(safe.value),
                "conditions": [c for c in conditions if c.safe == safe.value],
            }
        )
    last = application.five_safes_runs.order_by("-run_at", "-id").first()
    return {
        "application": application,
        "checked_on": today or timezone.localdate(),
        "safes": safes,
        "gates": {
            gate: {"open": not errors, "blocking": sorted(errors)}
            for gate, errors in (
                (Gate.REFER_TO_PANELS, gate_errors(results, Gate.REFER_TO_PANELS)),
                (Gate.GRANT_ACCESS, gate_errors(results, Gate.GRANT_ACCESS)),
            )
        },
        "last_run": last,
    }


def record_run(
    application: Application, *, gate: str, by: User | None, results: list[CheckResult]
) -> FiveSafesRun:
    """Keep the checks as they stood when a gate was passed (for the view and the audit)."""
    run = FiveSafesRun.objects.create(
        application=application,
        gate=gate,
        version=application.current_version or None,
        run_at=timezone.now(),
        run_by=by,
    )
    FiveSafesCheckResult.objects.bulk_create(
        FiveSafesCheckResult(run=run, code=r.code, safe=r.safe, result=r.result, message=r.message)
        for r in results
    )
    record_event(
        application=application,
        kind=EventKind.FIVE_SAFES_CHECKED,
        by=by,
        role=ActorRole.SYSTEM,
        payload={"run": run.pk, "gate": gate, "results": {r.code: r.result for r in results}},
    )
    return run


def referral_gate_errors(application: Application) -> dict[str, list[str]]:
    """What stops the referral: a failing safe-projects or safe-data check."""
    return gate_errors(run_checks(application), Gate.REFER_TO_PANELS)


def access_gate_errors(application: Application) -> dict[str, list[str]]:
    """What stops access: any check not passing, a safe judged not met, a before-access
    condition not verified, the agreement not signed by every member and the signatory."""
    from .agreements import agreement_access_errors
    from .conditions import conditions_access_errors

    # Lock the members' awards first, so an officer revoking one while access is granted either
    # commits before the checks read it (and access is refused) or waits and then sees the new
    # grants (and suspends the member's). Called inside the grant_access transaction.
    list(
        Accreditation.objects.select_for_update(of=("self",))
        .filter(person__in=application.members.values("user"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    errors = gate_errors(run_checks(application), Gate.GRANT_ACCESS)
    for verdict in application.safe_verdicts.filter(verdict=Verdict.NOT_MET):
        errors[f"five_safes.verdicts.{verdict.safe}"] = [
            f"{verdict.get_safe_display()} was judged not met: {verdict.rationale}"
        ]
    errors.update(conditions_access_errors(application))
    errors.update(agreement_access_errors(application))
    return errors


@transaction.atomic
def safe_verdict_record(
    *,
    application: Application,
    by: User,
    safe: str,
    verdict: str,
    rationale: str,
    conditions: Sequence[dict[str, Any]] = (),
) -> SafeVerdict:
    """A reviewer's verdict on one safe, replacing any earlier one. "Met with conditions" sets
    conditions (obligations with this safe as their source); the open conditions of the verdict
    it replaces are withdrawn."""
    application = lock_application(application)
    if not has_permission(by, Permission.FIVE_SAFES_ASSESS, application):
        raise NotAllowed("Only reviewers not on the team give verdicts on the Five Safes.")
    if application.state not in VERDICT_STATES:
        raise InvalidTransition(
            "Verdicts on the Five Safes are given from internal review until access is granted.",
            current_state=application.state,
        )
    errors: dict[str, list[str]] = {}
    if safe not in Safe.values:
        errors["safe"] = [f"Choose one of {', '.join(Safe.values)}."]
    if verdict not in Verdict.values:
        errors["verdict"] = [f"Choose one of {', '.join(Verdict.values)}."]
    if not rationale.strip():
        errors["rationale"] = ["Give the reasons for the verdict."]
    texts = [c for c in conditions if str(c.get("text", "")).strip()]
    if verdict == Verdict.MET_WITH_CONDITIONS and not texts:
        errors["conditions"] = ["State at least one condition."]
    if verdict in (Verdict.MET, Verdict.NOT_MET) and texts:
        errors["conditions"] = ["Conditions go with 'met with conditions' only."]
    errors.update(_condition_term_errors(application, texts))
    if errors:
        raise ValidationFailed("The verdict has problems.", fields=errors)
    record, _ = SafeVerdict.objects.update_or_create(
        application=application,
        safe=safe,
        defaults={
            "verdict": verdict,
            "rationale": rationale.strip(),
            "version": application.current_version or None,
            "decided_at": timezone.now(),
            "decided_by": by,
        },
    )
    now = timezone.now()
    for old in application.conditions.select_for_update().filter(
        origin=ConditionOrigin.SAFE, safe=safe, state=ConditionState.OPEN
    ):
        old.withdraw()
        old.withdrawn_at = now
        old.save()
    pi = _principal_investigator(application)
    for c in texts:
        Condition.objects.create(
            application=application,
            text=c["text"].strip(),
            origin=ConditionOrigin.SAFE,
            safe=safe,
            responsible=c.get("responsible") or pi,
            timing=c.get("timing") or "before_access",
            due_date=c.get("due_date"),
        )
    record_event(
        application=application,
        kind=EventKind.SAFE_VERDICT,
        by=by,
        role=ActorRole.REVIEWER,
        reason=record.rationale,
        payload={"safe": safe, "verdict": verdict, "conditions": [c["text"] for c in texts]},
    )
    return record


def _condition_term_errors(application, conditions) -> dict[str, list[str]]:
    from .conditions import condition_terms_errors

    errors: dict[str, list[str]] = {}
    for index, c in enumerate(conditions):
        for field, messages in condition_terms_errors(application, c).items():
            errors[f"conditions.{index}.{field}"] = messages
    return errors


def _principal_investigator(application: Application) -> User | None:
    member = (
        application.members.filter(project_role=ProjectRole.PRINCIPAL_INVESTIGATOR)
        .select_related("user")
        .first()
    )
    return member.user if member else None


# --- safe people on the route ---------------------------------------------------------------


def requirements_of(application: Application) -> list[str]:
    from workflow.five_safes_checks import requirements_for

    return requirements_for(application)


def access_start(application: Application) -> datetime.date:
    today = timezone.localdate()
    return max(today, application.start_date) if application.start_date else today


def tell_members_what_they_need(application: Application) -> int:
    """Each member without a valid accreditation the project needs (and no application for it
    in progress) is told what to start, once per person, requirement and application. Called
    on submission and resubmission (new members are told then). Returns how many were told."""
    from access.models import SATISFIED_BY, Accreditation, AccreditationState

    day = access_start(application)
    told = 0
    for member in application.members.select_related("user"):
        person = member.user
        for requirement in missing_requirements(person, requirements_of(application), day):
            in_progress = Accreditation.objects.filter(
                person=person, kind__in=SATISFIED_BY[requirement], state=AccreditationState.APPLIED
            ).exists()
            if in_progress:
                continue
            start = START_KIND[requirement]
            start_label = AccreditationKind(start).label
            if requirement == Requirement.DEA_ACCREDITED:
                start_label += " (or provisional, with a fully accredited supervisor)"
            access_notify.send(
                "accreditation.needed",
                recipients=[person],
                context={
                    "reference": application.reference,
                    "requirement_label": Requirement(requirement).label,
                    "start_label": start_label,
                },
                url="/accreditation/",
                about=f"application:{application.pk}",
                dedupe_key=f"accreditation-needed:{application.pk}:{person.pk}:{requirement}",
            )
            told += 1
    return told


def referred(application: Application, *, by: User) -> FiveSafesRun:
    """After ``refer_to_panels``: keep the checks the panels received the application with."""
    return record_run(
        application, gate=Gate.REFER_TO_PANELS, by=by, results=run_checks(application)
    )


def go_live(application: Application, *, by: User) -> list[AccessGrant]:
    """After ``grant_access``: keep the checks that let it through and give every member a
    grant until the project's end date, requiring what the project requires."""
    record_run(application, gate=Gate.GRANT_ACCESS, by=by, results=run_checks(application))
    people = [m.user for m in application.members.select_related("user")]
    return access_grants_create(
        application=application,
        people=people,
        start_on=access_start(application),
        end_on=application.end_date,
        requirements=requirements_of(application),
        by=by,
    )


def after_approval(application: Application, *, tracks: Sequence[ReviewTrack], by: User) -> None:
    """The application was approved: the tracks' conditions become obligations, and the team and
    the lead organisation's signatories are asked to sign the agreement."""
    from .agreements import request_signatures
    from .conditions import conditions_from_tracks

    conditions_from_tracks(application, tracks=tracks, by=by)
    request_signatures(application)
