from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from access.api.authentication import signed_in_user
from access.api.serializers import (
    MeSerializer,
    OrganisationSerializer,
    TokenLoginSerializer,
    TokenSerializer,
)
from access.models import Organisation, User


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
    """Exchange a login (username or email) and password for an API token."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(request=TokenLoginSerializer, responses=TokenSerializer)
    def post(self, request):
        serializer = TokenLoginSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        # A token login is a sign-in: the signal records last_login and clears django-axes'
        # failure count, as the web sign-in does.
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class OrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    """Research institutions and data-providing bodies. Public, like the catalogue."""

    queryset = Organisation.objects.all()
    serializer_class = OrganisationSerializer
    permission_classes = [permissions.AllowAny]
    lookup_field = "slug"
    filterset_fields = ["kind", "has_health_service_functions"]
    search_fields = ["name"]
    ordering_fields = ["name"]
