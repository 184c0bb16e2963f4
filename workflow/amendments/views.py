"""The amendment pages: a project's amendments, asking for one (one kind of change at a time,
more added to the draft), the amendment with where it goes and why, its diff, its tracks and
the one form each person may use now; the reviewers' queue; the routing table.

Each page loads what the person may see (404 otherwise) and calls one service per form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from access.policy import Permission, has_permission
from core.errors import InvalidTransition, ValidationFailed
from core.web import apply_domain_errors, done, error_items
from workflow.amendments import services
from workflow.amendments.forms import (
    CHANGE_FORMS,
    ChangeTypeForm,
    DecideForm,
    ReasonForAmendmentForm,
    RouteRuleForm,
    VoteForm,
)
from workflow.amendments.models import (
    Amendment,
    AmendmentTrack,
    ChangeType,
    ExtensionLimit,
    RouteRule,
)
from workflow.amendments.policies import (
    actions_for,
    amendment_application,
    can_change_routing,
    can_request,
    can_see_votes,
    tally_of,
    tracks_to_decide,
    visible_amendment,
    votes_hidden_because,
)
from workflow.amendments.selectors import amendment_letter, routing_of, turnaround_by_type
from workflow.reviews.models import DecisionRule


def _page(amendment: Amendment) -> str:
    return reverse("workflow:amendment", args=[amendment.application_id, amendment.pk])


@login_required
def amendments(request: HttpRequest, pk: int) -> HttpResponse:
    """A project's amendments, newest first, and the way to ask for one."""
    application = amendment_application(request.user, pk)
    rows = list(application.amendments.order_by("-number"))
    return render(
        request,
        "workflow/amendments/list.html",
        {
            "title": f"Amendments of {application.reference}",
            "application": application,
            "amendments": rows,
            "can_request": can_request(request.user, application),
        },
    )


def _change_form(kind: str, request: HttpRequest, application: Any) -> Any:
    data = request.POST if request.method == "POST" else None
    return CHANGE_FORMS[kind](data, application=application)


