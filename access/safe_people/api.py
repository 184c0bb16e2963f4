"""Thin API views for accreditation, the data access agreement and access grants."""

from __future__ import annotations

from collections.abc import Callable

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from access.api.authentication import signed_in_user
from access.models import AccessGrant, Accreditation, AgreementText
from access.safe_people import serializers as s
from access.safe_people import services
from access.safe_people.selectors import access_grants_visible_to, accreditations_visible_to
from core.api.idempotency import idempotent

# name → the service that takes the decision
DECISIONS: dict[str, Callable] = {
    "accredit": services.accreditation_accredit,
    "refuse": services.accreditation_refuse,
    "suspend": services.accreditation_suspend,
    "reinstate": services.accreditation_reinstate,
    "revoke": services.accreditation_revoke,
}


def _decision_action(name: str):
    call = DECISIONS[name]

    @idempotent
    def handler(self, request: Request, pk=None):
        accreditation = self.get_object()
        serializer = s.AccreditationDecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        call(
            accreditation=accreditation, by=request.user, reason=serializer.validated_data["reason"]
        )
        return self._detail(request, accreditation.pk)

    handler.__name__ = name
    # extend_schema outside @action, which replaces the function's ``kwargs`` (where the schema
    # is kept): the other way round the request body was missing from the schema.
    return extend_schema(
        operation_id=f"accreditations_{name}",
        request=s.AccreditationDecisionInputSerializer,
        responses={200: s.AccreditationSerializer},
        summary=f"{name.capitalize()} (accreditation officers; never their own)",
    )(action(detail=True, methods=["post"])(handler))


class AccreditationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Safe-researcher training and DEA accreditation: your own (and those you supervise);
    accreditation officers and ops see everyone's. Apply with POST; officers decide with the
    actions."""

    queryset = Accreditation.objects.none()  # the real one comes from the selector
    serializer_class = s.AccreditationSerializer
    filterset_fields = ["kind", "state", "person"]
    ordering_fields = ["applied_at", "expires_on"]

    def get_queryset(self):
        return accreditations_visible_to(self.request.user).order_by("-applied_at", "-id")

    def _detail(self, request: Request, pk: int, status_code: int = 200) -> Response:
        accreditation = get_object_or_404(accreditations_visible_to(request.user), pk=pk)
        return Response(s.AccreditationSerializer(accreditation).data, status=status_code)

    @extend_schema(
        request=s.AccreditationApplyInputSerializer, responses={201: s.AccreditationSerializer}
    )
    @idempotent
    def create(self, request: Request) -> Response:
        """Apply for your own accreditation, with the certificate as evidence."""
        serializer = s.AccreditationApplyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        accreditation = services.accreditation_apply(
            by=signed_in_user(request), **serializer.validated_data
        )
        return self._detail(request, accreditation.pk, status.HTTP_201_CREATED)

    accredit = _decision_action("accredit")
    refuse = _decision_action("refuse")
    suspend = _decision_action("suspend")
    reinstate = _decision_action("reinstate")
    revoke = _decision_action("revoke")


class AgreementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The data access agreement, every version (the latest is the one signed now)."""

    queryset = AgreementText.objects.select_related("published_by").order_by("-version")
    serializer_class = s.AgreementTextSerializer
    lookup_field = "version"

    @extend_schema(
        request=s.AgreementPublishInputSerializer, responses={201: s.AgreementTextSerializer}
    )
    @idempotent
    def create(self, request: Request) -> Response:
        """Publish the next version (ops). Access then needs signatures against it."""
        serializer = s.AgreementPublishInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        text = services.agreement_publish(by=signed_in_user(request), **serializer.validated_data)
        return Response(s.AgreementTextSerializer(text).data, status=status.HTTP_201_CREATED)


class AccessGrantViewSet(viewsets.ReadOnlyModelViewSet):
    """Access to live projects' data: your own grants; ops see all. Grants change only through
    the route (grant access, suspend, close) and accreditation."""

    queryset = AccessGrant.objects.none()  # the real one comes from the selector
    serializer_class = s.AccessGrantSerializer
    filterset_fields = ["state", "application", "person"]
    ordering_fields = ["granted_at", "end_on"]

    def get_queryset(self):
        return access_grants_visible_to(self.request.user).order_by("-granted_at", "-id")
