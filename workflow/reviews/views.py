"""The parallel reviews: a panel member's open reviews, voting (or declaring a conflict),
the tally after voting and the chair's close; a data owner's sign-off queue and decision."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from access.policy import Permission, has_permission
from core.errors import NotAllowed, ValidationFailed
from core.web import apply_domain_errors, done, error_items, paginate
from workflow.involvement.selectors import consumer_panel_ids
from workflow.involvement.selectors import summary as involvement_summary
from workflow.models import Panel, PanelMode, ReviewTrack, TrackKind
from workflow.reviews import services as reviews_services
from workflow.reviews.forms import ConflictForm, PanelRuleForm, TrackDecisionForm, VoteForm
from workflow.reviews.policies import (
    blind_until,
    can_close,
    can_declare_conflict,
    can_manage_panels,
    can_see_votes,
    can_sign_off,
    can_vote,
    chair_must_vote_first,
    check_close,
    check_declare_conflict,
    check_vote,
    may_vote,
)
from workflow.reviews.preapproval import match_application
from workflow.reviews.selectors import is_conflicted, vote_of, votes_on
from workflow.reviews.services import tally
from workflow.route.policies import visible_view
from workflow.route.selectors import (
    panel_marks,
    panel_queue,
    signoff_queue,
    tracks_visible_to,
)
from workflow.sittings.selectors import sitting_for_track


def _track(request, track_id: int) -> ReviewTrack:
    """The track, if ``request.user`` may see it (404 otherwise). Panel members keep sight of
    their panel's tracks after the vote is closed: read-only, with the outcome."""
    return get_object_or_404(tracks_visible_to(request.user), pk=track_id)


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
    listing = paginate(request, panel_queue(request.user))
    tracks = list(listing.page.object_list)
    marks = panel_marks(request.user, tracks)
    return render(
        request,
        "workflow/reviews/panel_queue.html",
        {
            "title": "Panel reviews",
            "listing": listing,
            "consumer_panel": bool(consumer_panel_ids(request.user)),
            "tracks": [(track, marks.get(track.pk, "")) for track in tracks],
        },
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
    mine = vote_of(user, track)
    voting = can_vote(user, track)
    closing = can_close(user, track)
    # Two forms on one page: their prefixes keep the inputs' ids apart.
    vote_form = VoteForm(
        request.POST if voting and request.POST.get("form") == "vote" else None,
        prefix="vote",
        initial={
            "choice": mine.choice,
            "rationale": mine.rationale,
            "conditions": "\n".join(mine.proposed_conditions),
        }
        if mine
        else None,
    )
    visible = can_see_votes(user, track)
    # On a blind first round the chair votes before closing: the close form (and the leading
    # outcome it starts from) waits until then.
    chair_votes_first = closing and chair_must_vote_first(user, track)
    closing = closing and not chair_votes_first
    close_form = TrackDecisionForm(
        request.POST if closing and request.POST.get("form") == "close" else None,
        prefix="close",
        initial={"outcome": tally(track).leading} if closing and visible else None,
    )
    if request.method == "POST" and not (vote_form.is_bound or close_form.is_bound):
        # A vote or a close the person cannot take now: say why (403, or 409: already decided).
        if request.POST.get("form") == "close":
            check_close(user, track)
        check_vote(user, track)
    if request.method == "POST" and vote_form.is_bound and vote_form.is_valid():
        try:
            if mine is None:
                reviews_services.vote_cast(track=track, by=user, **vote_form.cleaned_data)
            else:
                reviews_services.vote_change(vote=mine, by=user, **vote_form.cleaned_data)
        except ValidationFailed as exc:
            apply_domain_errors(vote_form, exc, {"choice": "choice"})
        else:
            messages.success(
                request, "Your vote is recorded." if mine is None else "Your vote is changed."
            )
            return done(request, reverse("workflow:track", args=[track.pk]))
    if request.method == "POST" and close_form.is_bound and close_form.is_valid():
        try:
            reviews_services.panel_track_close(track=track, by=user, **close_form.cleaned_data)
        except ValidationFailed as exc:
            apply_domain_errors(close_form, exc)
        else:
            messages.success(request, "The vote is closed with the panel's decision.")
            return done(request, reverse("workflow:track", args=[track.pk]))
    visible = can_see_votes(user, track)
    conflicted = is_conflicted(user, track.application_id)
    is_chair = can_close(user, track)
    return _render(
        request,
        "workflow/reviews/track.html",
        {
            "title": f"{track.panel.name if track.panel else track.get_kind_display()}: "
            f"{track.application.reference}",
            "track": track,
            "application": track.application,
            "mine": mine,
            "vote_form": vote_form,
            "close_form": close_form,
            "votes": votes_on(track) if visible else None,
            "tally": tally(track) if visible else None,
            "conflicted": conflicted,
            "can_vote": voting,
            "can_declare_conflict": can_declare_conflict(user, track),
            "is_chair": is_chair,
            "chair_votes_first": is_chair and chair_must_vote_first(user, track),
            "hidden_because": blind_until(user, track) if may_vote(user, track) else "",
            "involvement": involvement_summary(track.application),
            # A panel that sits decides at a sitting (workflow.sittings): which one, if planned.
            "sits": track.panel is not None and track.panel.mode == PanelMode.SITTING,
            "sitting": sitting_for_track(track),
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
    request.back_to = reverse("workflow:track", args=[track.pk])
    check_declare_conflict(request.user, track)
    form = ConflictForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            reviews_services.conflict_declare(
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
    listing = paginate(request, signoff_queue(request.user))
    return render(
        request,
        "workflow/reviews/signoff_queue.html",
        {"title": "Sign-off", "listing": listing, "tracks": listing.page.object_list},
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
            reviews_services.review_track_decide(track=track, by=request.user, **form.cleaned_data)
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, "Your decision is recorded.")
            return done(request, reverse("workflow:signoff-queue"))
    # The sign-off page shows the track's organisation's part, whoever looks at it.
    view = visible_view(request.user, application)
    mine = view.tracks([track]) and True
    datasets = [
        rd
        for rd in application.requested_datasets.select_related(
            "dataset__provider"
        ).prefetch_related("variables__variable")
        if mine and rd.dataset.provider_id == track.organisation_id
    ]
    matches = [
        m for m in match_application(application) if mine and m.provider_id == track.organisation_id
    ]
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
            "can_decide": can_sign_off(request.user, track),
        },
        form if form.is_bound else None,
    )


# --- panels' rules (ops) -----------------------------------------------------------------------


@login_required
def panel_rules(request):
    """Every panel with its rule and its seats (ops)."""
    if not can_manage_panels(request.user):
        raise PermissionDenied("Only ops configure panels.")
    panels = Panel.objects.prefetch_related("memberships__user").order_by("name")
    rows = [(panel, [m for m in panel.memberships.all() if m.left_on is None]) for panel in panels]
    return render(request, "workflow/reviews/panel_rules.html", {"title": "Panels", "rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def panel_rule_edit(request, panel_id: int):
    if not can_manage_panels(request.user):
        raise PermissionDenied("Only ops configure panels.")
    panel = get_object_or_404(Panel, pk=panel_id)
    back = reverse("workflow:panel-rules")
    request.back_to = back
    form = PanelRuleForm(
        request.POST if request.method == "POST" else None,
        initial={
            "quorum": panel.quorum,
            "decision_rule": panel.decision_rule,
            "min_independent_votes": panel.min_independent_votes,
            "min_lay_votes": panel.min_lay_votes,
            "blind_first_round": panel.blind_first_round,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            reviews_services.panel_rule_set(panel=panel, by=request.user, **form.cleaned_data)
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, f"{panel.name}: the rule is saved.")
            return done(request, back)
    return _render(
        request,
        "workflow/reviews/panel_rule.html",
        {"title": f"Rule of the {panel.name}", "panel": panel, "form": form, "back": back},
        form if form.is_bound else None,
    )
