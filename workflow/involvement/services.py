"""State changes of public involvement. Each runs in one transaction with the application's
row locked; its event goes on the application's log and its notices leave through the outbox
when the service ends (``notifications.notices.service``)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from access.models import User
from core.errors import ValidationFailed
from notifications.notices import raise_notice, service
from workflow.events import record_event
from workflow.involvement.policies import (
    check_answer,
    check_flag,
    check_record,
    check_request_consultation,
    check_require,
    is_team,
)
from workflow.involvement.selectors import consumer_panel
from workflow.models import (
    MAX_TEXT,
    ActorRole,
    Application,
    Consultation,
    EventKind,
    InvolvementActivity,
    InvolvementStatus,
    PublicInterest,
)


def _text(errors: dict[str, list[str]], name: str, value: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        errors[name] = [message]
    elif len(value) > MAX_TEXT:
        errors[name] = [f"Write at most {MAX_TEXT} characters."]
    return value


def _role(user: User, application: Application) -> str:
    return ActorRole.MEMBER if is_team(user, application) else ActorRole.REVIEWER


@service
def public_interest_flag(
    *, application: Application, by: User, high: bool, reason: str = ""
) -> PublicInterest:
    """The team or a reviewer says whether the project is likely to be of high public interest
    (with why). Unflagging is refused while a reviewer requires involvement."""
    application = Application.objects.locked(application)
    check_flag(by, application)
    errors: dict[str, list[str]] = {}
    reason = _text(errors, "reason", reason, "Say why the public is likely to be interested.")
    interest, _ = PublicInterest.objects.get_or_create(application=application)
    if not high and interest.required:
        errors["high"] = [
            "A reviewer requires public involvement: the project stays of high public interest."
        ]
    if errors:
        raise ValidationFailed("The public-interest flag has invalid fields.", fields=errors)
    interest.high = high
    interest.reason = reason
    interest.flagged_at = timezone.now()
    interest.flagged_by = by
    interest.save()
    record_event(
        application=application,
        kind=EventKind.PUBLIC_INTEREST_FLAGGED,
        by=by,
        role=_role(by, application),
        reason=reason,
        payload={"high": high},
    )
    if high:
        raise_notice("involvement.flagged", application, actor=by, app=application)
    return interest


@service
def public_involvement_require(
    *, application: Application, by: User, reason: str
) -> PublicInterest:
    """A reviewer requires public involvement (the project becomes of high public interest)."""
    application = Application.objects.locked(application)
    check_require(by, application)
    errors: dict[str, list[str]] = {}
    reason = _text(errors, "reason", reason, "Say what involvement you expect, and why.")
    if errors:
        raise ValidationFailed("The requirement has invalid fields.", fields=errors)
    interest, _ = PublicInterest.objects.get_or_create(application=application)
    now = timezone.now()
    if not interest.high:
        interest.high = True
        interest.reason = reason
        interest.flagged_at = now
        interest.flagged_by = by
    interest.required = True
    interest.required_reason = reason
    interest.required_at = now
    interest.required_by = by
    interest.save()
    record_event(
        application=application,
        kind=EventKind.INVOLVEMENT_REQUIRED,
        by=by,
        role=ActorRole.REVIEWER,
        reason=reason,
    )
    raise_notice("involvement.required", application, actor=by, app=application)
    return interest


@service
def involvement_record(
    *,
    application: Application,
    by: User,
    status: str,
    held_on: datetime.date | None,
    who: str,
    what: str,
    what_changed: str = "",
) -> InvolvementActivity:
    """The team records public involvement done (what changed is then required; it cannot be
    in the future) or planned (not in the past)."""
    application = Application.objects.locked(application)
    check_record(by, application)
    errors: dict[str, list[str]] = {}
    if status not in InvolvementStatus.values:
        errors["status"] = ["Choose whether this involvement is done or planned."]
    today = timezone.localdate()
    if held_on is None:
        errors["held_on"] = ["Enter the date it took place, or is planned."]
    elif status == InvolvementStatus.DONE and held_on > today:
        errors["held_on"] = ["Involvement done took place today or before."]
    elif status == InvolvementStatus.PLANNED and held_on < today:
        errors["held_on"] = ["Involvement planned is today or later."]
    who = _text(errors, "who", who, "Say who took part (a panel, a group, a charity).")
    if len(who) > 300:
        errors["who"] = ["Write at most 300 characters."]
    what = _text(errors, "what", what, "Say what was asked or discussed.")
    what_changed = (what_changed or "").strip()
    if status == InvolvementStatus.DONE and not what_changed:
        errors["what_changed"] = [
            "Say what changed in the project as a result (or that nothing did, and why)."
        ]
    elif len(what_changed) > MAX_TEXT:
        errors["what_changed"] = [f"Write at most {MAX_TEXT} characters."]
    if errors or held_on is None:
        raise ValidationFailed("The involvement has invalid fields.", fields=errors)
    activity = InvolvementActivity.objects.create(
        application=application,
        status=status,
        held_on=held_on,
        who=who,
        what=what,
        what_changed=what_changed,
        recorded_by=by,
    )
    record_event(
        application=application,
        kind=EventKind.INVOLVEMENT_RECORDED,
        by=by,
        role=ActorRole.MEMBER,
        reason=what,
        payload={"activity": activity.pk, "status": status, "held_on": str(held_on)},
    )
    return activity


@service
def consultation_request(*, application: Application, by: User, question: str) -> Consultation:
    """The team asks the TRE's consumer panel for a consultation (one waiting at a time)."""
    application = Application.objects.locked(application)
    check_request_consultation(by, application)
    errors: dict[str, list[str]] = {}
    question = _text(errors, "question", question, "Say what you would like the panel's view on.")
    panel = consumer_panel()
    if panel is None:
        errors["question"] = ["The TRE has no consumer panel to consult."]
    if errors or panel is None:
        raise ValidationFailed("The consultation request has invalid fields.", fields=errors)
    consultation = Consultation.objects.create(
        application=application, panel=panel, question=question, requested_by=by
    )
    record_event(
        application=application,
        kind=EventKind.CONSULTATION_REQUESTED,
        by=by,
        role=ActorRole.MEMBER,
        reason=question,
        payload={"consultation": consultation.pk, "panel": panel.slug},
    )
    raise_notice("consultation.requested", consultation, actor=by, app=application)
    return consultation


@service
def consultation_answer(*, consultation: Consultation, by: User, feedback: str) -> Consultation:
    """A member of the consumer panel gives the panel's written feedback; it is attached to the
    application for the team and the review panels."""
    application = Application.objects.locked(consultation.application_id)
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    consultation.application = application
    check_answer(by, consultation)
    errors: dict[str, list[str]] = {}
    feedback = _text(errors, "feedback", feedback, "Write the consumer panel's feedback.")
    if errors:
        raise ValidationFailed("The feedback has invalid fields.", fields=errors)
    consultation.feedback = feedback
    consultation.answered_at = timezone.now()
    consultation.answered_by = by
    consultation.save()
    record_event(
        application=application,
        kind=EventKind.CONSULTATION_ANSWERED,
        by=by,
        role=ActorRole.PANEL_MEMBER,
        reason=feedback,
        payload={"consultation": consultation.pk, "panel": consultation.panel.slug},
    )
    raise_notice("consultation.answered", consultation, actor=by, app=application)
    return consultation
