from __future__ import annotations

from typing import Any

from django.utils.functional import cached_property
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from access.api.serializers import OrganisationSerializer, UserSummarySerializer
from access.models import Organisation, User
from catalogue.models import Dataset, Purpose, Variable
from core.api import representation as represent
from core.api.serializers import (
    SLUG_MISSING,
    StrictInputMixin,
    many,
    pk_field,
    resolve_each,
    resolve_keys,
)
from core.text import single_line
from notifications.models import EmailStatus
from workflow.models import (
    FEEDBACK_STAGE_CHOICES,
    MAX_CONDITIONS,
    MAX_FEEDBACK_ITEMS,
    MAX_REQUESTED_DATASETS,
    MAX_SCOPED_VARIABLES,
    MAX_TEAM_MEMBERS,
    MAX_VARIABLES_PER_DATASET,
    Application,
    ApplicationMember,
    ApplicationVersion,
    FeedbackItem,
    FeedbackRequest,
    LegalGateway,
    MeetingMedium,
    Outcome,
    Panel,
    ProjectRole,
    RequestedDataset,
    RequestedVariable,
    ReviewTrack,
    Scoping,
    Section,
    State,
    TeamInvitation,
)
from workflow.route.content import QUESTIONS, Question
from workflow.route.selectors import WHOLE, ApplicationView, application_detail_parts


# --- output ---------------------------------------------------------------------------------
class MemberSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(read_only=True)

    class Meta:
        model = ApplicationMember
        fields = ["user", "project_role"]


class RequestedVariableSerializer(serializers.ModelSerializer):
    variable = serializers.CharField(source="variable.name")
    identifying = serializers.BooleanField(source="variable.is_identifying")

    class Meta:
        model = RequestedVariable
        fields = ["variable", "identifying", "justification"]


class RequestedDatasetSerializer(serializers.ModelSerializer):
    dataset: serializers.SlugRelatedField[Dataset] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    title = serializers.CharField(source="dataset.title")
    provider = serializers.CharField(source="dataset.provider.name")
    variables = RequestedVariableSerializer(many=True, read_only=True)

    class Meta:
        model = RequestedDataset
        fields = ["dataset", "title", "provider", "legal_gateway", "justification", "variables"]


class ScopingSerializer(serializers.ModelSerializer):
    # many=True: DRF builds a ManyRelatedField of these (the stubs do not model it).
    scoped_variables: serializers.PrimaryKeyRelatedField[Variable] = (
        serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    )

    class Meta:
        model = Scoping
        fields = [
            "scoped_variables",
            "refined_research_question",
            "linkage_needs",
            "feasibility_notes",
            "feasible",
            "support_needed",
            "meeting_offered_at",
            "meeting_medium",
            "updated_at",
        ]


class ReviewTrackSerializer(serializers.ModelSerializer):
    application: serializers.SlugRelatedField[Application] = serializers.SlugRelatedField(
        slug_field="reference", read_only=True
    )
    # Null where the track has none (a panel track has no organisation, an owner track no
    # panel, an open track no decider): found by schemathesis.
    organisation = OrganisationSerializer(read_only=True, allow_null=True)
    panel: serializers.SlugRelatedField[Panel] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    decided_by = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = ReviewTrack
        fields = [
            "id",
            "application",
            "kind",
            "organisation",
            "panel",
            "state",
            "automatic",
            "round",
            "superseded",
            "version",
            "opened_at",
            "due_date",
            "outcome",
            "rationale",
            "conditions",
            "decided_at",
            "decided_by",
        ]


def _written(question: Question, application: Application, head: dict) -> Any:
    """One of the team's fields as the detail shows it."""
    if question.kind == "organisation":
        if not getattr(application, f"{question.name}_id"):
            return None
        return represent.organisation_row(head, f"{question.name}__")
    value = getattr(application, question.name)
    return represent.date(value) if question.kind == "date" else value


