"""Signing the data access agreement for an application.

Each member, and one signatory of the lead organisation, accepts the current version of the
agreement text (``access.AgreementText``). Only the person themself signs: signing for someone
else is refused (403). Access needs every signature against the current version, so a new
version published before access means signing again.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from access import notify as access_notify
from access.exceptions import InvalidTransition, NotAllowed, ValidationFailed
from access.models import (
    AgreementSignature,
    AgreementText,
    OrganisationMembership,
    SignatureCapacity,
    User,
)
from access.services import agreement_current
from workflow.models import ActorRole, Application, EventKind, State

from .core import lock_application, record_event

# The agreement is signed once the project is decided on, before access is granted.
SIGNING_STATES = (State.IN_REVIEW, State.APPROVED)


def signatories_of(application: Application) -> list[User]:
    if application.lead_organisation_id is None:
        return []
    return [
        m.user
        for m in OrganisationMembership.objects.filter(
            organisation_id=application.lead_organisation_id,
            capacity=OrganisationMembership.Capacity.SIGNATORY,
            user__is_active=True,
        ).select_related("user")
    ]


@transaction.atomic
def application_agreement_sign(
    *,
    application: Application,
    by: User,
    capacity: str,
    signer: User | None = None,
    version: int | None = None,
) -> AgreementSignature:
    """``by`` accepts the current agreement for ``application`` as a member or as a signatory of
    its lead organisation. Signing again is harmless (the first signature stands)."""
    application = lock_application(application)
    if signer is not None and signer.pk != by.pk:
        raise NotAllowed("You can sign only for yourself: each person accepts the agreement.")
    if capacity not in SignatureCapacity.values:
        raise ValidationFailed(
            "Unknown capacity.", fields={"capacity": ["Sign as member or organisation_signatory."]}
        )
    if capacity == SignatureCapacity.MEMBER:
        if not application.members.filter(user=by).exists():
            raise NotAllowed("Only members of the application sign as a member.")
        organisation = None
    else:
        organisation = application.lead_organisation
        if organisation is None or by not in signatories_of(application):
            raise NotAllowed("Only an authorised signatory of the lead organisation signs for it.")
    if application.state not in SIGNING_STATES:
        raise InvalidTransition(
            "The agreement is signed while the application is in review or approved.",
            current_state=application.state,
        )
    current = agreement_current()
    if current is None:
        raise ValidationFailed(
            "No agreement is published.",
            fields={"version": ["No data access agreement is published yet: ask ops."]},
        )
    if version is not None and version != current.version:
        raise ValidationFailed(
            "Not the current agreement.",
            fields={"version": [f"Version {current.version} is the one to sign now."]},
        )
    signature, created = AgreementSignature.objects.get_or_create(
        application=application,
        agreement=current,
        signer=by,
        capacity=capacity,
        defaults={"organisation": organisation, "signed_at": timezone.now()},
    )
    if created:
        record_event(
            application=application,
            kind=EventKind.AGREEMENT_SIGNED,
            by=by,
            role=ActorRole.MEMBER,
            payload={"version": current.version, "capacity": capacity},
        )
    return signature


def agreement_status(application: Application) -> dict:
    """The current agreement, who must sign it for this application and who has."""
    current = agreement_current()
    signatures = list(
        AgreementSignature.objects.filter(application=application)
        .select_related("signer", "agreement", "organisation")
        .order_by("signed_at", "id")
    )
    on_current = [s for s in signatures if current is not None and s.agreement_id == current.pk]
    signed_members = {s.signer_id for s in on_current if s.capacity == SignatureCapacity.MEMBER}
    members = [m.user for m in application.members.select_related("user")]
    signatory = next(
        (s for s in on_current if s.capacity == SignatureCapacity.ORGANISATION_SIGNATORY), None
    )
    return {
        "agreement": current,
        "members": [{"person": m, "signed": m.pk in signed_members} for m in members],
        "organisation": application.lead_organisation,
        "organisation_signed_by": signatory.signer if signatory else None,
        "signatures": signatures,
        "complete": current is not None
        and all(m.pk in signed_members for m in members)
        and signatory is not None,
    }


def agreement_access_errors(application: Application) -> dict[str, list[str]]:
    status = agreement_status(application)
    current: AgreementText | None = status["agreement"]
    if current is None:
        return {"agreement": ["No data access agreement is published: ops must publish one."]}
    errors: dict[str, list[str]] = {}
    unsigned = [str(m["person"]) for m in status["members"] if not m["signed"]]
    if unsigned:
        errors["agreement.members"] = [
            f"Not yet signed version {current.version} of the agreement: {', '.join(unsigned)}."
        ]
    if status["organisation_signed_by"] is None:
        org = status["organisation"]
        errors["agreement.organisation"] = [
            f"No signatory of {org.name if org else 'the lead organisation'} has signed version "
            f"{current.version} of the agreement."
        ]
    return errors


def request_signatures(application: Application) -> None:
    """Ask the team and the lead organisation's signatories to sign (on approval)."""
    current = agreement_current()
    if current is None:
        return
    org = application.lead_organisation
    context = {
        "reference": application.reference,
        "organisation": org.name if org else "the lead organisation",
        "version": current.version,
    }
    url = f"/applications/{application.pk}/agreement/"
    about = f"application:{application.pk}"
    access_notify.send(
        "agreement.requested",
        recipients=[m.user for m in application.members.select_related("user")],
        context={**context, "capacity": ""},
        url=url,
        about=about,
        dedupe_key=f"agreement-requested:{application.pk}:{current.version}:member",
    )
    access_notify.send(
        "agreement.requested",
        recipients=signatories_of(application),
        context={**context, "capacity": "its signatory"},
        url=url,
        about=about,
        dedupe_key=f"agreement-requested:{application.pk}:{current.version}:signatory",
    )
