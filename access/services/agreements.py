"""The data access agreement: versioned texts. Signatures are taken by ``workflow`` (signing
is for an application, by its members and its lead organisation's signatory)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from access.exceptions import NotAllowed, ValidationFailed
from access.models import AgreementText, User
from access.policy import Permission, has_permission


def agreement_current() -> AgreementText | None:
    """The version everyone signs now: the latest published."""
    return AgreementText.objects.order_by("-version").first()


@transaction.atomic
def agreement_publish(*, by: User, title: str, body: str) -> AgreementText:
    """Publish the next version. Earlier versions stay (signatures cite them), and from now on
    access needs signatures against this one."""
    if not has_permission(by, Permission.AGREEMENT_PUBLISH):
        raise NotAllowed("Only ops publish the data access agreement.")
    errors = {}
    if not title.strip():
        errors["title"] = ["Give the agreement a title."]
    if not body.strip():
        errors["body"] = ["Write the text people will sign."]
    if errors:
        raise ValidationFailed("The agreement has problems.", fields=errors)
    # Lock the table's latest row so two publications cannot take the same number.
    list(AgreementText.objects.select_for_update().order_by("-version")[:1])
    latest = AgreementText.objects.aggregate(n=Max("version"))["n"] or 0
    return AgreementText.objects.create(
        version=latest + 1,
        title=title.strip(),
        body=body.strip(),
        published_at=timezone.now(),
        published_by=by,
    )
