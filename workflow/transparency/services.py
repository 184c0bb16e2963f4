"""Transparency: the register entry, decision records and project outputs.

``register_record`` is called, in the same transaction, by every service that decides an
application or changes the status the public sees (the combined decision, a rejection at
internal review, granting, suspending, reinstating and closing access). Nobody retypes the
register: it is written from the application as it stands, and only public fields are copied.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone

from access.models import Accreditation, AccreditationKind, User
from catalogue.models import Purpose, Sensitivity
from core.errors import ValidationFailed
from notifications.notices import service
from workflow.models import (
    Application,
    DecisionRecord,
    EventKind,
    OutputKind,
    ProjectOutput,
    ProjectRole,
    RegisterEntry,
    RegisterStatus,
    ReviewTrack,
    State,
    TrackKind,
)
from workflow.safes.services import five_safes_overview
from workflow.transparency.policies import check_add_output

# The application states that appear on the register, and how.
PUBLIC_STATUS: dict[str, str] = {
    State.APPROVED: RegisterStatus.APPROVED,
    State.ACTIVE: RegisterStatus.ACTIVE,
    # Suspension is between the TRE and the team: the public entry stays active.
    State.SUSPENDED: RegisterStatus.ACTIVE,
    State.CLOSED: RegisterStatus.CLOSED,
    State.REJECTED: RegisterStatus.DECLINED,
}

# HDR UK DUR v2 "data sensitivity level": Personally identifiable > De-personalised > Anonymous.
DUR_SENSITIVITY = {
    Sensitivity.IDENTIFIABLE: "Personally identifiable",
    Sensitivity.PSEUDONYMISED: "De-personalised",
    Sensitivity.DEIDENTIFIED: "De-personalised",
    Sensitivity.ANONYMOUS: "Anonymous",
}

ACCESS_TYPE = "TRE"


def dataset_keys(slugs: list[str]) -> str:
    """``",a,b,"``: each slug between commas, so ``contains ",a,"`` finds exactly ``a``."""
    return f",{','.join(slugs)}," if slugs else ""


def _day(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localdate(moment) if moment else None


def _event_day(application: Application, kind: str) -> datetime.date | None:
    event = application.events.filter(kind=kind).order_by("-created_at", "-id").first()
    return _day(event.created_at) if event else None


def _lead_is_dea_accredited(application: Application, on: datetime.date) -> bool:
    pi = (
        application.members.filter(project_role=ProjectRole.PRINCIPAL_INVESTIGATOR)
        .select_related("user")
        .first()
    )
    if pi is None:
        return False
    awards = Accreditation.objects.filter(
        person=pi.user, kind__in=[AccreditationKind.DEA_FULL, AccreditationKind.DEA_PROVISIONAL]
    )
    return any(a.is_valid_on(on) for a in awards)


def _conditions(application: Application) -> list[str]:
    """The union of the conditions of the tracks that made the latest approval."""
    tracks = ReviewTrack.objects.filter(application=application, superseded=False)
    return list(dict.fromkeys(c for t in tracks.order_by("id") for c in t.conditions))


def register_record(application: Application) -> RegisterEntry | None:
    """Write (or rewrite) the application's register entry from its current state.

    Preconditions: inside the transaction of the change it reflects. Postconditions: an
    application in a register state has exactly one entry holding only public fields; a
    declined one holds only reference, organisation and status (and its decision date, for
    the year filter). Applications never decided (drafts, withdrawn) have no entry.
    """
    status = PUBLIC_STATUS.get(application.state)
    if status is None or not application.reference:
        return None
    organisation = application.lead_organisation
    decided_on = _day(application.decided_at) or timezone.localdate()
    fields: dict[str, Any] = {
        "reference": application.reference,
        "organisation": organisation.name if organisation else "",
        "organisation_slug": organisation.slug if organisation else "",
        "status": status,
        "latest_decision_on": decided_on,
    }
    # Every other field is reset for a declined entry, so nothing private can remain.
    public: dict[str, Any] = {
        "organisation_ror": "",
        "organisation_sector": "",
        "applicants": [],
        "lead_applicant_dea_accredited": None,
        "title": "",
        "lay_summary": "",
        "public_benefit": "",
        "purpose": "",
        "funders": "",
        "other_approvals": [],
        "start_date": None,
        "end_date": None,
        "latest_approval_on": None,
        "access_granted_on": None,
        "closed_on": None,
        "datasets": [],
        "dataset_keys": "",
        "sensitivity": "",
        "access_type": "",
        "processing_environment": "",
        "conditions": [],
    }
    if status != RegisterStatus.DECLINED:
        public.update(_approved_fields(application, decided_on))
    entry, _ = RegisterEntry.objects.update_or_create(
        application=application, defaults={**fields, **public}
    )
    return entry


def _approved_fields(application: Application, decided_on: datetime.date) -> dict[str, Any]:
    organisation = application.lead_organisation
    members = application.members.select_related("user").order_by("id")
    # The principal investigator first, then the team in the order they were named.
    members = sorted(members, key=lambda m: m.project_role != ProjectRole.PRINCIPAL_INVESTIGATOR)
    requested = application.requested_datasets.select_related("dataset__provider").order_by(
        "dataset__title"
    )
    datasets = [
        {
            "slug": rd.dataset.slug,
            "title": rd.dataset.title,
            "provider": rd.dataset.provider.name,
            "sensitivity": DUR_SENSITIVITY.get(rd.dataset.sensitivity, ""),
            "legal_gateway": rd.get_legal_gateway_display(),
        }
        for rd in requested
    ]
    ranks = [Sensitivity.rank(rd.dataset.sensitivity) for rd in requested]
    highest = list(Sensitivity.values)[max(ranks)] if ranks else ""
    safeguards = getattr(application, "safeguards", None)
    approvals = []
    if safeguards is not None and safeguards.ethics_reference:
        approvals.append(
            {
                "committee": safeguards.ethics_committee,
                "reference": safeguards.ethics_reference,
                "approved_on": (
                    safeguards.ethics_approved_on.isoformat()
                    if safeguards.ethics_approved_on
                    else None
                ),
            }
        )
    return {
        "organisation_ror": organisation.ror_id if organisation else "",
        "organisation_sector": organisation.sector if organisation else "",
        "applicants": [m.user.full_name for m in members],
        "lead_applicant_dea_accredited": _lead_is_dea_accredited(application, decided_on),
        "title": application.title,
        "lay_summary": application.lay_summary,
        "public_benefit": application.public_benefit,
        "purpose": Purpose(application.purpose).label if application.purpose else "",
        "funders": application.funder,
        "other_approvals": approvals,
        "start_date": application.start_date,
        "end_date": application.end_date,
        "latest_approval_on": decided_on,
        "access_granted_on": _event_day(application, EventKind.ACCESS_GRANTED),
        "closed_on": _event_day(application, EventKind.CLOSED),
        "datasets": datasets,
        "dataset_keys": dataset_keys([d["slug"] for d in datasets]),
        "sensitivity": DUR_SENSITIVITY.get(highest, ""),
        "access_type": ACCESS_TYPE,
        "processing_environment": settings.TRE_PROCESSING_ENVIRONMENT,
        "conditions": _conditions(application),
    }


# --- decision records ---------------------------------------------------------------------------


def _track_name(track: ReviewTrack) -> str:
    if track.kind == TrackKind.OWNER_SIGNOFF:
        return f"Data owner sign-off: {track.organisation.name}"
    return track.panel.name if track.panel_id else track.get_kind_display()


def decision_record_create(
    *, application: Application, outcome: str, by: User | None, reason: str = ""
) -> DecisionRecord:
    """Freeze the decision just taken on ``application``.

    Preconditions: inside the decision's transaction, after its transition. For a combined
    decision the current (not superseded) tracks are the ones decided; a rejection at internal
    review has none and carries its ``reason``.
    """
    tracks = list(
        application.tracks.filter(superseded=False)
        .select_related("panel", "organisation")
        .prefetch_related("pre_approved__category_version", "pre_approved__dataset")
        .order_by("kind", "organisation__name", "id")
    )
    stage = State.IN_REVIEW if tracks else State.INTERNAL_REVIEW
    track_rows = []
    citations = []
    for t in tracks:
        cited = [
            {
                "dataset": m.dataset.slug,
                "category": m.category_version.citation,
                "title": m.category_version.title,
            }
            for m in t.pre_approved.all()
        ]
        citations.extend(cited)
        track_rows.append(
            {
                "kind": t.kind,
                "name": _track_name(t),
                "round": t.round,
                "version": t.version,
                "outcome": t.outcome,
                "rationale": t.rationale,
                "conditions": t.conditions,
                "automatic": t.automatic,
                "decided_at": t.decided_at.isoformat() if t.decided_at else None,
                "pre_approved": cited,
            }
        )
    slugs = sorted(application.requested_datasets.values_list("dataset__slug", flat=True))
    overview = five_safes_overview(application)
    five_safes = {
        s["safe"]: {
            "verdict": s["verdict"].verdict if s["verdict"] else None,
            "verdict_rationale": s["verdict"].rationale if s["verdict"] else "",
            "checks": [
                {"code": c.code, "result": c.result, "message": c.message} for c in s["checks"]
            ],
        }
        for s in overview["safes"]
    }
    return DecisionRecord.objects.create(
        application=application,
        version=application.current_version,
        outcome=outcome,
        stage=stage,
        decided_at=application.decided_at or timezone.now(),
        decided_by_name=(by.full_name or by.username) if by is not None else "System",
        reason=reason,
        tracks=track_rows,
        conditions=list(dict.fromkeys(c for t in tracks for c in t.conditions)),
        pre_approved=citations,
        five_safes=five_safes,
        reference=application.reference or "",
        title=application.title,
        purpose=application.purpose,
        datasets=slugs,
        dataset_keys=dataset_keys(slugs),
    )


# --- outputs ------------------------------------------------------------------------------------


def output_errors(kind: str, title: str, url: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if kind not in OutputKind.values:
        errors["kind"] = ["Choose publication, code, report or other."]
    if not title.strip():
        errors["title"] = ["Give the output a title."]
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        errors["url"] = ["Enter a web address starting with https:// or http://."]
    return errors


@service
def project_output_add(
    *, application: Application, by: User, kind: str, title: str, url: str
) -> ProjectOutput:
    """A member of an active, suspended or closed project links an output; it appears on the
    register entry at once."""
    application = Application.objects.locked(application)
    check_add_output(by, application)
    errors = output_errors(kind, title, url)
    if errors:
        raise ValidationFailed("The output has invalid fields.", fields=errors)
    output = ProjectOutput.objects.create(
        application=application, kind=kind, title=title.strip(), url=url.strip(), added_by=by
    )
    return output