class ApplicationSerializer(serializers.ModelSerializer):
    lead_organisation = OrganisationSerializer(read_only=True, allow_null=True)
    analyst = UserSummarySerializer(read_only=True, allow_null=True)
    # Blank until the team says (schemathesis: "" was not in the documented enum).
    purpose = serializers.ChoiceField(choices=Purpose.choices, allow_blank=True, read_only=True)
    changes_requested_from = serializers.ChoiceField(
        choices=FEEDBACK_STAGE_CHOICES, allow_blank=True, read_only=True
    )
    members = MemberSerializer(many=True, read_only=True)
    datasets = serializers.SerializerMethodField()
    tracks = serializers.SerializerMethodField()
    state_label = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "reference",
            # What the team writes, in the order the form asks it (workflow/route/content.py).
            *QUESTIONS,
            "state",
            "state_label",
            "changes_requested_from",
            "analyst",
            "current_version",
            "members",
            "datasets",
            "tracks",
            "created_at",
            "updated_at",
            "submitted_at",
            "decided_at",
        ]
        read_only_fields = fields

    def _view(self) -> ApplicationView:
        """What the caller sees of the application (the whole, or a data owner's part)."""
        return self.context.get("view") or WHOLE

    def _datasets(self, application: Application) -> list:
        return self._view().datasets(application.requested_datasets.all())

    def _tracks(self, application: Application) -> list:
        return self._view().tracks(t for t in application.tracks.all() if not t.superseded)

    @extend_schema_field(RequestedDatasetSerializer(many=True))
    def get_datasets(self, application: Application):
        return RequestedDatasetSerializer(self._datasets(application), many=True).data

    @extend_schema_field(ReviewTrackSerializer(many=True))
    def get_tracks(self, application: Application):
        return ReviewTrackSerializer(self._tracks(application), many=True).data

    def to_representation(self, application: Application) -> dict:
        """The fields above, written directly (``access.api.representation``) from the
        application's own columns and its parts read as rows
        (``selectors.application_detail_parts``): what DRF's field-by-field representation
        gives (``fields_representation``; a test compares the two), in a fraction of the time
        (docs/benchmarks.md, section 1)."""
        when = represent.datetime_writer()
        parts = application_detail_parts(application.pk)
        head = parts["head"]
        view = self._view()
        datasets = [
            d
            for d in parts["datasets"]
            if view.organisations is None or d["dataset__provider_id"] in view.organisations
        ]
        tracks = view.tracks(parts["tracks"])
        return {
            "id": application.pk,
            "reference": application.reference,
            **{name: _written(question, application, head) for name, question in QUESTIONS.items()},
            "state": application.state,
            "state_label": STATE_LABELS.get(application.state, application.state),
            "changes_requested_from": application.changes_requested_from,
            "analyst": represent.person(application.analyst_id, head.get("analyst__full_name")),
            "current_version": application.current_version,
            "members": [
                {
                    "user": represent.person(m["user_id"], m["user__full_name"]),
                    "project_role": m["project_role"],
                }
                for m in parts["members"]
            ],
            "datasets": [
                {
                    "dataset": d["dataset__slug"],
                    "title": d["dataset__title"],
                    "provider": d["dataset__provider__name"],
                    "legal_gateway": d["legal_gateway"],
                    "justification": d["justification"],
                    "variables": [
                        {
                            "variable": v["variable__name"],
                            "identifying": v["variable__is_identifying"],
                            "justification": v["justification"],
                        }
                        for v in d["variables"]
                    ],
                }
                for d in datasets
            ],
            "tracks": [
                {
                    "id": t["id"],
                    "application": application.reference,
                    "kind": t["kind"],
                    "organisation": represent.organisation_row(t, "organisation__")
                    if t["organisation_id"]
                    else None,
                    "panel": t["panel__slug"],
                    "state": t["state"],
                    "automatic": t["automatic"],
                    "round": t["round"],
                    "superseded": t["superseded"],
                    "version": t["version"],
                    "opened_at": when(t["opened_at"]),
                    "due_date": represent.date(t["due_date"]),
                    "outcome": t["outcome"],
                    "rationale": t["rationale"],
                    "conditions": t["conditions"],
                    "decided_at": when(t["decided_at"]),
                    "decided_by": represent.person(t["decided_by_id"], t["decided_by__full_name"]),
                }
                for t in tracks
            ],
            "created_at": when(application.created_at),
            "updated_at": when(application.updated_at),
            "submitted_at": when(application.submitted_at),
            "decided_at": when(application.decided_at),
        }

    def fields_representation(self, application: Application) -> dict:
        """DRF's own field-by-field representation of the same fields (the tests' reference)."""
        return super().to_representation(application)


