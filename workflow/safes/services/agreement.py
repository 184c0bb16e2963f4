"""Signing the data access agreement for an application.

Each member, and one signatory of the lead organisation, accepts the current version of the
agreement text (``access.AgreementText``). Only the person themself signs: signing for someone
else is refused (403). Access needs every signature against the current version, so a new
version published before access means signing again.
"""

from __future__ import annotations

from django.utils import timezone

from access.models import (
    AgreementSignature,
    SignatureCapacity,
    User,
)
from access.safe_people.selectors import agreement_current
from core.errors import ValidationFailed
from notifications.notices import raise_notice, service
from workflow.events import record_event
from workflow.models import ActorRole, Application, EventKind
from workflow.safes.policies import check_sign


@service
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
    application = Application.objects.locked(application)
    check_sign(by, application, capacity, signer)
    signatory = capacity == SignatureCapacity.ORGANISATION_SIGNATORY
    organisation = application.lead_organisation if signatory else None
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
            # The capacity they signed in: a signatory signs for their organisation.
            role=ActorRole.SIGNATORY if signatory else ActorRole.MEMBER,
            payload={"version": current.version, "capacity": capacity},
        )
    return signature


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
    raise_notice("agreement.requested", application, signing_as="member", capacity="", **context)
    raise_notice(
        "agreement.requested",
        application,
        signing_as="signatory",
        capacity="its signatory",
        **context,
    )
