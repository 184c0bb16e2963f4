"""The provisioning API: entitlements, the change feed and visas for the secure environment;
webhook receivers and their deliveries for ops. Thin: parse, check the policy, read or call
one service, answer."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.api.authentication import signed_in_user
from access.models import User
from core.api.errors import error_body
from core.api.idempotency import idempotent
from core.api.pagination import Pagination
from core.errors import ValidationFailed
from workflow.provisioning import selectors, services, visas
from workflow.provisioning import serializers as s
from workflow.provisioning.models import WebhookDelivery, WebhookReceiver
from workflow.provisioning.policies import (
    can_read_all_entitlements,
    check_manage_provisioning,
    check_read_all_entitlements,
    check_read_entitlements_of,
)

PERSON = OpenApiParameter(
    "person", int, description="A person's user id (default: yourself; others need the scope)"
)
PROJECT = OpenApiParameter("application", int, description="Only this application (project)")


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed("Invalid query.", fields={name: ["A whole number."]}) from None
    if not 1 <= value <= 2**63 - 1:
        raise ValidationFailed("Invalid query.", fields={name: ["Out of range."]})
    return value


def _person(request: Request) -> User:
    """The person asked about: ``?person=`` (checked) or the caller."""
    caller = signed_in_user(request)
    person_id = _int_param(request, "person")
    if person_id is None or person_id == caller.pk:
        check_read_entitlements_of(caller, caller)
        return caller
    if not can_read_all_entitlements(caller):
        check_read_entitlements_of(caller, User(pk=person_id))  # 403 before any 404
    person = User.objects.filter(pk=person_id).first()
    if person is None:
        raise Http404
    return person


class EntitlementListView(generics.ListAPIView):
    """Active access grants: yours; everyone's (filter by ``person`` or ``application``) for a
    service account with ``entitlements:read`` and for ops. A suspended or ended grant, or one
    whose project is not live, is never listed."""

    serializer_class = s.EntitlementSerializer
    pagination_class = Pagination
    filter_backends: list = []

    @extend_schema(operation_id="entitlements_list", parameters=[PERSON, PROJECT])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        caller = signed_in_user(self.request)
        rows = selectors.active_grants()
        person_id = _int_param(self.request, "person")
        application_id = _int_param(self.request, "application")
        if not can_read_all_entitlements(caller):
            if person_id not in (None, caller.pk) or application_id is not None:
                check_read_all_entitlements(caller)
            return rows.filter(person=caller)
        if person_id is not None:
            rows = rows.filter(person_id=person_id)
        if application_id is not None:
            rows = rows.filter(application_id=application_id)
        return rows


class ChangeFeedView(APIView):
    """Changes to grants and live projects after ``?after=<cursor>``, oldest first. Poll with
    the ``cursor`` of the last answer: numbered in commit order, so none is ever skipped."""

    @extend_schema(
        operation_id="entitlements_changes",
        parameters=[s.ChangeFeedQuery],
        responses=s.ChangeFeedSerializer,
    )
    def get(self, request: Request) -> Response:
        check_read_all_entitlements(signed_in_user(request))
        query = s.ChangeFeedQuery(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        after, limit = query.validated_data["after"], query.validated_data["limit"]
        changes = selectors.changes_after(after, limit=limit + 1)
        more = len(changes) > limit
        changes = changes[:limit]
        cursor = changes[-1].pk if changes else after
        body = {
            "changes": [selectors.change_payload(c) for c in changes],
            "cursor": cursor,
            "more": more,
        }
        return Response(body)


class VisaListView(APIView):
    """A person's GA4GH Passport visas: one signed ``ControlledAccessGrants`` JWT per active
    grant and dataset (yours, or ``?person=`` with the scope). Verify them with the JWKS at
    ``/.well-known/jwks.json``."""

    @extend_schema(
        operation_id="entitlements_visas", parameters=[PERSON], responses=s.PassportSerializer
    )
    def get(self, request: Request) -> Response:
        person = _person(request)
        try:
            issued = visas.visas_for(list(selectors.active_grants_of_person(person)))
        except visas.VisasNotConfigured as missing:
            return Response(
                error_body("unavailable", str(missing)), status=status.HTTP_503_SERVICE_UNAVAILABLE
            )
        return Response(s.PassportSerializer({"person": person.pk, "visas": issued}).data)


class JWKSView(APIView):
    """The public keys that verify the visas (JWKS, RFC 7517). Anyone may read it."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(operation_id="jwks_retrieve", responses=s.JWKSSerializer)
    def get(self, request: Request) -> Response:
        return Response(visas.jwks())


class WebhookReceiverViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Ops: where the secure environment is told of changes, and which kinds."""

    serializer_class = s.WebhookReceiverSerializer
    queryset = WebhookReceiver.objects.none()
    lookup_value_regex = "[0-9]+"
    filter_backends: list = []

    def get_queryset(self):
        check_manage_provisioning(signed_in_user(self.request))
        return WebhookReceiver.objects.order_by("id")

    @extend_schema(
        operation_id="webhook_receivers_create",
        request=s.WebhookReceiverInput,
        responses={201: s.WebhookReceiverCreatedSerializer},
    )
    @idempotent
    def create(self, request: Request) -> Response:
        by = signed_in_user(request)
        check_manage_provisioning(by)
        data = s.WebhookReceiverInput(data=request.data)
        data.is_valid(raise_exception=True)
        receiver = services.webhook_receiver_register(by=by, **data.validated_data)
        return Response(
            s.WebhookReceiverCreatedSerializer(receiver).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        operation_id="webhook_receivers_update",
        request=s.WebhookReceiverPatch,
        responses=s.WebhookReceiverCreatedSerializer,
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        by = signed_in_user(request)
        receiver = self.get_object()
        data = s.WebhookReceiverPatch(data=request.data)
        data.is_valid(raise_exception=True)
        receiver = services.webhook_receiver_update(by=by, receiver=receiver, **data.validated_data)
        shown = s.WebhookReceiverCreatedSerializer(receiver).data
        if not data.validated_data.get("rotate_secret"):
            shown["secret"] = ""
        return Response(shown)


class WebhookDeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """Ops: every delivery of a change to a receiver, each attempt and what came back."""

    serializer_class = s.WebhookDeliverySerializer
    queryset = WebhookDelivery.objects.none()
    lookup_value_regex = "[0-9]+"
    filterset_fields = ["receiver", "status", "application"]
    ordering_fields: list[str] = []

    def get_queryset(self):
        check_manage_provisioning(signed_in_user(self.request))
        return selectors.deliveries().prefetch_related("log")

    @extend_schema(
        operation_id="webhook_deliveries_redeliver",
        request=None,
        responses=s.WebhookDeliverySerializer,
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def redeliver(self, request: Request, pk: str) -> Response:
        delivery = self.get_object()
        services.webhook_delivery_redeliver(by=signed_in_user(request), delivery=delivery)
        return Response(s.WebhookDeliverySerializer(self.get_queryset().get(pk=delivery.pk)).data)


@extend_schema(exclude=True)
class WellKnownJWKSView(JWKSView):
    """The same keys where verifiers look first (``/.well-known/jwks.json``)."""
