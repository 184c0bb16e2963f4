"""API for panels, their members, votes, conflicts and the chair's close."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from access.api.authentication import signed_in_user
from access.api.serializers import UserSummarySerializer
from access.models import User
from core.api.idempotency import idempotent
from core.api.serializers import DEPRECATED, StrictInputMixin, take_renamed
from core.errors import NotAllowed
from workflow.models import (
    MAX_CONDITIONS,
    DecisionRule,
    Outcome,
    Panel,
    PanelMembership,
    ReviewTrack,
    Vote,
)
from workflow.reviews import services as reviews_services
from workflow.reviews.policies import blind_until, can_see_panels, can_see_votes
from workflow.reviews.selectors import is_conflicted, vote_of, votes_on
from workflow.reviews.serializers import TallySerializer
from workflow.reviews.services import tally
from workflow.route.selectors import tracks_visible_to
from workflow.route.serializers import ReviewTrackSerializer, TrackDecisionInputSerializer


class PanelMembershipSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(read_only=True)

    class Meta:
        model = PanelMembership
        fields = ["id", "user", "is_independent", "is_lay", "is_chair", "joined_on", "left_on"]


class PanelSerializer(serializers.ModelSerializer):
    members = serializers.SerializerMethodField()

    class Meta:
        model = Panel
        fields = [
            "id",
            "name",
            "slug",
            "track_kind",
            "description",
            "quorum",
            "decision_rule",
            "min_independent_votes",
            "min_lay_votes",
            "blind_first_round",
            "is_active",
            "mode",
            "members",
        ]

    @extend_schema_field(PanelMembershipSerializer(many=True))
    def get_members(self, panel: Panel) -> list[dict[str, Any]]:
        current = [m for m in panel.memberships.all() if m.left_on is None]
        return list(PanelMembershipSerializer(current, many=True).data)


class MembershipInputSerializer(StrictInputMixin, serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    is_independent = serializers.BooleanField(default=False)
    is_lay = serializers.BooleanField(
        default=False, help_text="A member of the public (independent of the TRE too)"
    )
    is_chair = serializers.BooleanField(default=False)


class PanelRuleInputSerializer(StrictInputMixin, serializers.Serializer):
    """A panel's decision rule. A rule the panel as seated could never meet (more votes, or
    more independent or lay votes, than it has such members) is a 400."""

    quorum = serializers.IntegerField(min_value=1, max_value=100)
    decision_rule = serializers.ChoiceField(choices=DecisionRule.choices)
    min_independent_votes = serializers.IntegerField(min_value=0, max_value=100, default=0)
    min_lay_votes = serializers.IntegerField(min_value=0, max_value=100, default=0)
    blind_first_round = serializers.BooleanField(default=False)


@extend_schema_serializer(deprecate_fields=["choice", "proposed_conditions"])
class VoteSerializer(serializers.ModelSerializer):
    """A vote, in the words of a decision: ``outcome``, ``rationale``, ``conditions``."""

    member = UserSummarySerializer(read_only=True)
    outcome = serializers.ChoiceField(source="choice", choices=Outcome.choices, read_only=True)
    conditions = serializers.ListField(
        source="proposed_conditions", child=serializers.CharField(), read_only=True
    )
    choice = serializers.ChoiceField(
        choices=Outcome.choices, read_only=True, help_text=DEPRECATED.format(new="outcome")
    )
    proposed_conditions = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text=DEPRECATED.format(new="conditions")
    )

    class Meta:
        model = Vote
        fields = [
            "id",
            "member",
            "outcome",
            "rationale",
            "conditions",
            "cast_at",
            "changed_at",
            "choice",
            "proposed_conditions",
        ]


class TrackVotesSerializer(serializers.Serializer):
    my_vote = VoteSerializer(allow_null=True)
    conflicted = serializers.BooleanField()
    votes = VoteSerializer(many=True, allow_null=True, help_text="Shown once you have voted")
    tally = TallySerializer(allow_null=True, help_text="Shown once you have voted")
    blind_first_round = serializers.BooleanField(
        help_text="The panel's first round is blind: votes and tally open once you have voted "
        "and the quorum has voted"
    )
    hidden_because = serializers.CharField(
        allow_blank=True, help_text="Why the votes are not shown to you yet (empty when they are)"
    )


@extend_schema_serializer(deprecate_fields=["choice"])
class VoteInputSerializer(StrictInputMixin, serializers.Serializer):
    """A vote takes the fields of a decision (``TrackDecisionInputSerializer``)."""

    outcome = serializers.ChoiceField(
        choices=Outcome.choices, required=False, help_text="Required (or its old name, choice)"
    )
    rationale = serializers.CharField(allow_blank=True, required=False, default="")
    conditions = serializers.ListField(
        child=serializers.CharField(), required=False, default=list, max_length=MAX_CONDITIONS
    )
    choice = serializers.ChoiceField(
        choices=Outcome.choices, required=False, help_text=DEPRECATED.format(new="outcome")
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        take_renamed(attrs, old="choice", new="outcome")
        return attrs


def _vote(data: dict[str, Any]) -> dict[str, Any]:
    """The services' words for a vote (``choice``) from the API's (``outcome``)."""
    return {
        "choice": data["outcome"],
        "rationale": data["rationale"],
        "conditions": data["conditions"],
    }


class ConflictInputSerializer(StrictInputMixin, serializers.Serializer):
    reason = serializers.CharField()


class PanelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Configured panels (staff may read; ops configure membership)."""

    serializer_class = PanelSerializer
    queryset = Panel.objects.prefetch_related("memberships__user").order_by("name")

    def get_queryset(self):
        return super().get_queryset() if can_see_panels(self.request.user) else Panel.objects.none()

    @extend_schema(
        operation_id="panels_members_add",
        request=MembershipInputSerializer,
        responses={201: PanelMembershipSerializer},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def members(self, request: Request, pk=None) -> Response:
        panel = self.get_object()
        data = MembershipInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = reviews_services.panel_membership_add(
            panel=panel, by=signed_in_user(request), **data.validated_data
        )
        return Response(PanelMembershipSerializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="panels_rule_set", request=PanelRuleInputSerializer, responses=PanelSerializer
    )
    @action(detail=True, methods=["put"])
    @idempotent
    def rule(self, request: Request, pk=None) -> Response:
        """Ops set the panel's decision rule: quorum, how it decides, the independent and lay
        votes it needs, and a blind first round."""
        panel = self.get_object()
        data = PanelRuleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        panel = reviews_services.panel_rule_set(
            panel=panel, by=signed_in_user(request), **data.validated_data
        )
        panel = Panel.objects.prefetch_related("memberships__user").get(pk=panel.pk)
        return Response(PanelSerializer(panel).data)

    @extend_schema(
        operation_id="panels_members_leave", request=None, responses=PanelMembershipSerializer
    )
    @action(detail=True, methods=["post"], url_path=r"members/(?P<membership_id>\d+)/leave")
    @idempotent
    def leave(self, request: Request, pk=None, membership_id=None) -> Response:
        panel = self.get_object()
        membership = get_object_or_404(panel.memberships, pk=int(membership_id))
        membership = reviews_services.panel_membership_end(
            membership=membership, by=signed_in_user(request)
        )
        return Response(PanelMembershipSerializer(membership).data)


class ReviewTrackViewSet(viewsets.ReadOnlyModelViewSet):
    """The parallel reviews of applications in review: IGRP, DEA panel, owners' sign-off."""

    queryset = ReviewTrack.objects.none()  # the real one comes from the selector
    serializer_class = ReviewTrackSerializer
    filterset_fields = ["kind", "state", "outcome", "application"]
    ordering_fields = ["opened_at", "due_date"]

    def get_queryset(self):
        return tracks_visible_to(self.request.user).order_by("id")

    @extend_schema(request=TrackDecisionInputSerializer, responses=ReviewTrackSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def decide(self, request: Request, pk=None) -> Response:
        """A data owner signs off or refuses for their organisation."""
        track = self.get_object()
        serializer = TrackDecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        track = reviews_services.review_track_decide(
            track=track, by=signed_in_user(request), **serializer.validated_data
        )
        return Response(ReviewTrackSerializer(track).data)

    @extend_schema(request=TrackDecisionInputSerializer, responses=ReviewTrackSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def close(self, request: Request, pk=None) -> Response:
        """The chair closes a panel's vote with the panel's outcome and conditions."""
        track = self.get_object()
        serializer = TrackDecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        track = reviews_services.panel_track_close(
            track=track, by=signed_in_user(request), **serializer.validated_data
        )
        return Response(ReviewTrackSerializer(track).data)

    @extend_schema(methods=["GET"], responses=TrackVotesSerializer)
    @extend_schema(methods=["POST"], request=VoteInputSerializer, responses={201: VoteSerializer})
    @extend_schema(methods=["PUT"], request=VoteInputSerializer, responses={200: VoteSerializer})
    @action(detail=True, methods=["get", "post", "put"])
    @idempotent
    def votes(self, request: Request, pk=None) -> Response:
        """GET: your vote, and the others' with the tally once you have voted. POST: vote.
        PUT: change your vote until the track closes."""
        track = self.get_object()
        if track.kind == "owner_signoff":
            raise NotAllowed("Owners sign off; there is no vote on this track.")
        user = signed_in_user(request)
        if request.method == "GET":
            mine = vote_of(user, track)
            visible = can_see_votes(user, track)
            votes = votes_on(track) if visible else None
            current = tally(track) if visible else None
            return Response(
                {
                    "my_vote": VoteSerializer(mine).data if mine else None,
                    "conflicted": is_conflicted(user, track.application_id),
                    "votes": VoteSerializer(votes, many=True).data if visible else None,
                    "tally": TallySerializer(current).data if current else None,
                    "blind_first_round": bool(track.panel and track.panel.blind_first_round),
                    "hidden_because": blind_until(user, track),
                }
            )
        data = VoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if request.method == "POST":
            vote = reviews_services.vote_cast(track=track, by=user, **_vote(data.validated_data))
            return Response(VoteSerializer(vote).data, status=status.HTTP_201_CREATED)
        previous = vote_of(user, track)
        if previous is None:
            raise NotAllowed("You have not voted on this track yet: POST your vote first.")
        vote = reviews_services.vote_change(vote=previous, by=user, **_vote(data.validated_data))
        return Response(VoteSerializer(vote).data)

    @extend_schema(request=ConflictInputSerializer, responses={201: None})
    @action(detail=True, methods=["post"])
    @idempotent
    def conflict(self, request: Request, pk=None) -> Response:
        """Declare a conflict of interest: you will neither vote nor count to the quorum."""
        track = self.get_object()
        data = ConflictInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reviews_services.conflict_declare(
            track=track, by=signed_in_user(request), reason=data.validated_data["reason"]
        )
        return Response(status=status.HTTP_201_CREATED)
