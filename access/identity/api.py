"""Thin API views of identity: your affiliations (ask an organisation to confirm you), the
decisions of an organisation's signatories and user managers, an organisation's people."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from access.api.authentication import signed_in_user
from access.identity import selectors, services
from access.identity import serializers as s
from access.identity.policies import check_see_people_of
from access.models import Affiliation, Organisation
from core.api.idempotency import idempotent

DECISIONS: dict[str, Callable] = {
    "confirm": services.affiliation_confirm,
    "decline": services.affiliation_decline,
    "lapse": services.affiliation_lapse,
}
SUMMARIES = {
    "confirm": "Confirm the person works at the organisation (its signatories and user managers)",
    "decline": "Say the person does not work there (its signatories and user managers)",
    "lapse": "Record that the person has left; their access is suspended (signatories, user "
    "managers)",
}


def _decision(name: str):
    call = DECISIONS[name]

    @idempotent
    def handler(self, request: Request, pk=None):
        affiliation = self.get_object()
        serializer = s.AffiliationReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        kwargs = {} if name == "confirm" else {"reason": serializer.validated_data["reason"]}
        call(affiliation=affiliation, by=signed_in_user(request), **kwargs)
        return Response(s.AffiliationSerializer(self._reload(affiliation.pk)).data)

    handler.__name__ = name
    return extend_schema(
        operation_id=f"affiliations_{name}",
        request=s.AffiliationReasonSerializer,
        responses={200: s.AffiliationSerializer},
        summary=SUMMARIES[name],
    )(action(detail=True, methods=["post"])(handler))


class AffiliationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Affiliations: your own, and those of the organisations you sign for or manage users of
    (pending ones wait for you). Ask with POST; decide with the actions."""

    queryset = Affiliation.objects.none()
    serializer_class = s.AffiliationSerializer
    filterset_fields = ["state"]
    ordering_fields = ["requested_at"]

    def get_queryset(self):
        user = signed_in_user(self.request)
        return (
            Affiliation.objects.filter(
                Q(person=user) | Q(organisation__in=selectors.organisations_vouched_by(user))
            )
            .select_related("person", "organisation", "decided_by")
            .order_by("-requested_at", "-id")
        )

    def _reload(self, pk: int) -> Affiliation:
        return get_object_or_404(self.get_queryset(), pk=pk)

    @extend_schema(
        operation_id="affiliations_create",
        request=s.AffiliationRequestSerializer,
        responses={201: s.AffiliationSerializer},
    )
    @idempotent
    def create(self, request: Request) -> Response:
        """Say you work at an organisation: its signatories and user managers are asked to
        confirm it. Asking again returns the pending or confirmed one."""
        serializer = s.AffiliationRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = signed_in_user(request)
        affiliation = services.affiliation_request(
            person=user, by=user, **serializer.validated_data
        )
        return Response(
            s.AffiliationSerializer(self._reload(affiliation.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    confirm = _decision("confirm")
    decline = _decision("decline")
    lapse = _decision("lapse")


class OrganisationPeopleView(generics.ListAPIView):
    """An organisation's people (every affiliation, with each person's accreditations): its
    signatories and user managers, and ops."""

    serializer_class = s.OrganisationPersonSerializer
    queryset = Affiliation.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Affiliation.objects.none()
        organisation = get_object_or_404(Organisation, slug=self.kwargs["slug"])
        check_see_people_of(signed_in_user(self.request), organisation)
        return selectors.people_of(organisation).order_by("state", "person__full_name", "id")

    @extend_schema(operation_id="organisations_people")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)