@login_required
@require_http_methods(["GET", "POST"])
def new_amendment(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for an amendment: choose the kind of change (``?type=`` preselects it: renewal
    reminders link here with ``type=extend_end_date``), then its details; the draft's page
    shows where it goes and why before it is submitted."""
    application = amendment_application(request.user, pk)
    return _change_page(request, application, amendment=None)


@login_required
@require_http_methods(["GET", "POST"])
def add_change(request: HttpRequest, pk: int, amendment_id: int) -> HttpResponse:
    """Add another change to a draft amendment."""
    application = amendment_application(request.user, pk)
    amendment = visible_amendment(request.user, application, amendment_id)
    return _change_page(request, application, amendment=amendment)


def _change_page(request: HttpRequest, application: Any, *, amendment: Amendment | None):
    user: Any = request.user
    kind = request.GET.get("type") or request.POST.get("type") or ""
    if kind not in ChangeType.values:
        chooser = ChangeTypeForm(request.GET if "type" in request.GET else None)
        chooser.is_valid() if chooser.is_bound else None
        return render(
            request,
            "workflow/amendments/choose.html",
            {
                "title": "What do you want to change?",
                "application": application,
                "amendment": amendment,
                "form": chooser,
                "error_items": error_items(chooser),
            },
            status=400 if chooser.is_bound and chooser.errors else 200,
        )
    form = _change_form(kind, request, application)
    reason_form = ReasonForAmendmentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid() and reason_form.is_valid():
        try:
            if amendment is None:
                amendment = services.amendment_create(
                    application=application,
                    by=user,
                    changes=[form.change()],
                    reason=reason_form.cleaned_data["reason"],
                )
            else:
                services.amendment_update(
                    amendment=amendment, by=user, changes=[*amendment.changes, form.change()]
                )
        except ValidationFailed as exc:
            fields = {
                key.rsplit(".", 1)[-1] if key.startswith("changes.") else key: value
                for key, value in exc.fields.items()
            }
            apply_domain_errors(form, ValidationFailed(exc.detail, fields=fields))
        else:
            messages.success(
                request,
                "Draft saved. Check where it goes and why, add any other change, then submit it.",
            )
            return done(request, _page(amendment))
    return render(
        request,
        "workflow/amendments/change.html",
        {
            "title": ChangeType(kind).label,
            "application": application,
            "amendment": amendment,
            "kind": kind,
            "form": form,
            "reason_form": reason_form if amendment is None else None,
            "error_items": error_items(form, reason_form),
        },
        status=400 if form.is_bound and (form.errors or reason_form.errors) else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def amendment(request: HttpRequest, pk: int, amendment_id: int) -> HttpResponse:
    """One amendment: its changes, where it goes and why, the diff, the tracks and the one form
    the person may use now (submit, withdraw, decide their track, sign as a new member)."""
    application = amendment_application(request.user, pk)
    found = visible_amendment(request.user, application, amendment_id)
    user: Any = request.user
    action = request.POST.get("action", "") if request.method == "POST" else ""
    # One form per track, each with its own prefix (a chair may decide two tracks on one page).
    acted = action.split(":", 1)[1] if ":" in action else ""
    decide_form = DecideForm(
        request.POST if action.startswith("decide:") else None, prefix=f"decide-{acted}"
    )
    vote_form = VoteForm(
        request.POST if action.startswith("vote:") else None, prefix=f"vote-{acted}"
    )
    withdraw_form = ReasonForAmendmentForm(request.POST if action == "withdraw" else None)
    page_error = ""
    try:
        if action == "submit":
            services.amendment_submit(amendment=found, by=user)
            state = Amendment.objects.values_list("state", flat=True).get(pk=found.pk)
            messages.success(
                request,
                "Submitted: the reviewers it affects are asked."
                if state == "in_review"
                else "Done: the change took effect at once.",
            )
            return done(request, _page(found))
        if action == "withdraw" and withdraw_form.is_valid():
            services.amendment_withdraw(
                amendment=found, by=user, reason=withdraw_form.cleaned_data["reason"]
            )
            messages.success(request, "Withdrawn: nothing more changes.")
            return done(request, _page(found))
        if action == "sign":
            granted = services.amendment_member_sign(application=application, by=user)
            messages.success(
                request,
                "Signed. Your access has started."
                if granted
                else "Signed. Your access starts once your accreditation is confirmed.",
            )
            return done(request, _page(found))
        if action.startswith("vote:") and vote_form.is_valid():
            track_id = action.split(":", 1)[1]
            track = get_object_or_404(
                AmendmentTrack, pk=track_id if track_id.isdigit() else 0, amendment=found
            )
            services.amendment_vote_cast(
                track=track,
                by=user,
                choice=vote_form.cleaned_data["choice"],
                rationale=vote_form.cleaned_data["rationale"],
            )
            messages.success(request, "Your vote is recorded.")
            return done(request, _page(found))
        if action.startswith("decide:") and decide_form.is_valid():
            track_id = action.split(":", 1)[1]
            track = get_object_or_404(
                AmendmentTrack, pk=track_id if track_id.isdigit() else 0, amendment=found
            )
            services.amendment_track_decide(
                track=track,
                by=user,
                outcome=decide_form.cleaned_data["outcome"],
                rationale=decide_form.cleaned_data["rationale"],
            )
            messages.success(request, "Your decision is recorded.")
            return done(request, _page(found))
    except InvalidTransition as exc:
        if not action.startswith("decide:"):
            raise
        # The panel's rule is not met yet (votes, lay or independent votes, agreement, the
        # chair's own vote on a blind round): said on the chair's form, the page kept.
        decide_form.add_error(None, exc.detail)
    except ValidationFailed as exc:
        if action.startswith("decide:"):
            apply_domain_errors(decide_form, exc)
        elif action.startswith("vote:"):
            apply_domain_errors(vote_form, exc)
        else:
            page_error = " ".join(m for ms in exc.fields.values() for m in ms) or exc.detail
    found = Amendment.objects.select_related("application", "requested_by").get(pk=found.pk)
    actions = actions_for(user, found)
    decide_ids = [int(a.split(":", 1)[1]) for a in actions if a.startswith("decide:")]
    vote_ids = [int(a.split(":", 1)[1]) for a in actions if a.startswith("vote:")]
    bound = [f for f in (decide_form, vote_form, withdraw_form) if f.is_bound]
    tracks = list(
        found.tracks.select_related("organisation", "decided_by").annotate(
            votes_cast=Count("votes")
        )
    )
    for t in tracks:
        # The bound form back on its own track (with its errors); a fresh one elsewhere.
        t.decide_form = (  # type: ignore[attr-defined]
            decide_form if action == f"decide:{t.pk}" else DecideForm(prefix=f"decide-{t.pk}")
        )
        t.vote_form = (  # type: ignore[attr-defined]
            vote_form if action == f"vote:{t.pk}" else VoteForm(prefix=f"vote-{t.pk}")
        )
        # Who voted what, by the panel's rules (a route's panel track's): see or be told why not.
        sees = can_see_votes(user, t)
        current = tally_of(t) if sees else None
        t.tally = current  # type: ignore[attr-defined]
        t.rule_label = (  # type: ignore[attr-defined]
            DecisionRule(current.rule).label if current is not None else ""
        )
        t.panel_votes = (  # type: ignore[attr-defined]
            list(t.votes.select_related("member").order_by("cast_at", "id")) if sees else None
        )
        t.hidden_because = votes_hidden_because(user, t)  # type: ignore[attr-defined]
    return render(
        request,
        "workflow/amendments/detail.html",
        {
            "title": f"Amendment {found.number} of {application.reference}",
            "application": application,
            "amendment": found,
            "routing": routing_of(found),
            "tracks": tracks,
            "decide_ids": decide_ids,
            "vote_ids": vote_ids,
            "vote_form": vote_form,
            "actions": actions,
            "decide_form": decide_form,
            "withdraw_form": withdraw_form,
            "letter": amendment_letter(found),
            "page_error": page_error,
            "error_items": error_items(*bound),
        },
        status=400 if page_error or any(f.errors for f in bound) else 200,
    )


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """Amendment tracks waiting for you, soonest due first."""
    return render(
        request,
        "workflow/amendments/queue.html",
        {"title": "Amendments to decide", "tracks": list(tracks_to_decide(request.user)[:200])},
    )


@login_required
def routing_table(request: HttpRequest) -> HttpResponse:
    """The routing table everyone can read; ops change it in the admin, and see turnaround per
    type of change beside it."""
    user: Any = request.user
    ops = can_change_routing(user)
    return render(
        request,
        "workflow/amendments/routing.html",
        {
            "title": "How amendments are routed",
            "rules": list(RouteRule.objects.order_by("change_type", "id")),
            "limits": list(ExtensionLimit.objects.select_related("organisation")),
            "default_months": ExtensionLimit.DEFAULT_MONTHS,
            "ops": ops,
            "turnaround": turnaround_by_type()
            if has_permission(user, Permission.METRICS_VIEW)
            else None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def route_rule(request: HttpRequest, rule_id: int) -> HttpResponse:
    """Ops change one rule of the routing table: on or off, its target, its note."""
    user: Any = request.user
    if not can_change_routing(user):
        raise PermissionDenied("Only ops change how amendments are routed.")
    rule = get_object_or_404(RouteRule, pk=rule_id)
    form = RouteRuleForm(
        request.POST or None,
        initial={"active": rule.active, "target_days": rule.target_days, "note": rule.note},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.route_rule_update(rule=rule, by=user, **form.cleaned_data)
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, "The rule is changed; new amendments are routed by it.")
            return done(request, reverse("workflow:amendment-routing-table"))
    return render(
        request,
        "workflow/amendments/rule.html",
        {
            "title": "Change a routing rule",
            "rule": rule,
            "form": form,
            "error_items": error_items(form),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


__all__ = [
    "add_change",
    "amendment",
    "amendments",
    "new_amendment",
    "queue",
    "route_rule",
    "routing_table",
]