class ApplicationListSerializer(serializers.ModelSerializer):
    """One row of the application list: a row of ``selectors.application_list_rows`` (a dict
    with the listed columns, ``analyst_name``, ``pi_id`` and ``pi_name``)."""

    analyst = UserSummarySerializer(read_only=True, allow_null=True)
    purpose = serializers.ChoiceField(choices=Purpose.choices, allow_blank=True, read_only=True)
    state_label = serializers.CharField(read_only=True)
    principal_investigator = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "reference",
            "title",
            "state",
            "state_label",
            "route",
            "purpose",
            "analyst",
            "principal_investigator",
            "current_version",
            "submitted_at",
            "updated_at",
        ]
        read_only_fields = fields

    @cached_property
    def _when(self):
        return represent.datetime_writer()  # once per page: the serializer is the page's child

    def to_representation(self, row: dict) -> dict:
        # A page of 50 rows is the API's busiest answer: the row's columns are copied as they
        # are rather than looked up field by field (docs/benchmarks.md, list), timestamps as
        # DRF writes them (access.api.representation).
        when = self._when
        return {
            "id": row["id"],
            "reference": row["reference"],
            "title": row["title"],
            "state": row["state"],
            "state_label": STATE_LABELS.get(row["state"], row["state"]),
            "route": row["route"],
            "purpose": row["purpose"],
            "analyst": represent.person(row["analyst_id"], row["analyst_name"]),
            "principal_investigator": represent.person(row["pi_id"], row["pi_name"]),
            "current_version": row["current_version"],
            "submitted_at": when(row["submitted_at"]),
            "updated_at": when(row["updated_at"]),
        }


STATE_LABELS = {value: str(label) for value, label in State.choices}


class VersionSummarySerializer(serializers.ModelSerializer):
    created_by = UserSummarySerializer(read_only=True)

    class Meta:
        model = ApplicationVersion
        fields = ["number", "created_at", "created_by"]


class VersionSerializer(VersionSummarySerializer):
    class Meta(VersionSummarySerializer.Meta):
        fields = [*VersionSummarySerializer.Meta.fields, "content"]


class DiffEntrySerializer(serializers.Serializer):
    path = serializers.CharField()
    # DRF's metaclass takes declared fields out of the class, so this does not replace
    # Field.label at run time; the types cannot know that.
    label = serializers.CharField(help_text="The path in words, as the pages show it")  # type: ignore[assignment]
    change = serializers.ChoiceField(choices=["added", "removed", "changed"])
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class DiffSerializer(serializers.Serializer):
    from_version = serializers.IntegerField()
    to_version = serializers.IntegerField()
    changes = DiffEntrySerializer(many=True)


class EventSerializer(serializers.Serializer):
    """One line of the timeline (``workflow.timeline``): an event of the application's own
    chain, or of one of its amendments' (``chain``: ``application`` or ``amendment``)."""

    id = serializers.IntegerField(help_text="The event's id in its own chain (see chain)")
    chain = serializers.ChoiceField(
        choices=["application", "amendment"], source="source", help_text="Whose chain it is in"
    )
    kind = serializers.CharField(help_text="An EventKind; amendment.<transition> for amendments")
    kind_label = serializers.CharField(source="get_kind_display")
    actor_name = serializers.CharField()
    actor_role = serializers.CharField()
    transition = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    reason = serializers.CharField()
    payload = serializers.JSONField()
    version = serializers.IntegerField(allow_null=True)
    track = serializers.IntegerField(allow_null=True)
    amendment = serializers.IntegerField(allow_null=True, help_text="The amendment's id")
    amendment_number = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()


