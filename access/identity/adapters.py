"""allauth, fitted to this service (settings: ``SOCIALACCOUNT_ADAPTER``, ``ACCOUNT_ADAPTER``).

* A first sign-in makes the account from the provider's verified claims (name, email, the
  organisation when the provider names one); the account is found again by the provider's
  subject only, never by email.
* An email already used by another account is never merged silently: the page says to sign in
  to that account and connect the provider there, or to ask the TRE's operations team.
* Two first sign-ins of the same person at the same moment make one account.
* Every refusal is our own page, saying why (``oidc.REASONS``).
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialAccount, SocialLogin
from allauth.socialaccount.providers.base import AuthError
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import slugify

from access.identity.oidc import REASONS, SignInRefused
from access.models import User

BACKEND = "access.backends.EmailOrUsernameBackend"
ORCID = "orcid"


def refusal(request: HttpRequest, reason: str, *, status: int = 400, **context: Any):
    return render(
        request,
        "access/identity/sign_in_refused.html",
        {
            "title": "You are not signed in",
            "reason": reason,
            "explanation": REASONS.get(reason, ""),
            "password_sign_in": settings.PASSWORD_SIGN_IN,
            **context,
        },
        status=status,
    )


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # allauth's own sign-up form is not used: registration is access/identity/views.py.
        return False

    def login(self, request: HttpRequest, user: Any) -> None:
        if not hasattr(user, "backend"):
            user.backend = BACKEND
        super().login(request, user)

    def add_message(self, *args: Any, **kwargs: Any) -> None:
        # allauth's messages ("Successfully signed in as <username>"): the pages say it.
        return None


class ProviderSignInAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return True

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: Any = None,
        extra_context: Any = None,
    ) -> None:
        if isinstance(exception, SignInRefused):
            reason = exception.reason
        elif error == AuthError.CANCELLED:
            reason = "cancelled"
        elif error is not None and exception is None:
            # No state found for the callback: used already, or never started here.
            state = (extra_context or {}).get("state")
            reason = "state" if state is None else "provider"
        else:
            reason = "provider"
        raise ImmediateHttpResponse(refusal(request, reason, provider=provider.name))

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        account = sociallogin.account
        if sociallogin.is_existing:
            user = sociallogin.user
            if not user.is_active:
                raise ImmediateHttpResponse(refusal(request, "inactive", status=403))
            self._record_orcid(sociallogin, user)
            return
        if request.user.is_authenticated and sociallogin.state.get("process") == "connect":
            self._record_orcid(sociallogin, request.user)
            return
        email = (sociallogin.user.email or "").strip().lower()
        verified = any(a.verified for a in sociallogin.email_addresses if a.email)
        if not email or not verified:
            raise ImmediateHttpResponse(refusal(request, "email"))
        if User.objects.filter(email__iexact=email).exists():
            raise ImmediateHttpResponse(
                refusal(request, "email_taken", status=409, provider=account.get_provider().name)
            )

    def _record_orcid(self, sociallogin: SocialLogin, user: User) -> None:
        if sociallogin.account.provider != ORCID:
            return
        if user.orcid != sociallogin.account.uid or not user.orcid_verified:
            user.orcid, user.orcid_verified = sociallogin.account.uid, True
            User.objects.filter(pk=user.pk).update(orcid=user.orcid, orcid_verified=True)

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data: dict) -> User:
        user: User = sociallogin.user
        email = (data.get("email") or "").strip().lower()
        user.email = email
        name = (data.get("name") or "").strip()
        if not name:
            name = " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)
        user.full_name = name or email
        user.origin = "provider"
        base = slugify(email.split("@")[0]) or "person"
        user.username = f"{base}-{sociallogin.account.provider}"[:140]
        if sociallogin.account.provider == ORCID:
            user.orcid, user.orcid_verified = sociallogin.account.uid, True
        return user

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None) -> User:
        """One account, even when the same person's first sign-in arrives twice at once: the
        second finds the first's account by the provider's subject (unique per provider)."""
        user: User = sociallogin.user
        user.username = _free_username(user.username)
        try:
            with transaction.atomic():
                user.set_unusable_password()
                sociallogin.save(request)
        except IntegrityError:
            existing = SocialAccount.objects.select_related("user").filter(
                provider=sociallogin.account.provider, uid=sociallogin.account.uid
            )
            found = existing.first()
            if found is None:
                raise ImmediateHttpResponse(refusal(request, "email_taken", status=409)) from None
            sociallogin.user, sociallogin.account = found.user, found
            return found.user
        self._affiliation_from_claims(sociallogin, user)
        return user

    def _affiliation_from_claims(self, sociallogin: SocialLogin, user: User) -> None:
        from access.identity.services import affiliation_request
        from access.models import Organisation

        app = sociallogin.account.get_provider().app
        claim = (app.settings or {}).get("affiliation_claim") or ""
        data = sociallogin.account.extra_data or {}
        if not claim:
            return
        value = ""
        for part in ("userinfo", "id_token"):
            value = value or str((data.get(part) or {}).get(claim) or "")
        if not value.strip():
            return
        organisation = (
            Organisation.objects.filter(name__iexact=value.strip()).first()
            or Organisation.objects.filter(ror_id__iexact=value.strip()).first()
        )
        if organisation is not None:
            affiliation_request(person=user, organisation=organisation, by=user)

    def get_connect_redirect_url(self, request: HttpRequest, socialaccount: Any) -> str:
        return reverse("account")


def _free_username(wanted: str) -> str:
    candidate, n = wanted, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{wanted}-{n}"
    return candidate
