"""Thin API views: parse input, load what the caller may see, call one service, answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.api.authentication import signed_in_user
from access.selectors import person_with_email
from core.api.errors import ErrorSerializer
from core.api.idempotency import PARAMETER as IDEMPOTENCY_KEY
from core.api.idempotency import answer, idempotent
from core.errors import InvalidTransition, ValidationFailed
from workflow.models import Application, FeedbackItem, State, TeamInvitation
from workflow.reviews import services as reviews_services
from workflow.reviews.letters import decision_letter
from workflow.reviews.preapproval import match_application
from workflow.route import serializers as s
from workflow.route import services as route_services
from workflow.route.content import diff
from workflow.route.policies import (
    available_steps,
    check_find_people,
    check_view_whole,
    visible_view,
)
from workflow.route.selectors import (
    application_list_rows,
    applications_visible_to,
    open_invitations,
    view_of,
    with_email_status,
)
from workflow.timeline import entries, timeline_for

# name → (input serializer, how to call the service with the validated input)
TRANSITIONS: dict[str, tuple[type[serializers.Serializer], Callable]] = {
    "submit": (
        s.EmptyInputSerializer,
        lambda app, by, d: route_services.application_submit(application=app, by=by),
    ),
    "request_changes": (
        s.RequestChangesInputSerializer,
        lambda app, by, d: route_services.application_request_changes(
            application=app, by=by, items=d["items"], summary=d["summary"]
        ),
    ),
    "resubmit": (
        s.EmptyInputSerializer,
        lambda app, by, d: route_services.application_resubmit(application=app, by=by),
    ),
    "complete_scoping": (
        s.EmptyInputSerializer,
        lambda app, by, d: route_services.application_complete_scoping(application=app, by=by),
    ),
    "refer_to_panels": (
        s.NoteInputSerializer,
        lambda app, by, d: route_services.application_refer_to_panels(
            application=app, by=by, note=d["reason"]
        ),
    ),
    "reject": (
        s.ReasonInputSerializer,
        lambda app, by, d: route_services.application_reject(
            application=app, by=by, reason=d["reason"]
        ),
    ),
    "withdraw": (
        s.NoteInputSerializer,
        lambda app, by, d: route_services.application_withdraw(
            application=app, by=by, reason=d["reason"]
        ),
    ),
    "grant_access": (
        s.EmptyInputSerializer,
        lambda app, by, d: route_services.application_grant_access(application=app, by=by),
    ),
    "suspend": (
        s.ReasonInputSerializer,
        lambda app, by, d: route_services.application_suspend(
            application=app, by=by, reason=d["reason"]
        ),
    ),
    "reinstate": (
        s.NoteInputSerializer,
        lambda app, by, d: route_services.application_reinstate(
            application=app, by=by, reason=d["reason"]
        ),
    ),
    "close": (
        s.NoteInputSerializer,
        lambda app, by, d: route_services.application_close(
            application=app, by=by, reason=d["reason"]
        ),
    ),
}


def _target(application: Application, name: str) -> str | None:
    """The state transition ``name`` leads to from here (None when it depends: resubmit)."""
    # django-fsm adds get_available_state_transitions to the model class at run time.
    for transition in application.get_available_state_transitions():  # type: ignore[attr-defined]
        if transition.name == name:
            return transition.target if isinstance(transition.target, str) else None
    return None


# An action that answers one whole list (an application's timeline, versions, feedback…): not
# paginated and not filtered, and the schema says so (it offered page and filter parameters the
# action ignored, and a paginated shape it never answered).
WHOLE_LIST: dict[str, Any] = {"pagination_class": None, "filter_backends": []}


def _transition_action(name: str):
    input_serializer, call = TRANSITIONS[name]

    def handler(self, request: Request, pk=None):
        application = self.get_object()
        serializer = input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._answer(
            request,
            lambda: call(application, signed_in_user(request), serializer.validated_data),
            application.pk,
        )

    handler.__name__ = name
    # extend_schema goes outside @action: @action replaces the function's ``kwargs``, where
    # extend_schema keeps the schema (the other way round the request body was lost).
    return extend_schema(
        operation_id=f"applications_{name}",
        parameters=[IDEMPOTENCY_KEY],
        request=input_serializer,
        responses={200: s.ApplicationSerializer},
        summary=name.replace("_", " ").capitalize(),
    )(action(detail=True, methods=["post"], url_path=name.replace("_", "-"))(handler))


class ApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Access applications. Everyone sees only what their part in the route allows."""

    queryset = Application.objects.none()  # the real one comes from the selectors
    filterset_fields = ["state", "route", "purpose"]
    search_fields = ["reference", "title"]
    ordering_fields = ["created_at", "updated_at", "submitted_at", "reference"]

    def get_queryset(self):
        # The list is filtered and counted as applications, and read as rows
        # (``page_rows``); the detail reads its parts as rows too
        # (``ApplicationSerializer.to_representation``). A transition only needs to know the
        # caller may see the application (404 if not): the service locks and reads it again.
        return applications_visible_to(self.request.user)

    def page_rows(self, queryset):
        """How the pagination reads a page of the list (``core.api.pagination``); other pages
        (the timeline) are read as they are."""
        return application_list_rows(queryset) if self.action == "list" else queryset

    def filter_queryset(self, queryset):
        # Filters, search and ordering are the list's: one application is found by its id.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def get_serializer_class(self):
        if self.action == "list":
            return s.ApplicationListSerializer
        return s.ApplicationSerializer

    def get_serializer_context(self):
        context = dict(super().get_serializer_context())
        if "application" in self.__dict__:
            context["view"] = view_of(self.request.user, self.application)
        return context

    def get_object(self) -> Application:
        obj = super().get_object()
        self.application = obj
        return obj

    def _answer(
        self,
        request: Request,
        call: Callable[[], object],
        pk: int | None = None,
        status_code: int = 200,
    ) -> Response:
        """Call one service and answer with the application it changed, serialized inside the
        service's transaction (``core.api.idempotency``): nothing is read after the commit,
        and an ``Idempotency-Key`` makes a retry replay this answer."""

        def make() -> tuple[object, int]:
            result = call()
            application = (
                result if isinstance(result, Application) else Application.objects.get(pk=pk)
            )
            context = {"request": request, "view": view_of(request.user, application)}
            return s.ApplicationSerializer(application, context=context).data, status_code

        return answer(request, make)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        # get_object() already loaded the application: serialize that one rather than loading
        # it a second time (docs/benchmarks.md, detail).
        application = self.get_object()
        return Response(
            s.ApplicationSerializer(application, context=self.get_serializer_context()).data
        )

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY],
        request=s.ApplicationInputSerializer,
        responses={201: s.ApplicationSerializer},
    )
    def create(self, request: Request) -> Response:
        serializer = s.ApplicationInputSerializer(
            data=request.data, context={"by": signed_in_user(request)}
        )
        serializer.is_valid(raise_exception=True)
        return self._answer(
            request,
            lambda: route_services.application_create(
                by=signed_in_user(request), data=serializer.validated_data
            ),
            status_code=status.HTTP_201_CREATED,
        )

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY],
        request=s.ApplicationInputSerializer,
        responses={200: s.ApplicationSerializer},
    )
    def partial_update(self, request: Request, pk=None) -> Response:
        application = self.get_object()
        serializer = s.ApplicationInputSerializer(
            data=request.data,
            partial=True,
            context={"by": signed_in_user(request), "application": application},
        )
        serializer.is_valid(raise_exception=True)
        return self._answer(
            request,
            lambda: route_services.application_update(
                application=application, by=signed_in_user(request), data=serializer.validated_data
            ),
        )

    submit = _transition_action("submit")
    request_changes = _transition_action("request_changes")
    resubmit = _transition_action("resubmit")
    complete_scoping = _transition_action("complete_scoping")
    refer_to_panels = _transition_action("refer_to_panels")
    reject = _transition_action("reject")
    withdraw = _transition_action("withdraw")
    grant_access = _transition_action("grant_access")
    suspend = _transition_action("suspend")
    reinstate = _transition_action("reinstate")
    close = _transition_action("close")

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY],
        request=s.AssignAnalystInputSerializer,
        responses={200: s.ApplicationSerializer},
    )
    @action(detail=True, methods=["post"], url_path="assign-analyst")
    def assign_analyst(self, request: Request, pk=None) -> Response:
        application = self.get_object()
        serializer = s.AssignAnalystInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._answer(
            request,
            lambda: route_services.application_assign_analyst(
                application=application,
                by=signed_in_user(request),
                analyst=serializer.validated_data["analyst"],
            ),
        )

    @extend_schema(
        operation_id="applications_invitations", responses=s.InvitationSerializer(many=True)
    )
    @action(detail=True, methods=["get"], **WHOLE_LIST)
    def invitations(self, request: Request, pk=None) -> Response:
        """The people invited onto the team by email who have not accepted yet."""
        application = self.get_object()
        self._require_full_view(application)
        rows = open_invitations(application)
        return Response(s.InvitationSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="applications_invite",
        request=s.InviteInputSerializer,
        responses={201: s.InviteResultSerializer},
    )
    @invitations.mapping.post
    @idempotent
    def invite(self, request: Request, pk=None) -> Response:
        """Add someone to the team by email: a person with an account is added now; an address
        with none gets an invitation (a signed link, expiring) and shows here until accepted."""
        application = self.get_object()
        serializer = s.InviteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = route_services.team_member_invite(
            application=application, by=signed_in_user(request), **serializer.validated_data
        )
        data = {
            "added": invitation is None,
            "invitation": (
                s.InvitationSerializer(
                    with_email_status(TeamInvitation.objects.filter(pk=invitation.pk)).get()
                ).data
                if invitation
                else None
            ),
        }
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="applications_invitation_withdraw",
        request=None,
        responses={
            200: s.InvitationSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"invitations/(?P<invitation_id>[0-9]+)/withdraw",
    )
    @idempotent
    def withdraw_invitation(self, request: Request, pk=None, invitation_id=None) -> Response:
        """Take back an invitation that has not been accepted: its link stops working and the
        application's history records it. 409 when it was already accepted; withdrawing a
        withdrawn invitation again answers as the first time."""
        application = self.get_object()
        invitation = get_object_or_404(application.invitations.all(), pk=invitation_id)
        invitation = route_services.invitation_withdraw(
            invitation=invitation, by=signed_in_user(request)
        )
        return Response(
            s.InvitationSerializer(
                with_email_status(TeamInvitation.objects.filter(pk=invitation.pk)).get()
            ).data
        )

    @extend_schema(responses=s.AvailableTransitionSerializer(many=True))
    @action(detail=True, methods=["get"], **WHOLE_LIST)
    def transitions(self, request: Request, pk=None) -> Response:
        """What the caller may do now: allowed by the state and by their part in the route."""
        application = self.get_object()
        available = [
            {
                "name": name,
                "label": name.replace("_", " ").capitalize(),
                "target": _target(application, name),
                "url": request.build_absolute_uri(
                    f"/api/v1/applications/{application.pk}/{name.replace('_', '-')}/"
                ),
            }
            for name in available_steps(request.user, application)
            if name in TRANSITIONS
        ]
        return Response(s.AvailableTransitionSerializer(available, many=True).data)

    def _require_full_view(self, application: Application) -> None:
        check_view_whole(self.request.user, application)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "email",
                str,
                required=True,
                description="The whole email address of the person (no partial matches)",
            )
        ],
        responses={
            200: s.PersonSerializer(many=True),
            409: OpenApiResponse(
                ErrorSerializer, description="The team can change only while it may edit"
            ),
        },
    )
    @action(detail=True, methods=["get"], **WHOLE_LIST)
    def people(self, request: Request, pk=None) -> Response:
        """Find the person with this exact email address, to add them to the team: an empty
        list when nobody active has it. Only for the team, while it may edit the application;
        add the person by ``email`` (an id is taken only for someone already on the team)."""
        application = self.get_object()
        check_find_people(request.user, application)
        query = s.PeopleQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        person = person_with_email(query.validated_data["email"])
        found = [person] if person is not None else []
        return Response(s.PersonSerializer(found, many=True).data)

    @extend_schema(responses=s.VersionSummarySerializer(many=True))
    @action(detail=True, methods=["get"], **WHOLE_LIST)
    def versions(self, request: Request, pk=None) -> Response:
        application = self.get_object()
        self._require_full_view(application)
        versions = application.versions.select_related("created_by")
        return Response(s.VersionSummarySerializer(versions, many=True).data)

    @extend_schema(responses=s.VersionSerializer)
    @action(detail=True, methods=["get"], url_path=r"versions/(?P<number>\d+)")
    def version(self, request: Request, pk=None, number=None) -> Response:
        application = self.get_object()
        self._require_full_view(application)
        version = get_object_or_404(application.versions, number=int(number))
        return Response(s.VersionSerializer(version).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("from", int, required=True, description="Earlier version number"),
            OpenApiParameter("to", int, required=True, description="Later version number"),
        ],
        responses=s.DiffSerializer,
    )
    @action(detail=True, methods=["get"])
    def diff(self, request: Request, pk=None) -> Response:
        """What changed between two versions, field by field."""
        application = self.get_object()
        self._require_full_view(application)
        errors = {}
        numbers = {}
        for key in ("from", "to"):
            raw = request.query_params.get(key, "")
            if not raw.isdigit():
                errors[key] = ["Give a version number."]
            else:
                numbers[key] = int(raw)
        if errors:
            raise ValidationFailed("Choose two versions to compare.", fields=errors)
        versions = {v.number: v for v in application.versions.filter(number__in=numbers.values())}
        for key, number in numbers.items():
            if number not in versions:
                errors[key] = [f"There is no version {number}."]
        if errors:
            raise ValidationFailed("Choose two versions to compare.", fields=errors)
        changes = diff(versions[numbers["from"]].content, versions[numbers["to"]].content)
        return Response(
            {"from_version": numbers["from"], "to_version": numbers["to"], "changes": changes}
        )

    @extend_schema(responses=s.DatasetMatchSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="pre-approval", **WHOLE_LIST)
    def pre_approval(self, request: Request, pk=None) -> Response:
        """Per requested dataset: which pre-approved category matches and why, or exactly why
        none does. Frozen when the tracks open; this shows the match as it stands today."""
        application = self.get_object()
        matches = visible_view(request.user, application).matches(match_application(application))
        return Response(s.DatasetMatchSerializer(matches, many=True).data)

    @extend_schema(
        responses={
            200: s.DecisionLetterSerializer,
            409: OpenApiResponse(ErrorSerializer, description="No decision yet (the state)"),
        }
    )
    @action(detail=True, methods=["get"], url_path="decision-letter")
    def decision_letter(self, request: Request, pk=None) -> Response:
        """One letter with every track's outcome, rationale and conditions."""
        application = self.get_object()
        self._require_full_view(application)
        letter = decision_letter(application)
        if letter is None:
            raise InvalidTransition(
                "There is no decision on this application yet.", current_state=application.state
            )
        return Response(s.DecisionLetterSerializer(letter).data)

    @extend_schema(responses=s.EventSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def timeline(self, request: Request, pk=None) -> Response:
        """The application's events and its amendments' (asked for, submitted, each track
        decided, approved, rejected, withdrawn), oldest first, a page at a time (a long-lived
        project's trail has no bound)."""
        application = self.get_object()
        page = self.paginate_queryset(timeline_for(request.user, application))
        return self.get_paginated_response(s.EventSerializer(entries(page), many=True).data)

    @extend_schema(responses=s.FeedbackRequestSerializer(many=True))
    @action(detail=True, methods=["get"], **WHOLE_LIST)
    def feedback(self, request: Request, pk=None) -> Response:
        application = self.get_object()
        self._require_full_view(application)
        requests = application.feedback_requests.select_related("requested_by").prefetch_related(
            "items__responded_by"
        )
        return Response(s.FeedbackRequestSerializer(requests, many=True).data)

    @extend_schema(
        operation_id="applications_feedback_respond",
        request=s.FeedbackResponseInputSerializer,
        responses=s.FeedbackItemSerializer,
    )
    @action(detail=True, methods=["post"], url_path=r"feedback/(?P<item_id>\d+)/respond")
    @idempotent
    def respond(self, request: Request, pk=None, item_id=None) -> Response:
        application = self.get_object()
        item = get_object_or_404(
            FeedbackItem.objects.select_related("request"),
            pk=int(item_id),
            request__application=application,
        )
        serializer = s.FeedbackResponseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = reviews_services.feedback_item_respond(
            item=item, by=signed_in_user(request), response=serializer.validated_data["response"]
        )
        return Response(s.FeedbackItemSerializer(item).data)

    @extend_schema(methods=["GET"], responses=s.ScopingSerializer)
    @extend_schema(
        methods=["PATCH"], request=s.ScopingInputSerializer, responses=s.ScopingSerializer
    )
    @action(detail=True, methods=["get", "patch"])
    def scoping(self, request: Request, pk=None) -> Response:
        application = self.get_object()
        if request.method == "GET":
            if application.state == State.DRAFT or not hasattr(application, "scoping"):
                return Response(
                    {
                        "code": "not_found",
                        "detail": "Scoping starts when the application is submitted.",
                        "fields": {},
                    },
                    status=status.HTTP_404_NOT_FOUND,
                )
            self._require_full_view(application)
            return Response(s.ScopingSerializer(application.scoping).data)
        serializer = s.ScopingInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        scoping = route_services.scoping_update(
            application=application, by=signed_in_user(request), data=serializer.validated_data
        )
        return Response(s.ScopingSerializer(scoping).data)


class InvitationAcceptView(APIView):
    """``POST``: accept an invitation onto a team, as the person it was sent to (signed in
    with that email address). A link used, expired or for another address changes nothing."""

    @extend_schema(
        operation_id="invitations_accept",
        request=s.InvitationAcceptInputSerializer,
        responses={200: s.ApplicationSerializer},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        from access.identity.tokens import LinkProblem
        from access.identity.views import LINK_PROBLEMS

        serializer = s.InvitationAcceptInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = signed_in_user(request)
        try:
            application = route_services.invitation_accept(
                token=serializer.validated_data["token"], by=user
            )
        except LinkProblem as exc:
            if exc.reason == "other_email":
                raise PermissionDenied(LINK_PROBLEMS[exc.reason]) from exc
            raise ValidationFailed(
                LINK_PROBLEMS[exc.reason], fields={"token": [LINK_PROBLEMS[exc.reason]]}
            ) from exc
        context = {"request": request, "view": view_of(user, application)}
        return Response(s.ApplicationSerializer(application, context=context).data)
