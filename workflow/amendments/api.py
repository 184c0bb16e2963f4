"""Thin API views for amendments: each loads what the caller may see (404 otherwise), calls
one service or selector, and answers with the amendment as the caller sees it.

``/api/v1/applications/{id}/amendments/`` lists and asks for amendments; each transition is
``POST .../amendments/{amendment_id}/<transition>/``; ``GET .../routing/`` explains where it
goes and why (before submitting, too)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.api.authentication import signed_in_user
from core.api.idempotency import idempotent
from core.api.pagination import Pagination
from workflow.amendments import serializers as s
from workflow.amendments import services
from workflow.amendments.models import Amendment, AmendmentTrack, RouteRule
from workflow.amendments.policies import (
    actions_for,
    amendment_application,
    tracks_to_decide,
    visible_amendment,
)
from workflow.amendments.selectors import routing_of


def _answer(request: Request, amendment: Amendment, code: int = 200) -> Response:
    amendment = (
        Amendment.objects.select_related("application", "requested_by")
        .prefetch_related("tracks__organisation", "tracks__decided_by")
        .get(pk=amendment.pk)
    )
    data = s.AmendmentSerializer(
        amendment, context={"actions": actions_for(request.user, amendment), "user": request.user}
    ).data
    return Response(data, status=code)


def _amendment(request: Request, pk: int, amendment_id: int) -> Amendment:
    application = amendment_application(request.user, pk)
    return visible_amendment(request.user, application, amendment_id)


class AmendmentListView(generics.ListAPIView):
    """The project's amendments, newest first, a page at a time."""

    pagination_class = Pagination
    filter_backends: list = []
    serializer_class = s.AmendmentSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's view has no project
            return Amendment.objects.none()
        application = amendment_application(self.request.user, self.kwargs["pk"])
        return (
            Amendment.objects.filter(application=application)
            .select_related("application", "requested_by")
            .prefetch_related("tracks__organisation", "tracks__decided_by")
            .order_by("-number")
        )

    @extend_schema(operation_id="applications_amendments_list")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="applications_amendments_create",
        request=s.AmendmentInputSerializer,
        responses={201: s.AmendmentSerializer},
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        """Ask for an amendment of an active or suspended project (a draft: its routing and
        diff are shown before it is submitted). 409 when another amendment is open."""
        application = amendment_application(request.user, pk)
        serializer = s.AmendmentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = services.amendment_create(
            application=application,
            by=signed_in_user(request),
            changes=serializer.validated_data["changes"],
            reason=serializer.validated_data["reason"],
        )
        return _answer(request, created, status.HTTP_201_CREATED)


class AmendmentView(APIView):
    @extend_schema(operation_id="applications_amendments_retrieve", responses=s.AmendmentSerializer)
    def get(self, request: Request, pk: int, amendment_id: int) -> Response:
        return _answer(request, _amendment(request, pk, amendment_id))

    @extend_schema(
        operation_id="applications_amendments_replace",
        request=s.AmendmentInputSerializer,
        responses=s.AmendmentSerializer,
    )
    @idempotent
    def put(self, request: Request, pk: int, amendment_id: int) -> Response:
        """Replace a draft's changes and reason."""
        amendment = _amendment(request, pk, amendment_id)
        serializer = s.AmendmentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.amendment_update(
            amendment=amendment,
            by=signed_in_user(request),
            changes=serializer.validated_data["changes"],
            reason=serializer.validated_data["reason"],
        )
        return _answer(request, amendment)


class AmendmentRoutingView(APIView):
    @extend_schema(operation_id="applications_amendments_routing", responses=s.RoutingSerializer)
    def get(self, request: Request, pk: int, amendment_id: int) -> Response:
        """Where the amendment goes and why: every routing rule of every change, whether it
        applies to this project, and the tracks it opens (frozen once submitted)."""
        amendment = _amendment(request, pk, amendment_id)
        return Response(s.RoutingSerializer(routing_of(amendment)).data)


class AmendmentSubmitView(APIView):
    @extend_schema(
        operation_id="applications_amendments_submit",
        request=None,
        responses=s.AmendmentSerializer,
    )
    @idempotent
    def post(self, request: Request, pk: int, amendment_id: int) -> Response:
        """Submit the draft: only the affected tracks open; changes that need no review take
        effect now (with none to review, the amendment is approved at once)."""
        amendment = _amendment(request, pk, amendment_id)
        services.amendment_submit(amendment=amendment, by=signed_in_user(request))
        return _answer(request, amendment)