class FeedbackItemSerializer(serializers.ModelSerializer):
    responded_by = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = FeedbackItem
        fields = ["id", "section", "text", "response", "responded_at", "responded_by"]


class FeedbackRequestSerializer(serializers.ModelSerializer):
    items = FeedbackItemSerializer(many=True, read_only=True)
    requested_by = UserSummarySerializer(read_only=True)

    class Meta:
        model = FeedbackRequest
        fields = [
            "id",
            "round",
            "stage",
            "version",
            "summary",
            "requested_by",
            "requested_at",
            "resolved_at",
            "items",
        ]


class AvailableTransitionSerializer(serializers.Serializer):
    name = serializers.CharField()
    # DRF's metaclass takes declared fields out of the class, so this does not replace
    # Field.label at run time; the types cannot know that.
    label = serializers.CharField()  # type: ignore[assignment]
    target = serializers.CharField(allow_null=True)
    url = serializers.CharField()


class CategoryVerdictSerializer(serializers.Serializer):
    category_id = serializers.IntegerField()
    version = serializers.IntegerField()
    citation = serializers.CharField(help_text="category-id@version, as decisions cite it")
    title = serializers.CharField()
    conditions = serializers.CharField()
    matches = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())


class DatasetMatchSerializer(serializers.Serializer):
    dataset = serializers.CharField()
    dataset_title = serializers.CharField()
    provider = serializers.CharField()
    matched = CategoryVerdictSerializer(allow_null=True)
    verdicts = CategoryVerdictSerializer(many=True)


class LetterCitationSerializer(serializers.Serializer):
    dataset = serializers.CharField()
    category = serializers.CharField()
    title = serializers.CharField()


class LetterTrackSerializer(serializers.Serializer):
    track_id = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField()
    outcome = serializers.CharField()
    rationale = serializers.CharField()
    conditions = serializers.ListField(child=serializers.CharField())
    decided_at = serializers.DateTimeField()
    automatic = serializers.BooleanField()
    pre_approved = LetterCitationSerializer(many=True)


LETTER_OUTCOMES = [
    ("approved", "Approved"),
    ("rejected", "Rejected"),
    ("revise_and_resubmit", "Revise and resubmit"),
]


class DecisionLetterSerializer(serializers.Serializer):
    reference = serializers.CharField()
    title = serializers.CharField()
    outcome = serializers.ChoiceField(choices=LETTER_OUTCOMES)
    decided_at = serializers.DateTimeField()
    version = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()
    tracks = LetterTrackSerializer(many=True)
    conditions = serializers.ListField(child=serializers.CharField())


# --- input ----------------------------------------------------------------------------------
# Lists are capped as the services cap them (the schema says so: maxItems), and the people and
# datasets they name are looked up in one query each (core.api.serializers.resolve_each).
class MemberInputSerializer(serializers.Serializer):
    """A team member: someone already on the team (or yourself) by ``user`` id, anyone else by
    ``email``. An id is never looked up beyond those people, so the answer can never tell the
    name behind an id the caller could not otherwise know (``ApplicationInputSerializer``)."""

    user = pk_field(required=False, help_text="The id of someone already on the team, or your own")
    email = serializers.EmailField(
        required=False, help_text="The email address of someone to add to the team"
    )
    project_role = serializers.ChoiceField(choices=ProjectRole.choices)

    def validate(self, attrs: dict) -> dict:
        if ("user" in attrs) == ("email" in attrs):
            raise serializers.ValidationError(
                {"user": ["Give either the user id of a team member or an email address."]}
            )
        return attrs


