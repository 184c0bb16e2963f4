"""Token authentication that reads the caller's roles in the same query as the token.

Nearly every API request asks about the caller's roles (``has_permission``, the visibility
rules), and DRF's token authentication loads only the token and the user, so the roles were a
second query on every request (docs/benchmarks.md, section 1). Here one query joins the token,
its user and the user's role assignments (a row per role). Nothing is kept between requests:
a revoked token, a deactivated user or a removed role counts from the next request.
"""

from __future__ import annotations

from django.db.models import F
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
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


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's ``TokenAuthentication`` (the same header, the same answers), roles included."""

    def authenticate_credentials(self, key):
        rows = list(
            User.objects.filter(auth_token__key=key)
            .annotate(role=F("role_assignments__role"), token_created=F("auth_token__created"))
            .order_by()
        )
        if not rows:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user = rows[0]
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        # What ``User.role_names`` would otherwise read with a query of its own.
        user._role_cache = {row.role for row in rows if row.role is not None}
        token = self.get_model()(key=key, created=user.token_created, user=user)
        token._state.adding = False
        return (user, token)
