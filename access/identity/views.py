"""Pages of identity: registration by a signed link, your account (affiliations, ORCID, the
sign-in services connected), and an organisation's people page where its signatories and
user managers confirm and end affiliations."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from access.identity import selectors, services
from access.identity.adapters import BACKEND, ORCID
from access.identity.forms import (
    AffiliationForm,
    ChoosePasswordForm,
    LeftForm,
    OrcidForm,
    RegisterForm,
)
from access.identity.policies import check_see_people_of, vouches_for
from access.identity.tokens import LinkProblem
from access.models import Affiliation, Organisation
from core.errors import ValidationFailed
from core.web import apply_domain_errors, error_items

LINK_PROBLEMS = {
    "expired": "This link has expired. Links work for a limited time: ask for a new one.",
    "invalid": "This link is not valid: it may have been copied incompletely.",
    "used": "This link has already been used. If you registered, sign in.",
    "other_email": "This invitation was sent to another email address. Sign in with the "
    "account of the address it was sent to, or ask the team for an invitation to yours.",
}


def providers() -> list[dict]:
    """The configured sign-in services, for the sign-in page's buttons."""
    configured: dict = settings.SOCIALACCOUNT_PROVIDERS.get("openid_connect", {})
    apps: list[dict] = configured.get("APPS", [])
    return [
        {
            "id": app["provider_id"],
            "name": app.get("name") or app["provider_id"],
            "url": reverse("openid_connect_login", args=[app["provider_id"]]),
        }
        for app in apps
    ]


def allow_provider_forms(response):
    """The page's content policy lets its sign-in buttons' forms go on to the providers: a
    form posts here, and is redirected to the provider's authorization endpoint, which the
    browser checks against ``form-action`` (django-csp reads ``_csp_update``)."""
    configured: dict = settings.SOCIALACCOUNT_PROVIDERS.get("openid_connect", {})
    apps: list[dict] = configured.get("APPS", [])
    origins = sorted(
        {"{0.scheme}://{0.netloc}".format(urlsplit(app["settings"]["server_url"])) for app in apps}
    )
    if origins:
        response._csp_update = {"form-action": origins}
    return response


def registration_open() -> bool:
    """Self-registration is for a TRE with no sign-in service (SELF_REGISTRATION decides)."""
    if settings.SELF_REGISTRATION is not None:
        return bool(settings.SELF_REGISTRATION)
    return not providers()


def register(request):
    if not registration_open():
        raise Http404("Registration is through your organisation's sign-in service.")
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.registration_start(
            email=form.cleaned_data["email"],
            full_name=form.cleaned_data["full_name"],
            organisation=form.cleaned_data["organisation"],
        )
        return render(
            request,
            "access/identity/register_sent.html",
            {"title": "Check your email", "email": form.cleaned_data["email"]},
        )
    return render(
        request,
        "access/identity/register.html",
        {"title": "Register", "form": form, "error_items": error_items(form)},
        status=400 if form.is_bound else 200,
    )


def _link_problem(request, problem: LinkProblem, what: str):
    return render(
        request,
        "access/identity/link_problem.html",
        {"title": f"This {what} link does not work", "problem": LINK_PROBLEMS[problem.reason]},
        status=410 if problem.reason in ("expired", "used") else 400,
    )


def register_complete(request, token: str):
    try:
        registration = services.registration_from_link(token)
    except LinkProblem as problem:
        return _link_problem(request, problem, "registration")
    form = ChoosePasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.registration_complete(
                token=token, password=form.cleaned_data["password"]
            )
        except LinkProblem as problem:
            return _link_problem(request, problem, "registration")
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            login(request, user, backend=BACKEND)
            messages.success(request, "You are registered and signed in.")
            return redirect("account")
    return render(
        request,
        "access/identity/register_complete.html",
        {
            "title": "Finish registering",
            "registration": registration,
            "form": form,
            "error_items": error_items(form),
        },
        status=400 if form.is_bound else 200,
    )


@login_required
def account(request, affiliation_form=None, orcid_form=None):
    user = request.user
    connected = list(user.socialaccount_set.values_list("provider", flat=True))
    orcid_provider = next((p for p in providers() if p["id"] == ORCID), None)
    affiliation_form = affiliation_form or AffiliationForm()
    orcid_form = orcid_form or OrcidForm(initial={"orcid": user.orcid})
    return allow_provider_forms(
        render(
            request,
            "access/identity/account.html",
            {
                "title": "Your account",
                "affiliations": selectors.affiliations_of(user),
                "vouched": selectors.is_vouched(user),
                "may_apply": selectors.may_become_researcher(user),
                "affiliation_form": affiliation_form,
                "orcid_form": orcid_form,
                "orcid_provider": orcid_provider if ORCID not in connected else None,
                "connectable": [
                    p for p in providers() if p["id"] not in connected and p["id"] != ORCID
                ],
                "connected": [p for p in providers() if p["id"] in connected],
                "vouching_for": selectors.organisations_vouched_by(user),
                "error_items": error_items(affiliation_form, orcid_form),
            },
            status=400 if affiliation_form.is_bound or orcid_form.is_bound else 200,
        )
    )