class PersonSerializer(serializers.Serializer):
    """Someone found by their exact email address, to add to a team (``applications_people``):
    enough to be sure it is the right person. Add them by ``email``."""

    id = serializers.IntegerField()
    full_name = serializers.CharField()
    affiliation = serializers.CharField(
        source="affiliation.name", allow_null=True, default=None, help_text="Their organisation"
    )


class PeopleQuerySerializer(serializers.Serializer):
    email = serializers.EmailField(help_text="The whole email address: nothing less matches")


NOT_NAMEABLE = (
    "Not someone on this team: add people who are not on the team yet by their email address."
)


class RequestedVariableInputSerializer(serializers.Serializer):
    variable = serializers.CharField(
        max_length=100, validators=[single_line], help_text="Variable name in the dataset"
    )
    justification = serializers.CharField(allow_blank=True, required=False, default="")


class RequestedDatasetInputSerializer(serializers.Serializer):
    dataset = serializers.CharField(max_length=100, help_text="Dataset slug")
    legal_gateway = serializers.ChoiceField(choices=LegalGateway.choices)
    justification = serializers.CharField(allow_blank=True, required=False, default="")
    variables = many(
        RequestedVariableInputSerializer,
        required=False,
        default=list,
        max_length=MAX_VARIABLES_PER_DATASET,
    )


def _input_field(question: Question) -> serializers.Field:
    """How the API takes one of the team's fields (from the content spec)."""
    help_text = question.hint or question.label
    if question.kind in ("line", "text"):
        return serializers.CharField(
            max_length=question.max_length,
            allow_blank=not question.always,
            required=question.always,
            validators=[single_line] if question.kind == "line" else [],
            help_text=help_text,
        )
    if question.kind == "choice":
        assert question.choices is not None  # noqa: S101 - the spec names them
        return serializers.ChoiceField(
            choices=question.choices.choices,
            allow_blank=not question.always,
            required=False,
            help_text=help_text,
        )
    if question.kind == "date":
        return serializers.DateField(allow_null=True, required=False, help_text=help_text)
    return serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Organisation.objects.all(),
        allow_null=True,
        required=False,
        help_text=help_text,
    )


class _ApplicationInput(StrictInputMixin, serializers.Serializer):
    """What the generated ``ApplicationInputSerializer`` adds to its fields: the team's
    people resolved."""

    def validate_members(self, members: list[dict]) -> list[dict]:
        """Resolve each member to an account, in one query for ids and one for emails.

        Ids: only the caller and the application's current team (``context``: ``by``, and
        ``application`` when editing); any other id, existing or not, gets the same message,
        which names nobody. Emails: an active account with that address."""
        by = self.context["by"]
        application = self.context.get("application")
        nameable = {by.pk}
        if application is not None:
            nameable |= set(application.members.values_list("user_id", flat=True))
        ids = {m["user"] for m in members if "user" in m and m["user"] in nameable}
        emails = {m["email"].strip().lower() for m in members if "email" in m}
        by_id = {u.pk: u for u in User.objects.filter(pk__in=ids, is_active=True)}
        by_email = {
            u.email.lower(): u for u in User.objects.filter(email__in=emails, is_active=True)
        }
        resolved, errors, failed = [], [], False
        for m in members:
            if "user" in m:
                user = by_id.get(m["user"])
                problem = {"user": [NOT_NAMEABLE]} if user is None else {}
            else:
                user = by_email.get(m["email"].strip().lower())
                problem = (
                    {"email": ["There is no active account with that email address."]}
                    if user is None
                    else {}
                )
            failed = failed or bool(problem)
            errors.append(problem)
            resolved.append({"user": user, "project_role": m["project_role"]})
        if failed:
            raise serializers.ValidationError(errors)
        return resolved

    def validate_datasets(self, datasets: list[dict]) -> list[dict]:
        return resolve_each(
            datasets, "dataset", Dataset.objects.all(), to_field="slug", missing=SLUG_MISSING
        )


