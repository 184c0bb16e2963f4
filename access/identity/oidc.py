"""Sign-in through an OpenID Connect provider: allauth's provider, with every ID token checked.

allauth's OpenID Connect adapter skips the ID token's signature when the token came straight
from the token endpoint (OpenID Connect Core 3.1.3.7 allows it over TLS). We check it always,
with the issuer, the audience and the expiry, and we check that the userinfo is about the
same subject: a provider's token that was tampered with, issued for another service, or
expired never signs anyone in. Each refusal carries its reason, for the page that says so
(``adapters.ProviderSignInAdapter.on_authentication_error``).
"""

from __future__ import annotations

from typing import Any

import jwt
from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.http import Http404, HttpRequest, HttpResponse

# Why a sign-in was refused, in words for the person (the page's body).
REASONS = {
    "signature": "The identity token did not carry your sign-in service's signature: it was "
    "changed on the way, or did not come from that service.",
    "audience": "The identity token was issued for another service, not for this one.",
    "expired": "The identity token had expired before it reached us.",
    "issuer": "The identity token was issued by a service other than the one you chose.",
    "subject": "The sign-in service described someone other than the person in the token.",
    "missing": "The sign-in service sent no identity token.",
    "state": "This sign-in was already completed, or it was started in another browser or too "
    "long ago. Each sign-in can be finished once.",
    "email": "Your sign-in service did not confirm your email address, so we cannot make an "
    "account from it.",
    "provider": "Your sign-in service refused the sign-in, or could not be reached.",
    "email_taken": "Another account here already uses the email address your sign-in service "
    "gave. We do not join accounts by email: sign in to that account (with its password, or the "
    "service it uses) and connect this sign-in service on its Your account page, or ask the "
    "TRE's operations team to link them.",
    "cancelled": "You cancelled signing in at your sign-in service.",
    "inactive": "This account has been deactivated. Ask the TRE's operations team.",
}


class SignInRefused(OAuth2Error):
    def __init__(self, reason: str) -> None:
        super().__init__(REASONS[reason])
        self.reason = reason


class VerifyingOIDCAdapter(OpenIDConnectOAuth2Adapter):
    def complete_login(self, request: HttpRequest, app: SocialApp, token: Any, **kwargs: Any):
        id_token = kwargs["response"].get("id_token")
        if not id_token:
            raise SignInRefused("missing")
        claims = self._verify(app, id_token)
        userinfo = self._fetch_user_info(token.token)
        if str(userinfo.get("sub")) != str(claims.get("sub")):
            raise SignInRefused("subject")
        return self.get_provider().sociallogin_from_response(
            request, {"userinfo": userinfo, "id_token": claims}
        )

    def _verify(self, app: SocialApp, id_token: str) -> dict[str, Any]:
        config = self.openid_config
        try:
            alg, key = jwtkit.fetch_key(id_token, config["jwks_uri"], jwtkit.lookup_kid_jwk)
            if alg in ("none", "") or alg.startswith("HS"):
                raise SignInRefused("signature")
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key=key,
                algorithms=[alg],
                audience=app.client_id,
                issuer=config["issuer"],
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.InvalidSignatureError as exc:
            raise SignInRefused("signature") from exc
        except jwt.InvalidAudienceError as exc:
            raise SignInRefused("audience") from exc
        except jwt.ExpiredSignatureError as exc:
            raise SignInRefused("expired") from exc
        except jwt.InvalidIssuerError as exc:
            raise SignInRefused("issuer") from exc
        except (jwt.PyJWTError, OAuth2Error, KeyError, ValueError) as exc:
            if isinstance(exc, SignInRefused):
                raise
            raise SignInRefused("signature") from exc
        return claims


@login_not_required
def login(request: HttpRequest, provider_id: str) -> HttpResponse:
    from access.identity.views import allow_provider_forms

    try:
        response = OAuth2LoginView.adapter_view(VerifyingOIDCAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist as exc:
        raise Http404 from exc
    # Asked with GET (a link, not the sign-in page's button): a page whose button continues.
    return allow_provider_forms(response)


@login_not_required
def callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    try:
        return OAuth2CallbackView.adapter_view(VerifyingOIDCAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist as exc:
        raise Http404 from exc