@login_required
@require_POST
def account_affiliation(request):
    form = AffiliationForm(request.POST)
    if form.is_valid():
        services.affiliation_request(
            person=request.user,
            organisation=form.cleaned_data["organisation"],
            position=form.cleaned_data["position"],
            by=request.user,
        )
        messages.success(
            request, f"{form.cleaned_data['organisation']} is asked to confirm you work there."
        )
        return redirect("account")
    return account(request, affiliation_form=form)


@login_required
@require_POST
def account_orcid(request):
    form = OrcidForm(request.POST)
    if form.is_valid():
        try:
            services.orcid_enter(person=request.user, orcid=form.cleaned_data["orcid"])
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, "Your ORCID iD is saved (unverified).")
            return redirect("account")
    return account(request, orcid_form=form)


def organisation_people(request, slug: str, left_form=None, left_pk=None):
    organisation = get_object_or_404(Organisation, slug=slug)
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={request.path}")
    check_see_people_of(request.user, organisation)
    rows = list(selectors.people_of(organisation))
    return render(
        request,
        "access/identity/organisation_people.html",
        {
            "title": f"People of {organisation}",
            "organisation": organisation,
            "pending": [a for a in rows if a.state == "pending"],
            "confirmed": [a for a in rows if a.state == "confirmed"],
            "past": [a for a in rows if a.state in ("lapsed", "declined")],
            "may_vouch": vouches_for(request.user, organisation),
            "is_ops": request.user.has_role("ops"),
            "left_form": left_form or LeftForm(),
            "left_pk": left_pk,
            "error_items": error_items(left_form),
        },
        status=400 if left_form is not None else 200,
    )


@login_required
@require_POST
def affiliation_decide(request, pk: int, decision: str):
    affiliation = get_object_or_404(Affiliation.objects.select_related("organisation"), pk=pk)
    organisation = affiliation.organisation
    # Who may decide is the service's to check (403 for another organisation's people).
    back = reverse("organisation-people", args=[organisation.slug])
    if decision not in ("confirm", "decline", "lapse"):
        raise Http404
    if decision == "confirm":
        services.affiliation_confirm(affiliation=affiliation, by=request.user)
        messages.success(request, f"{affiliation.person} is confirmed as working here.")
        return redirect(back)
    form = LeftForm(request.POST)
    if not form.is_valid():
        return organisation_people(request, organisation.slug, left_form=form, left_pk=pk)
    if decision == "decline":
        services.affiliation_decline(
            affiliation=affiliation, by=request.user, reason=form.cleaned_data["reason"]
        )
        messages.success(request, f"{affiliation.person} is not confirmed; they are told why.")
    else:
        services.affiliation_lapse(
            affiliation=affiliation, by=request.user, reason=form.cleaned_data["reason"]
        )
        messages.success(
            request,
            f"{affiliation.person} has left: their access to project data is suspended.",
        )
    return redirect(back)


def sign_in_cancelled(request):
    from access.identity.adapters import refusal

    return refusal(request, "cancelled")


# --- a person's ways in, for ops ---------------------------------------------------------------


@login_required
def person_sessions(request, pk: int):
    """Ops: where a person is signed in and their API tokens; sign them out everywhere, or
    deactivate the account (which ends every session and token too: ``User.save``)."""
    from access.identity.policies import check_manage_people
    from access.models import User
    from access.sessions import revoke_all, sessions_of, tokens_of

    check_manage_people(request.user)
    person = get_object_or_404(User, pk=pk)
    if request.method == "POST":
        if request.POST.get("action") == "deactivate" and person.pk != request.user.pk:
            person.is_active = False
            person.save(update_fields=["is_active"])
            messages.success(
                request,
                f"{person}'s account is deactivated: every session and token of theirs has ended.",
            )
        elif request.POST.get("action") == "sign-out":
            revoke_all(person)
            messages.success(request, f"{person} is signed out everywhere.")
        return redirect("person-sessions", pk=person.pk)
    return render(
        request,
        "access/identity/person_sessions.html",
        {
            "title": f"Sessions of {person}",
            "person": person,
            "sessions": sessions_of(person),
            "tokens": tokens_of(person),
        },
    )


@login_required
@require_POST
def token_create(request):
    """A new API token for the signed-in person, shown once: how someone who signs in through
    their institution (no password here) uses the API."""
    from access.sessions import issue_token

    token, key = issue_token(request.user)
    return render(
        request,
        "access/identity/token_created.html",
        {"title": "Your new API token", "key": key, "token": token},
    )
