"""Consolidated feedback: every point at once, in rounds, answered point by point.

A request for changes (at scoping or internal review) or the panels' combined "revise and
resubmit" opens the next round with all its points; the team answers each one (as often as it
likes until it resubmits), and resubmission closes the round.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.utils import timezone

from access.models import User
from core.errors import ValidationFailed
from notifications.notices import service
from workflow.events import record_event
from workflow.models import ActorRole, Application, EventKind, FeedbackItem, FeedbackRequest
from workflow.reviews.policies import check_answer_feedback


def open_feedback(
    application: Application,
    *,
    stage: str,
    by: User,
    summary: str,
    items: Sequence[dict[str, str]],
) -> FeedbackRequest:
    """A new consolidated request (the next round) with its items, in the caller's
    transaction (the caller holds the application's lock)."""
    round_number = application.feedback_requests.count() + 1
    request = FeedbackRequest.objects.create(
        application=application,
        stage=stage,
        round=round_number,
        version=application.current_version,
        summary=summary,
        requested_by=by,
    )
    FeedbackItem.objects.bulk_create(
        FeedbackItem(request=request, section=i["section"], text=i["text"].strip()) for i in items
    )
    return request


@service
def feedback_item_respond(*, item: FeedbackItem, by: User, response: str) -> FeedbackItem:
    """The team answers one point (any number of times until they resubmit)."""
    application = Application.objects.locked(item.request.application_id)
    item = FeedbackItem.objects.select_for_update().select_related("request").get(pk=item.pk)
    item.request.application = application
    check_answer_feedback(by, item)
    if not response.strip():
        raise ValidationFailed("Empty answer.", fields={"response": ["Write your answer."]})
    item.response = response.strip()
    item.responded_at = timezone.now()
    item.responded_by = by
    item.save()
    record_event(
        application=application,
        kind=EventKind.FEEDBACK_ANSWERED,
        by=by,
        role=ActorRole.MEMBER,
        payload={"item_id": item.pk, "round": item.request.round, "section": item.section},
    )
    return item


@service
def feedback_answers_save(
    *, application: Application, by: User, responses: Mapping[int, str]
) -> list[FeedbackItem]:
    """The team saves its answers to several points at once (the feedback page's one form).

    Before: ``responses`` maps open points of ``application`` to their typed answers. After:
    every point whose answer is not blank and differs from the stored one is answered (one
    event each, as answering it alone would record); blank and unchanged ones are left as they
    were, so saving half-written work loses nothing and records nothing twice.
    """
    Application.objects.locked(application.pk)
    items = FeedbackItem.objects.filter(
        request__application=application, pk__in=list(responses)
    ).order_by("pk")
    saved = []
    for item in items:
        text = responses[item.pk].strip()
        if text and text != item.response:
            saved.append(feedback_item_respond(item=item, by=by, response=text))
    return saved