class AmendmentWithdrawView(APIView):
    @extend_schema(
        operation_id="applications_amendments_withdraw",
        request=s.ReasonSerializer,
        responses=s.AmendmentSerializer,
    )
    @idempotent
    def post(self, request: Request, pk: int, amendment_id: int) -> Response:
        """Withdraw an open amendment: nothing more changes."""
        amendment = _amendment(request, pk, amendment_id)
        serializer = s.ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.amendment_withdraw(
            amendment=amendment,
            by=signed_in_user(request),
            reason=serializer.validated_data["reason"],
        )
        return _answer(request, amendment)


class AmendmentTrackDecideView(APIView):
    @extend_schema(
        operation_id="applications_amendments_tracks_decide",
        request=s.TrackDecisionSerializer,
        responses=s.AmendmentSerializer,
    )
    @idempotent
    def post(self, request: Request, pk: int, amendment_id: int, track_id: int) -> Response:
        """Decide your track (approved or rejected, with a rationale for a rejection); the last
        decision combines them into the amendment's."""
        amendment = _amendment(request, pk, amendment_id)
        track = get_object_or_404(AmendmentTrack, pk=track_id, amendment=amendment)
        serializer = s.TrackDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.amendment_track_decide(
            track=track,
            by=signed_in_user(request),
            outcome=serializer.validated_data["outcome"],
            rationale=serializer.validated_data["rationale"],
        )
        return _answer(request, amendment)


class AmendmentTrackVoteView(APIView):
    @extend_schema(
        operation_id="applications_amendments_tracks_vote",
        request=s.VoteSerializer,
        responses=s.AmendmentSerializer,
    )
    @idempotent
    def post(self, request: Request, pk: int, amendment_id: int, track_id: int) -> Response:
        """Vote on a panel track, as a member of its panel (off the project, unconflicted);
        the chair records the decision once the quorum is in."""
        amendment = _amendment(request, pk, amendment_id)
        track = get_object_or_404(AmendmentTrack, pk=track_id, amendment=amendment)
        serializer = s.VoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.amendment_vote_cast(
            track=track,
            by=signed_in_user(request),
            choice=serializer.validated_data["choice"],
            rationale=serializer.validated_data["rationale"],
        )
        return _answer(request, amendment)


class AmendmentSignView(APIView):
    @extend_schema(
        operation_id="applications_amendments_sign",
        request=None,
        responses=s.AmendmentSerializer,
    )
    @idempotent
    def post(self, request: Request, pk: int, amendment_id: int) -> Response:
        """A member the amendment added signs the data access agreement; their access follows
        once they also pass the safe-people check."""
        amendment = _amendment(request, pk, amendment_id)
        services.amendment_member_sign(
            application=amendment.application, by=signed_in_user(request)
        )
        return _answer(request, amendment)


class AmendmentTrackListView(generics.ListAPIView):
    """Open amendment tracks you may decide, soonest due first."""

    serializer_class = s.AmendmentTrackSerializer
    pagination_class = Pagination
    filter_backends: list = []

    @extend_schema(operation_id="amendment_tracks_list")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return tracks_to_decide(self.request.user)


class RouteRuleListView(generics.ListAPIView):
    """The routing table: which change goes to which reviewer, when, and its target (ops
    change it in the admin)."""

    serializer_class = s.RouteRuleSerializer
    pagination_class = Pagination
    filter_backends: list = []
    queryset = RouteRule.objects.order_by("change_type", "id")

    @extend_schema(operation_id="amendment_route_rules_list")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


APP = "applications/<int:pk>/amendments"
ONE = f"{APP}/<int:amendment_id>"


def urls() -> list:
    from django.urls import path

    return [
        path(f"{APP}/", AmendmentListView.as_view(), name="application-amendments"),
        path(f"{ONE}/", AmendmentView.as_view(), name="application-amendment"),
        path(
            f"{ONE}/routing/", AmendmentRoutingView.as_view(), name="application-amendment-routing"
        ),
        path(f"{ONE}/submit/", AmendmentSubmitView.as_view(), name="application-amendment-submit"),
        path(
            f"{ONE}/withdraw/",
            AmendmentWithdrawView.as_view(),
            name="application-amendment-withdraw",
        ),
        path(f"{ONE}/sign/", AmendmentSignView.as_view(), name="application-amendment-sign"),
        path(
            f"{ONE}/tracks/<int:track_id>/decide/",
            AmendmentTrackDecideView.as_view(),
            name="application-amendment-track-decide",
        ),
        path(
            f"{ONE}/tracks/<int:track_id>/votes/",
            AmendmentTrackVoteView.as_view(),
            name="application-amendment-track-vote",
        ),
        path("amendment-tracks/", AmendmentTrackListView.as_view(), name="amendment-tracks"),
        path("amendment-route-rules/", RouteRuleListView.as_view(), name="amendment-route-rules"),
    ]
