from __future__ import annotations

from rest_framework import serializers

from notifications.models import EmailMode, Notification, NotificationPreference


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        # Email delivery internals (attempts, errors) are for ops in the admin, not the inbox.
        fields = [
            "id",
            "kind",
            "subject",
            "body",
            "url",
            "about",
            "created_at",
            "read_at",
            "is_read",
        ]
        read_only_fields = fields


class MarkedReadSerializer(serializers.Serializer):
    marked_read = serializers.IntegerField(
        help_text="How many notifications were newly marked read."
    )


class NotificationPreferenceSerializer(serializers.ModelSerializer):
    email_mode = serializers.ChoiceField(
        choices=EmailMode.choices,
        help_text="In-app notifications are always on; this chooses email.",
    )

    class Meta:
        model = NotificationPreference
        fields = ["email_mode"]
