"""Pages of the service as a whole: sign in and out, and the home page that sends each person
to their work. (How to get access, with the typical time of each stage, is the turnaround
topic's: ``workflow/turnaround/views.py``.)"""

from __future__ import annotations

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import redirect, render
from django.urls import reverse

from access.navigation import NAVIGATION
from access.policy import has_permission
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


class SignInView(auth_views.LoginView):
    template_name = "access/login.html"
    form_class = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = "Sign in"
        context["error_items"] = error_items(context["form"])
        return context

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


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
