"""The amendments' API shapes: the input of each write, and the amendment as it is read."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalogue.models import Purpose
from workflow.amendments.models import (
    Amendment,
    AmendmentTrack,
    AmendmentVote,
    ChangeType,
    Reviewer,
    RouteRule,
    RouteWhen,
    TrackOutcome,
)
from workflow.amendments.policies import (
    actions_for,
    can_see_votes,
    tally_of,
    votes_hidden_because,
)
from workflow.amendments.selectors import amendment_letter
from workflow.amendments.services import MAX_CHANGES
from workflow.reviews.serializers import TallySerializer
from workflow.route.models import MAX_VARIABLES_PER_DATASET, LegalGateway, ProjectRole
from workflow.route.serializers import DiffEntrySerializer


class ChangeSerializer(serializers.Serializer):
    """One typed change; which fields it needs depends on ``type`` (the service checks them
    against the project and names the field that is wrong)."""

    type = serializers.ChoiceField(choices=ChangeType.choices)
    user = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        help_text="add_member, remove_member: the person's id",
    )
    project_role = serializers.ChoiceField(
        choices=ProjectRole.choices,
        required=False,
        help_text="add_member (default researcher; not principal_investigator: use change_lead)",
    )
    dataset = serializers.CharField(
        max_length=80,
        required=False,
        help_text="add_dataset, add_variables, remove_dataset: the dataset's slug",
    )
    legal_gateway = serializers.ChoiceField(
        choices=LegalGateway.choices, required=False, help_text="add_dataset"
    )
    justification = serializers.CharField(
        max_length=4000, required=False, allow_blank=True, help_text="add_dataset"
    )
    variables = serializers.ListField(
        child=serializers.CharField(max_length=100),
        max_length=MAX_VARIABLES_PER_DATASET,
        required=False,
        help_text="add_dataset, add_variables: variable names",
    )
    research_question = serializers.CharField(
        max_length=10000, required=False, allow_blank=True, help_text="change_question"
    )
    purpose = serializers.ChoiceField(
        choices=Purpose.choices, required=False, allow_blank=True, help_text="change_question"
    )
    end_date = serializers.DateField(required=False, help_text="extend_end_date")
    principal_investigator = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, help_text="change_lead: a member's id"
    )
    lead_organisation = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        help_text="change_lead: an organisation's id",
    )

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if "end_date" in value:
            value["end_date"] = value["end_date"].isoformat()
        return value


class AmendmentInputSerializer(serializers.Serializer):
    changes = serializers.ListField(child=ChangeSerializer(), max_length=MAX_CHANGES)
    reason = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class VoteSerializer(serializers.Serializer):
    choice = serializers.ChoiceField(choices=TrackOutcome.choices)
    rationale = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class PanelVoteSerializer(serializers.ModelSerializer):
    member: serializers.Field = serializers.StringRelatedField()

    class Meta:
        model = AmendmentVote
        fields = ["id", "member", "choice", "rationale", "cast_at"]
        read_only_fields = fields


class TrackDecisionSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=TrackOutcome.choices)
    rationale = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class RouteStepSerializer(serializers.Serializer):
    change = serializers.IntegerField(help_text="Index of the change in ``changes``")
    change_type = serializers.ChoiceField(choices=ChangeType.choices)
    change_label = serializers.CharField()
    summary = serializers.CharField()
    reviewer = serializers.ChoiceField(choices=Reviewer.choices)
    reviewer_label = serializers.CharField()
    when = serializers.ChoiceField(choices=RouteWhen.choices)
    applies = serializers.BooleanField()
    opens_track = serializers.BooleanField()
    why = serializers.CharField()
    rule_id = serializers.IntegerField(allow_null=True)
    organisation_id = serializers.IntegerField(allow_null=True)
    organisation = serializers.CharField()
    target_days = serializers.IntegerField()
    pre_approved = serializers.DictField(
        allow_null=True, help_text="The category that skips an owner's sign-off, cited"
    )


class TrackPlanSerializer(serializers.Serializer):
    reviewer = serializers.ChoiceField(choices=Reviewer.choices)
    organisation_id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    target_days = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.CharField())


class RoutingSerializer(serializers.Serializer):
    """Where the amendment goes and why: every rule of every change, whether it applies."""

    amendment = serializers.IntegerField()
    frozen = serializers.BooleanField(help_text="True once submitted: the route it was sent on")
    takes_effect_at_once = serializers.BooleanField()
    route = RouteStepSerializer(many=True)
    tracks = TrackPlanSerializer(many=True)


class AmendmentTrackSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    organisation: serializers.Field = serializers.StringRelatedField()
    decided_by: serializers.Field = serializers.StringRelatedField()
    votes_cast = serializers.SerializerMethodField()
    votes = serializers.SerializerMethodField()
    tally = serializers.SerializerMethodField()
    votes_hidden_because = serializers.SerializerMethodField()

    class Meta:
        model = AmendmentTrack
        fields = [
            "id",
            "reviewer",
            "name",
            "organisation",
            "reasons",
            "state",
            "opened_at",
            "due_date",
            "outcome",
            "rationale",
            "decided_at",
            "decided_by",
            "votes_cast",
            "votes",
            "tally",
            "votes_hidden_because",
        ]
        read_only_fields = fields

    def get_votes_cast(self, obj: AmendmentTrack) -> int:
        """A panel track's votes so far (who voted what is for the panel)."""
        return obj.votes.count()

    def _viewer(self) -> Any:
        if "user" in self.context:
            return self.context["user"]
        request = self.context.get("request")
        return request.user if request is not None else None

    def _sees(self, obj: AmendmentTrack) -> bool:
        viewer = self._viewer()
        return viewer is not None and can_see_votes(viewer, obj)

    @extend_schema_field(PanelVoteSerializer(many=True, allow_null=True))
    def get_votes(self, obj: AmendmentTrack) -> list[dict[str, Any]] | None:
        """Who voted what on a panel track, by the panel's rules (a route's panel track's):
        members once they have voted (on a blind first round once the quorum has voted too),
        the chair and ops; null otherwise."""
        if not self._sees(obj):
            return None
        votes = obj.votes.select_related("member").order_by("cast_at", "id")
        return list(PanelVoteSerializer(votes, many=True).data)

    @extend_schema_field(TallySerializer(allow_null=True))
    def get_tally(self, obj: AmendmentTrack) -> dict[str, Any] | None:
        """The panel's rule applied to the votes (what is missing before the chair decides);
        shown with the votes."""
        current = tally_of(obj) if self._sees(obj) else None
        return dict(TallySerializer(current).data) if current is not None else None

    def get_votes_hidden_because(self, obj: AmendmentTrack) -> str:
        """Why the votes are not shown to you (empty when they are, or not a panel's track)."""
        viewer = self._viewer()
        return votes_hidden_because(viewer, obj) if viewer is not None else ""


