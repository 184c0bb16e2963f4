"""API of public involvement: an application's involvement (the flag, the requirement, the
activities, the consumer panel's consultations) and the consumer panel's consultations."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.api.authentication import signed_in_user
from core.api.idempotency import idempotent
from workflow.involvement import serializers as s
from workflow.involvement import services
from workflow.involvement.policies import can_see_consultation, check_flag
from workflow.involvement.selectors import (
    activities_of,
    consultations_for,
    consultations_of,
    public_interest_of,
)
from workflow.models import Application, Consultation
from workflow.route import policies as route_policies


def _application(request: Request, pk: int) -> Application:
    return route_policies.visible_application(request.user, pk, whole=True)


def involvement_of(application: Application) -> dict[str, Any]:
    interest = public_interest_of(application)
    return {
        "high_public_interest": bool(interest and interest.high),
        "reason": interest.reason if interest else "",
        "flagged_at": interest.flagged_at if interest else None,
        "flagged_by": interest.flagged_by if interest else None,
        "involvement_required": bool(interest and interest.required),
        "required_reason": interest.required_reason if interest else "",
        "required_by": interest.required_by if interest else None,
        "activities": activities_of(application),
        "consultations": consultations_of(application),
    }


def _answer(application: Application, code: int = status.HTTP_200_OK) -> Response:
    application = Application.objects.get(pk=application.pk)
    return Response(s.PublicInvolvementSerializer(involvement_of(application)).data, status=code)


class PublicInvolvementView(APIView):
    @extend_schema(
        operation_id="applications_public_involvement", responses=s.PublicInvolvementSerializer
    )
    def get(self, request: Request, pk: int) -> Response:
        """Whether the project is of high public interest, whether a reviewer requires public
        involvement, the involvement recorded and the consumer panel's consultations."""
        return _answer(_application(request, pk))


class PublicInterestFlagView(APIView):
    @extend_schema(
        operation_id="applications_public_involvement_flag",
        request=s.FlagInputSerializer,
        responses=s.PublicInvolvementSerializer,
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        """The team or a reviewer flags the project as likely to be of high public interest
        (or not, unless a reviewer requires involvement)."""
        application = _application(request, pk)
        check_flag(request.user, application)
        data = s.FlagInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.public_interest_flag(
            application=application,
            by=signed_in_user(request),
            high=data.validated_data["high_public_interest"],
            reason=data.validated_data["reason"],
        )
        return _answer(application)


class PublicInvolvementRequireView(APIView):
    @extend_schema(
        operation_id="applications_public_involvement_require",
        request=s.RequireInputSerializer,
        responses=s.PublicInvolvementSerializer,
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        """A reviewer requires public involvement."""
        application = _application(request, pk)
        data = s.RequireInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.public_involvement_require(
            application=application, by=signed_in_user(request), **data.validated_data
        )
        return _answer(application)


class InvolvementActivitiesView(APIView):
    @extend_schema(
        operation_id="applications_public_involvement_activities_create",
        request=s.ActivityInputSerializer,
        responses={201: s.InvolvementActivitySerializer},
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        """The team records involvement done (with what changed) or planned."""
        application = _application(request, pk)
        data = s.ActivityInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        activity = services.involvement_record(
            application=application, by=signed_in_user(request), **data.validated_data
        )
        return Response(
            s.InvolvementActivitySerializer(activity).data, status=status.HTTP_201_CREATED
        )


class ConsultationRequestView(APIView):
    @extend_schema(
        operation_id="applications_public_involvement_consultations_create",
        request=s.ConsultationInputSerializer,
        responses={201: s.ConsultationSerializer},
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        """The team asks the TRE's consumer panel for a consultation (one waiting at a time)."""
        application = _application(request, pk)
        data = s.ConsultationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        consultation = services.consultation_request(
            application=application, by=signed_in_user(request), **data.validated_data
        )
        return Response(s.ConsultationSerializer(consultation).data, status=status.HTTP_201_CREATED)


class ConsultationListView(generics.ListAPIView):
    """The consultations of the consumer panels you sit on (waiting ones first)."""

    serializer_class = s.ConsultationSerializer
    queryset = Consultation.objects.none()  # the real one comes from the selector

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return Consultation.objects.none()
        return consultations_for(signed_in_user(self.request))

    @extend_schema(operation_id="consultations_list")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


def _consultation(request: Request, pk: int) -> Consultation:
    consultation = get_object_or_404(
        Consultation.objects.select_related("application", "panel"), pk=pk
    )
    if not can_see_consultation(request.user, consultation):
        raise Http404("No such consultation.")
    return consultation


class ConsultationView(APIView):
    @extend_schema(operation_id="consultations_retrieve", responses=s.ConsultationSerializer)
    def get(self, request: Request, pk: int) -> Response:
        """A consultation: the team's question and, once given, the panel's feedback."""
        return Response(s.ConsultationSerializer(_consultation(request, pk)).data)


class ConsultationAnswerView(APIView):
    @extend_schema(
        operation_id="consultations_answer",
        request=s.FeedbackInputSerializer,
        responses=s.ConsultationSerializer,
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        """A consumer panel member gives the panel's written feedback."""
        consultation = _consultation(request, pk)
        data = s.FeedbackInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        consultation = services.consultation_answer(
            consultation=consultation, by=signed_in_user(request), **data.validated_data
        )
        return Response(s.ConsultationSerializer(consultation).data)
