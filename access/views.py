"""Pages of the service as a whole: sign in and out, and the home page that sends each person
to their work. (How to get access, with the typical time of each stage, is the turnaround
topic's: ``workflow/turnaround/views.py``.)"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from access.navigation import NAVIGATION
from access.policy import has_permission
from access.sessions import (
    end_session,
    revoke_token,
    sessions_of,
    sign_out_everywhere,
    tokens_of,
)
from core.forms import specific_messages
from core.web import error_items


class SignInForm(AuthenticationForm):
    """Django's sign-in form, asking for the username or the email address (our backend
    accepts either)."""

    username = forms.CharField(
        label="Username or email address",
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password = forms.CharField(label="Password", strip=False, widget=forms.PasswordInput)

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Enter a correct username (or email address) and password. The "
        "password is case-sensitive.",
    }

    def full_clean(self) -> None:
        for name, field in self.fields.items():
            specific_messages(field, str(field.label or name))
        super().full_clean()


class SignInView(auth_views.LoginView):
    template_name = "access/login.html"
    form_class = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        from access.identity.views import providers, registration_open

        context = super().get_context_data(**kwargs)
        context["title"] = "Sign in"
        context["error_items"] = error_items(context["form"])
        context["providers"] = providers()
        context["password_sign_in"] = settings.PASSWORD_SIGN_IN
        context["registration_open"] = registration_open()
        return context

    def post(self, request, *args, **kwargs):
        # PASSWORD_SIGN_IN=false: people sign in through their institution only.
        if not settings.PASSWORD_SIGN_IN:
            return render(
                request,
                "access/identity/sign_in_refused.html",
                {
                    "title": "You are not signed in",
                    "reason": "password",
                    "explanation": "Signing in with a password is switched off here: sign in "
                    "through your organisation's sign-in service.",
                },
                status=403,
            )
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response

    def render_to_response(self, context, **response_kwargs):
        from access.identity.views import allow_provider_forms

        return allow_provider_forms(super().render_to_response(context, **response_kwargs))


def work_for(user) -> list[dict]:
    """The queues this person works from: the navigation entries only a role opens."""
    return [
        {"text": entry.label, "href": reverse(entry.url_name)}
        for entry in NAVIGATION
        if entry.queue
        and (
            (entry.permissions and any(has_permission(user, p) for p in entry.permissions))
            or (entry.show is not None and entry.show(user))
        )
    ]


def home(request):
    """Signed out: what the service is. Signed in with one kind of work: straight to it.
    With several: a list of them."""
    if request.user.is_authenticated:
        work = work_for(request.user)
        if len(work) == 1:
            return redirect(work[0]["href"])
        return render(request, "access/home.html", {"title": "Your work", "work": work})
    return render(request, "access/home.html", {"title": "Get access to data in the TRE"})


@login_required
def sessions_page(request):
    """Your sessions and tokens: where you are signed in, and your API tokens; end any of
    them, or all of them at once (access/sessions.py)."""
    return render(
        request,
        "access/sessions.html",
        {
            "title": "Your sessions and tokens",
            "sessions": sessions_of(request.user),
            "tokens": tokens_of(request.user),
            "this_session": request.session.session_key,
            "idle_minutes": settings.SESSION_IDLE_TIMEOUT_MINUTES,
        },
    )


@login_required
@require_POST
def end_session_page(request):
    key = request.POST.get("session", "")
    if key == request.session.session_key:
        logout(request)
        return redirect("login")
    if end_session(request.user, key):
        messages.success(request, "That session has ended: it is signed out.")
    return redirect("sessions")


@login_required
@require_POST
def revoke_token_page(request):
    if revoke_token(request.user, request.POST.get("token", "")):
        messages.success(request, "That API token is revoked: it no longer works.")
    return redirect("sessions")


@login_required
@require_POST
def sign_out_everywhere_page(request):
    sign_out_everywhere(request)
    return redirect("login")
