from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications import selectors, services
from notifications.api.serializers import (
    MarkedReadSerializer,
    NotificationPreferenceSerializer,
    NotificationSerializer,
)


class NotificationFilter(filters.FilterSet):
    unread = filters.BooleanFilter(method="filter_unread", label="Only unread (true) or read.")

    def filter_unread(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(read_at__isnull=value)


class NotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The caller's own notifications, newest first. Anyone else's is 404."""

    serializer_class = NotificationSerializer
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = NotificationFilter
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.notifications_visible_to(self.request.user)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = services.notification_mark_read(
            notification=self.get_object(), by=request.user
        )
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses=MarkedReadSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        count = services.notifications_mark_all_read(by=request.user)
        return Response(MarkedReadSerializer({"marked_read": count}).data)


class NotificationPreferenceView(APIView):
    """How the caller receives email for notifications."""

    @extend_schema(responses=NotificationPreferenceSerializer)
    def get(self, request):
        preference = selectors.preference_for(request.user)
        return Response(NotificationPreferenceSerializer(preference).data)

    @extend_schema(
        request=NotificationPreferenceSerializer, responses=NotificationPreferenceSerializer
    )
    def put(self, request):
        serializer = NotificationPreferenceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        preference = services.preference_set(
            user=request.user, email_mode=serializer.validated_data["email_mode"]
        )
        return Response(NotificationPreferenceSerializer(preference).data)
