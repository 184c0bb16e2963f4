"""The parallel reviews: a panel member's open reviews, voting (or declaring a conflict),
the tally after voting and the chair's close; a data owner's sign-off queue and decision."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from access.exceptions import NotAllowed, ValidationFailed
from access.policy import Permission, has_permission
from access.web import apply_domain_errors, error_items
from workflow import services
from workflow.forms import ConflictForm, TrackDecisionForm, VoteForm
from workflow.models import ReviewTrack, TrackKind, TrackState, Vote
from workflow.selectors import (
    owner_only_organisations,
    panel_tracks_for,
    review_tracks_visible_to,
    signoff_tracks_for,
)
from workflow.services.panels import tally, votes_visible_to
from workflow.services.preapproval import match_application

from .common import done


def _track(request, track_id: int) -> ReviewTrack:
    return get_object_or_404(
        review_tracks_visible_to(request.user).select_related("panel"), pk=track_id
    )


def _render(request, template, context, *forms_):
    errors = error_items(*forms_)
    return render(
        request, template, {"error_items": errors, **context}, status=400 if errors else 200
    )


# --- panels ------------------------------------------------------------------------------


@login_required
def panel_list(request):
    if not has_permission(request.user, Permission.PANEL_VOTE):
        raise PermissionDenied("Panel reviews are for panel members.")
    return render(
        request,
        "workflow/reviews/panel_queue.html",
        {"title": "Panel reviews", "tracks": panel_tracks_for(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def track_detail(request, track_id: int):
    """A panel track: vote (or change the vote), then see the others' votes and where they
    diverge; the chair closes from here."""
    track = _track(request, track_id)
    if track.kind == TrackKind.OWNER_SIGNOFF:
        raise NotAllowed("Owners sign off from their sign-off queue; there is no vote here.")
    user = request.user
    mine = Vote.objects.filter(track=track, member=user).first()
    # Two forms on one page: their prefixes keep the inputs' ids apart.
    vote_form = VoteForm(
        request.POST if request.POST.get("form") == "vote" else None,
        prefix="vote",
        initial={
            "choice": mine.choice,
            "rationale": mine.rationale,
            "conditions": "\n".join(mine.proposed_conditions),
        }
        if mine
        else None,
    )
    close_form = TrackDecisionForm(
        request.POST if request.POST.get("form") == "close" else None,
        prefix="close",
        initial={"outcome": tally(track).leading} if track.state == TrackState.OPEN else None,
    )
    if request.method == "POST" and vote_form.is_bound and vote_form.is_valid():
        try:
            if mine is None:
                services.vote_cast(track=track, by=user, **vote_form.cleaned_data)
            else:
                services.vote_change(vote=mine, by=user, **vote_form.cleaned_data)
        except ValidationFailed as exc:
            apply_domain_errors(vote_form, exc, {"choice": "choice"})
        else:
            messages.success(
                request, "Your vote is recorded." if mine is None else "Your vote is changed."
            )
            return done(request, reverse("workflow:track", args=[track.pk]))
    if request.method == "POST" and close_form.is_bound and close_form.is_valid():
        try:
            services.panel_track_close(track=track, by=user, **close_form.cleaned_data)
        except ValidationFailed as exc:
            apply_domain_errors(close_form, exc)
        else:
            messages.success(request, "The vote is closed with the panel's decision.")
            return done(request, reverse("workflow:track", args=[track.pk]))
    visible = votes_visible_to(user, track)
    conflicted = track.application.conflicts.filter(user=user).exists()
    can_vote = track.state == TrackState.OPEN and has_permission(user, Permission.PANEL_VOTE, track)
    is_chair = has_permission(user, Permission.PANEL_TRACK_DECIDE, track)
    return _render(
        request,
        "workflow/reviews/track.html",
        {
            "title": f"{track.panel.name if track.panel_id else track.get_kind_display()}: "
            f"{track.application.reference}",
            "track": track,
            "application": track.application,
            "mine": mine,
            "vote_form": vote_form,
            "close_form": close_form,
            "votes": Vote.objects.filter(track=track).select_related("member") if visible else None,
            "tally": tally(track) if visible else None,
            "conflicted": conflicted,
            "can_vote": can_vote,
            "is_chair": is_chair and track.state == TrackState.OPEN,
            "datasets": track.application.requested_datasets.select_related(
                "dataset__provider"
            ).prefetch_related("variables__variable"),
        },
        vote_form if vote_form.is_bound else None,
        close_form if close_form.is_bound else None,
    )


@login_required
@require_http_methods(["GET", "POST"])
def conflict(request, track_id: int):
    track = _track(request, track_id)
    form = ConflictForm(request.POST if request.method == "POST" else None)
    request.back_to = reverse("workflow:track", args=[track.pk])
    if request.method == "POST" and form.is_valid():
        try:
            services.conflict_declare(
                track=track, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(
                request, "Your conflict is recorded: you will not vote on this application."
            )
            return done(request, reverse("workflow:panel-queue"))
    return _render(
        request,
        "workflow/reviews/conflict.html",
        {"title": "Declare a conflict of interest", "track": track, "form": form},
        form,
    )


# --- data owners -------------------------------------------------------------------------


@login_required
def signoff_list(request):
    if not has_permission(request.user, Permission.OWNER_TRACK_DECIDE):
        raise PermissionDenied("Sign-off is for data owners.")
    return render(
        request,
        "workflow/reviews/signoff_queue.html",
        {"title": "Sign-off", "tracks": signoff_tracks_for(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def signoff(request, track_id: int):
    """An owner's sign-off: their organisation's part of the application, why no
    pre-approved category covered it, and the decision."""
    track = _track(request, track_id)
    if track.kind != TrackKind.OWNER_SIGNOFF:
        raise NotAllowed("A panel track is decided by its members' votes.")
    application = track.application
    form = TrackDecisionForm(request.POST if request.method == "POST" else None, owner=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.review_track_decide(track=track, by=request.user, **form.cleaned_data)
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, "Your decision is recorded.")
            return done(request, reverse("workflow:signoff-queue"))
    orgs = owner_only_organisations(request.user, application)
    org_ids = {track.organisation_id} if orgs is None else orgs & {track.organisation_id}
    datasets = [
        rd
        for rd in application.requested_datasets.select_related(
            "dataset__provider"
        ).prefetch_related("variables__variable")
        if rd.dataset.provider_id in org_ids
    ]
    matches = [m for m in match_application(application) if m.provider_id in org_ids]
    return _render(
        request,
        "workflow/reviews/signoff.html",
        {
            "title": f"Sign-off: {application.reference}",
            "track": track,
            "application": application,
            "datasets": datasets,
            "matches": matches,
            "form": form,
            "can_decide": track.state == TrackState.OPEN
            and has_permission(request.user, Permission.OWNER_TRACK_DECIDE, track),
        },
        form if form.is_bound else None,
    )