# The team's fields come from the content spec (workflow/route/content.py), with the team and
# the datasets; PATCH takes any of them (partial), POST needs what is always required.
ApplicationInputSerializer = type(
    "ApplicationInputSerializer",
    (_ApplicationInput,),
    {
        "__module__": __name__,
        "__doc__": "An application's content, as the team writes it.",
        **{name: _input_field(question) for name, question in QUESTIONS.items()},
        "members": many(MemberInputSerializer, required=False, max_length=MAX_TEAM_MEMBERS),
        "datasets": many(
            RequestedDatasetInputSerializer, required=False, max_length=MAX_REQUESTED_DATASETS
        ),
    },
)


class ScopingInputSerializer(StrictInputMixin, serializers.Serializer):
    scoped_variables = serializers.ListField(
        child=pk_field(),
        required=False,
        max_length=MAX_SCOPED_VARIABLES,
        help_text="Ids of variables of the requested datasets",
    )
    refined_research_question = serializers.CharField(allow_blank=True, required=False)
    linkage_needs = serializers.CharField(allow_blank=True, required=False)
    feasibility_notes = serializers.CharField(allow_blank=True, required=False)
    feasible = serializers.BooleanField(allow_null=True, required=False)
    support_needed = serializers.CharField(allow_blank=True, required=False)
    meeting_offered_at = serializers.DateTimeField(allow_null=True, required=False)
    meeting_medium = serializers.ChoiceField(
        choices=MeetingMedium.choices, allow_blank=True, required=False
    )

    def validate_scoped_variables(self, ids: list[int]) -> list[Variable]:
        return resolve_keys(ids, Variable.objects.all())


class EmptyInputSerializer(serializers.Serializer):
    pass


class NoteInputSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, required=False, default="")


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Shown to the applicant and kept in the audit trail")


class FeedbackItemInputSerializer(serializers.Serializer):
    section = serializers.ChoiceField(choices=Section.choices)
    text = serializers.CharField()


class RequestChangesInputSerializer(serializers.Serializer):
    summary = serializers.CharField(allow_blank=True, required=False, default="")
    items = many(FeedbackItemInputSerializer, allow_empty=False, max_length=MAX_FEEDBACK_ITEMS)


class FeedbackResponseInputSerializer(serializers.Serializer):
    response = serializers.CharField()


class AssignAnalystInputSerializer(serializers.Serializer):
    analyst = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))


class TrackDecisionInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    rationale = serializers.CharField(allow_blank=True, required=False, default="")
    conditions = serializers.ListField(
        child=serializers.CharField(), required=False, default=list, max_length=MAX_CONDITIONS
    )


class InvitationSerializer(serializers.ModelSerializer):
    """Someone invited onto the team by email, shown as invited until they accept."""

    invited_by = serializers.CharField(source="invited_by.full_name")
    email_status = serializers.ChoiceField(
        choices=EmailStatus.choices,
        allow_null=True,
        read_only=True,
        help_text=(
            "What became of the invitation's email: `failed` when the mail server refused "
            "every attempt (the inviter is told; withdraw and invite the right address, or ask "
            "the service team to send it again)."
        ),
    )

    class Meta:
        model = TeamInvitation
        fields = [
            "id",
            "email",
            "project_role",
            "status",
            "invited_at",
            "invited_by",
            "email_status",
        ]
        read_only_fields = fields


INVITE_ROLES = [c for c in ProjectRole.choices if c[0] != ProjectRole.PRINCIPAL_INVESTIGATOR]


class InviteInputSerializer(serializers.Serializer):
    email = serializers.EmailField(help_text="Their email address")
    project_role = serializers.ChoiceField(choices=INVITE_ROLES)


class InviteResultSerializer(serializers.Serializer):
    added = serializers.BooleanField(
        help_text="True: they had an account and are on the team now; false: invited"
    )
    invitation = InvitationSerializer(allow_null=True)


class InvitationAcceptInputSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=500, help_text="The token from the invitation link")