class AmendmentSerializer(serializers.ModelSerializer):
    application = serializers.IntegerField(source="application_id", read_only=True)
    reference = serializers.CharField(source="application.reference", read_only=True)
    changes = serializers.JSONField(read_only=True)
    diff = DiffEntrySerializer(many=True, read_only=True)
    tracks = AmendmentTrackSerializer(many=True, read_only=True)
    requested_by: serializers.Field = serializers.StringRelatedField()
    actions = serializers.SerializerMethodField()
    letter = serializers.SerializerMethodField()

    class Meta:
        model = Amendment
        fields = [
            "id",
            "application",
            "reference",
            "number",
            "state",
            "changes",
            "reason",
            "base_version",
            "version",
            "diff",
            "tracks",
            "requested_by",
            "created_at",
            "submitted_at",
            "decided_at",
            "actions",
            "letter",
        ]
        read_only_fields = fields

    def get_letter(self, obj: Amendment) -> dict | None:
        """The decision letter once decided: it cites the amendment and each track."""
        letter = amendment_letter(obj)
        if letter is None:
            return None
        return {
            **letter,
            "decided_at": letter["decided_at"].isoformat() if letter["decided_at"] else None,
            "tracks": [
                {**t, "decided_at": t["decided_at"].isoformat() if t["decided_at"] else None}
                for t in letter["tracks"]
            ],
        }

    def get_actions(self, obj: Amendment) -> list[str]:
        """What you may do now: ``submit``, ``withdraw``, ``edit``, ``decide:<track id>``,
        ``sign``."""
        if "actions" in self.context:
            return list(self.context["actions"])
        request = self.context.get("request")
        return actions_for(request.user, obj) if request is not None else []


class RouteRuleSerializer(serializers.ModelSerializer):
    change_label = serializers.CharField(source="get_change_type_display", read_only=True)
    reviewer_label = serializers.CharField(source="get_reviewer_display", read_only=True)
    when_label = serializers.CharField(source="get_when_display", read_only=True)

    class Meta:
        model = RouteRule
        fields = [
            "id",
            "change_type",
            "change_label",
            "reviewer",
            "reviewer_label",
            "when",
            "when_label",
            "target_days",
            "active",
            "note",
        ]
        read_only_fields = fields
