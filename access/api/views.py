from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from rest_framework import generics, permissions, viewsets
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from access.api.authentication import signed_in_user
from access.api.serializers import (
    MeSerializer,
    OrganisationSerializer,
    TokenLoginSerializer,
    TokenSerializer,
)
from access.models import Organisation, User
from access.sessions import issue_token, revoke_token, sign_out_everywhere
from core.api.throttling import AddressRateThrottle


class MeView(generics.RetrieveUpdateAPIView):
    """The logged-in user: who they are, their roles and the organisations they act for."""

    serializer_class = MeSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self) -> User:
        user = signed_in_user(self.request)
        return (
            User.objects.select_related("affiliation")
            .prefetch_related("memberships__organisation", "role_assignments")
            .get(pk=user.pk)
        )


@extend_schema(exclude=True)
class BenchmarkFloorView(APIView):
    """The benchmarks' floor: authenticates (token: one query) and answers ``{}``. Everything
    an API request costs before our own code, measured on the same server in the same run.
    Routed only when ``TRE_BENCHMARK_FLOOR`` is set (scripts/bench.py)."""

    def get(self, request):
        return Response({})


class TokenLoginView(APIView):
    """``POST``: exchange a login (username or email) and password for a new API token, which
    expires ``API_TOKEN_TTL_HOURS`` after its last use. ``DELETE`` (with the token): revoke
    the token the request is made with (access/sessions.py)."""

    # Attempts per client address (behind the proxies), counted in the shared cache; only on
    # POST (get_throttles).
    throttle_classes = [AddressRateThrottle]

    def get_authenticators(self):
        # Signing in needs no credentials but the password (a stale token must not stop it).
        if self.request is not None and self.request.method == "POST":
            return []
        return super().get_authenticators()

    def get_permissions(self):
        if self.request.method == "POST":
            return [permissions.AllowAny()]
        return super().get_permissions()

    def get_throttles(self):
        return super().get_throttles() if self.request.method == "POST" else []

    @extend_schema(request=TokenLoginSerializer, responses=TokenSerializer)
    def post(self, request):
        if not settings.PASSWORD_SIGN_IN:
            raise PermissionDenied(
                "Signing in with a password is switched off here: sign in through your "
                "organisation's sign-in service in the browser, then create a token on the "
                "Your sessions and tokens page."
            )
        serializer = TokenLoginSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        # A token login is a sign-in: the signal records last_login and clears django-axes'
        # failure count, as the web sign-in does.
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        token, key = issue_token(user)
        return Response({"token": key, "expiry": token.expiry})

    @extend_schema(operation_id="auth_token_revoke", request=None, responses={204: None})
    def delete(self, request):
        if not isinstance(request.auth, AuthToken):
            raise NotAuthenticated("Revoke a token by sending it: Authorization: Token <key>.")
        revoke_token(request.user, request.auth.digest)
        return Response(status=204)


class SignOutEverywhereView(APIView):
    """End every session and API token of the caller, this one included."""

    @extend_schema(operation_id="auth_sign_out_everywhere", request=None, responses={204: None})
    def post(self, request):
        sign_out_everywhere(request._request)
        return Response(status=204)


class OrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    """Research institutions and data-providing bodies. Public, like the catalogue."""

    queryset = Organisation.objects.all()
    serializer_class = OrganisationSerializer
    permission_classes = [permissions.AllowAny]
    lookup_field = "slug"
    filterset_fields = ["kind", "has_health_service_functions"]
    search_fields = ["name"]
    ordering_fields = ["name"]
