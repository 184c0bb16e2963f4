"""Thin API views for panel sittings: each loads the sitting the caller may see (404
otherwise), calls one service, and answers with the sitting. The public minutes need no login."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.api.authentication import signed_in_user
from core.api.idempotency import idempotent
from core.api.throttling import AnonymousRateThrottle
from workflow.models import AgendaItem, Panel, Sitting
from workflow.reviews.policies import can_see_panels
from workflow.sittings import serializers as s
from workflow.sittings import services
from workflow.sittings.policies import may_read_item_papers
from workflow.sittings.selectors import published_minutes, sittings_visible_to


def _visible(request: Request, pk: int) -> Sitting:
    found: Sitting = get_object_or_404(sittings_visible_to(request.user), pk=pk)
    return found


def _item(sitting: Sitting, item_id: int) -> AgendaItem:
    found: AgendaItem = get_object_or_404(
        AgendaItem.objects.select_related("sitting__panel", "track__application"),
        pk=item_id,
        sitting=sitting,
    )
    return found


def _answer(sitting: Sitting, code: int = 200) -> Response:
    sitting = Sitting.objects.select_related("panel").get(pk=sitting.pk)
    return Response(s.SittingSerializer(sitting).data, status=code)


class SittingListView(generics.ListAPIView):
    """The sittings you may see: of the panels you sit on (all of them for ops), newest first."""

    serializer_class = s.SittingSummarySerializer
    filter_backends: list = []

    def get_queryset(self):
        return sittings_visible_to(self.request.user).order_by("-date", "-id")

    @extend_schema(operation_id="sittings_list")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="sittings_create",
        request=s.SittingCreateSerializer,
        responses={201: s.SittingSerializer},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        """Plan a sitting of a panel that sits (its chair, or ops): a date and a cut-off on or
        before it. The agenda starts with the tracks already ready by the cut-off."""
        data = s.SittingCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        panels = Panel.objects.all() if can_see_panels(request.user) else Panel.objects.none()
        panel = get_object_or_404(panels, pk=data.validated_data["panel"])
        sitting = services.sitting_create(
            panel=panel,
            by=signed_in_user(request),
            date=data.validated_data["date"],
            cut_off=data.validated_data["cut_off"],
            location=data.validated_data["location"],
        )
        return _answer(sitting, status.HTTP_201_CREATED)


class SittingView(APIView):
    @extend_schema(operation_id="sittings_retrieve", responses=s.SittingSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return _answer(_visible(request, pk))


class AgendaView(APIView):
    @extend_schema(
        operation_id="sittings_agenda_update",
        request=s.AgendaUpdateSerializer,
        responses=s.SittingSerializer,
    )
    @idempotent
    def put(self, request: Request, pk: int) -> Response:
        """Set the agenda (reorder, add, defer) on the version you read: 409 if it moved on."""
        sitting = _visible(request, pk)
        data = s.AgendaUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.agenda_update(sitting=sitting, by=signed_in_user(request), **data.validated_data)
        return _answer(sitting)


def _step(name: str, doc: str, service):
    class StepView(APIView):
        @extend_schema(operation_id=f"sittings_{name}", request=None, responses=s.SittingSerializer)
        @idempotent
        def post(self, request: Request, pk: int) -> Response:
            sitting = _visible(request, pk)
            service(sitting=sitting, by=signed_in_user(request))
            return _answer(sitting)

    StepView.post.__doc__ = doc
    StepView.__name__ = StepView.__qualname__ = f"{name.title().replace('_', '')}View"
    return StepView


PublishAgendaView = _step(
    "publish_agenda",
    "Publish the agenda (the tracks ready by the cut-off join it); members and teams are told.",
    services.agenda_publish,
)
IssuePapersView = _step(
    "issue_papers",
    "Generate each item's papers from the application as it stands; the members are told.",
    services.papers_issue,
)
CloseView = _step(
    "close",
    "Record the sitting as held; items not decided are deferred to the next sitting.",
    services.sitting_close,
)


class AttendanceView(APIView):
    @extend_schema(
        operation_id="sittings_attendance_record",
        request=s.AttendanceSerializer,
        responses=s.SittingSerializer,
    )
    @idempotent
    def put(self, request: Request, pk: int) -> Response:
        """Record who is present, at the sitting (everyone else absent)."""
        sitting = _visible(request, pk)
        data = s.AttendanceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.attendance_record(
            sitting=sitting, by=signed_in_user(request), present=data.validated_data["present"]
        )
        return _answer(sitting)


class PaperView(APIView):
    @extend_schema(operation_id="sittings_items_paper", responses=dict)
    def get(self, request: Request, pk: int, item_id: int) -> Response:
        """One item's papers (members and ops, once issued; not a member conflicted on it);
        opening them counts as read."""
        sitting = _visible(request, pk)
        item = _item(sitting, item_id)
        if not may_read_item_papers(request.user, item) or item.paper_generated_at is None:
            raise Http404
        services.papers_read(item=item, by=signed_in_user(request))
        return Response(item.paper)


class ItemDecideView(APIView):
    @extend_schema(
        operation_id="sittings_items_decide",
        request=s.ItemDecideSerializer,
        responses=s.SittingSerializer,
    )
    @idempotent
    def post(self, request: Request, pk: int, item_id: int) -> Response:
        """The chair records the panel's decision on one item (the track's decision). 409 when
        the quorum is not present, naming what is missing."""
        sitting = _visible(request, pk)
        data = s.ItemDecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.item_decide(
            item=_item(sitting, item_id),
            by=signed_in_user(request),
            outcome=data.validated_data["outcome"],
            rationale=data.validated_data.get("rationale", ""),
            conditions=data.validated_data.get("conditions", []),
        )
        return _answer(sitting)


class MinutesPublishView(APIView):
    @extend_schema(
        operation_id="sittings_publish_minutes",
        request=s.MinutesSerializer,
        responses=s.SittingSerializer,
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        """Publish the minutes of a sitting held, in their public form (no personal data)."""
        sitting = _visible(request, pk)
        data = s.MinutesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.minutes_publish(
            sitting=sitting, by=signed_in_user(request), minutes=data.validated_data["minutes"]
        )
        return _answer(sitting)


class PanelModeView(APIView):
    @extend_schema(
        operation_id="panels_mode_set",
        request=s.PanelModeSerializer,
        responses=s.PanelModeAnswerSerializer,
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        """Ops switch a panel between rolling review and sittings."""
        panels = Panel.objects.all() if can_see_panels(request.user) else Panel.objects.none()
        panel = get_object_or_404(panels, pk=pk)
        data = s.PanelModeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.panel_mode_set(
            panel=panel, by=signed_in_user(request), mode=data.validated_data["mode"]
        )
        return Response(s.PanelModeAnswerSerializer(Panel.objects.get(pk=panel.pk)).data)


class PublicMinutesListView(generics.ListAPIView):
    """The published minutes of every panel's sittings, newest first. No login."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AnonymousRateThrottle]
    serializer_class = s.PublicMinutesSerializer
    filter_backends: list = []

    def get_queryset(self):
        return published_minutes()

    @extend_schema(operation_id="minutes_list")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class PublicMinutesView(generics.RetrieveAPIView):
    """One sitting's published minutes. No login."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AnonymousRateThrottle]
    serializer_class = s.PublicMinutesSerializer

    def get_queryset(self):
        return published_minutes()

    @extend_schema(operation_id="minutes_retrieve")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)
