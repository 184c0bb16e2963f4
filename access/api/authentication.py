"""API token authentication: django-rest-knox's hashed, expiring tokens, read with the
caller's roles in one query.

Nearly every API request asks about the caller's roles (``has_permission``, the visibility
rules), so one query finds the token by its digest (SHA-512 of the token, the primary key)
and joins its user and the user's role assignments (a row per role) (docs/benchmarks.md,
section 1). The token's expiry slides with use, as knox's ``AUTO_REFRESH`` does (written at
most once a ``MIN_REFRESH_INTERVAL``), never past ``AUTO_REFRESH_MAX_TTL`` after it was
issued. Nothing is kept between requests: a revoked or expired token, a deactivated user or
a removed role counts from the next request.
"""

from __future__ import annotations

import binascii

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox import auth
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from rest_framework import exceptions
from rest_framework.request import Request

from access.models import User


def signed_in_user(request: Request) -> User:
    """The person making ``request``, for the views that act as them (``by=``). Every such view
    requires a signed-in person (the default permission), so this is 401 only in principle;
    it also tells the types that ``request.user`` is a ``User`` there."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise exceptions.NotAuthenticated()
    return user


class TokenAuthentication(auth.TokenAuthentication):
    """``Authorization: Token <key>`` (knox), roles included."""

    def authenticate_credentials(self, token: bytes):
        invalid = exceptions.AuthenticationFailed(_("Invalid token."))
        try:
            key = token.decode("utf-8")
            digest = hash_token(key)
        except (UnicodeDecodeError, TypeError, ValueError, binascii.Error):
            raise invalid from None
        rows = list(
            User.objects.filter(auth_token_set__digest=digest)
            .annotate(
                role=F("role_assignments__role"),
                token_created=F("auth_token_set__created"),
                token_expiry=F("auth_token_set__expiry"),
            )
            .order_by()
        )
        if not rows:
            raise invalid
        user = rows[0]
        now = timezone.now()
        if user.token_expiry is not None and user.token_expiry < now:
            AuthToken.objects.filter(digest=digest).delete()
            raise exceptions.AuthenticationFailed(_("Token expired: sign in again."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        # What ``User.role_names`` would otherwise read with a query of its own.
        user._role_cache = {row.role for row in rows if row.role is not None}
        expiry = self._slide(digest, user.token_created, user.token_expiry, now)
        auth_token = AuthToken(
            digest=digest,
            token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH],
            user=user,
            created=user.token_created,
            expiry=expiry,
        )
        auth_token._state.adding = False
        return (user, auth_token)

    @staticmethod
    def _slide(digest, created, expiry, now):
        if expiry is None or not knox_settings.AUTO_REFRESH:
            return expiry
        new_expiry = now + knox_settings.TOKEN_TTL
        if knox_settings.AUTO_REFRESH_MAX_TTL is not None:
            new_expiry = min(new_expiry, created + knox_settings.AUTO_REFRESH_MAX_TTL)
        if (new_expiry - expiry).total_seconds() > knox_settings.MIN_REFRESH_INTERVAL:
            AuthToken.objects.filter(digest=digest).update(expiry=new_expiry)
            return new_expiry
        return expiry


class TokenScheme(OpenApiAuthenticationExtension):
    """The schema's name for it: ``Authorization: Token <key>``, as before the tokens expired."""

    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization",
            token_prefix="Token",  # noqa: S106 - the scheme's word, not a secret
        )
