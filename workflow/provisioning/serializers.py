"""What the provisioning API reads and answers."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from access.models import AccessGrant
from core.api.serializers import StrictInput
from workflow.provisioning.models import (
    ChangeKind,
    WebhookAttempt,
    WebhookDelivery,
    WebhookReceiver,
)
from workflow.provisioning.selectors import dataset_slugs


class PersonRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()


class EntitlementSerializer(serializers.ModelSerializer):
    """An active access grant: who may use which datasets of which project, until when."""

    grant = serializers.IntegerField(source="pk", read_only=True)
    project = serializers.CharField(source="application.reference", read_only=True)
    application = serializers.IntegerField(source="application_id", read_only=True)
    person = PersonRefSerializer(read_only=True)
    datasets = serializers.SerializerMethodField()

    class Meta:
        model = AccessGrant
        fields = [
            "grant",
            "project",
            "application",
            "person",
            "state",
            "start_on",
            "end_on",
            "datasets",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_datasets(self, grant: AccessGrant) -> list[str]:
        return dataset_slugs(grant.application)


class ChangeDataSerializer(serializers.Serializer):
    """What changed (grant kinds carry the grant's fields; project.closed only the project)."""

    cursor = serializers.IntegerField()
    project = serializers.CharField()
    application = serializers.IntegerField()
    state = serializers.CharField(help_text="active, suspended, ended, or closed (a project)")
    datasets = serializers.ListField(child=serializers.CharField())
    grant = serializers.IntegerField(required=False)
    person = PersonRefSerializer(required=False)
    start_on = serializers.DateField(required=False)
    end_on = serializers.DateField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True)


# One change, in the shape a webhook body has (Standard Webhooks: type, timestamp, data); the
# view builds it with ``selectors.change_payload`` (a field named ``data`` cannot be declared
# on a DRF serializer class, whose ``data`` is the output).
def change_serializer(**kwargs: Any) -> serializers.Serializer:
    return inline_serializer(
        "Change",
        fields={
            "type": serializers.ChoiceField(choices=ChangeKind.choices),
            "timestamp": serializers.DateTimeField(),
            "data": ChangeDataSerializer(),
        },
        **kwargs,
    )


class ChangeFeedSerializer(serializers.Serializer):
    changes = change_serializer(many=True)
    cursor = serializers.IntegerField(
        help_text="Pass as ?after= next time: the last change here, or your cursor if none"
    )
    more = serializers.BooleanField(help_text="More changes are waiting: ask again at once")


class ChangeFeedQuery(StrictInput):
    after = serializers.IntegerField(min_value=0, max_value=2**63 - 1, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=500, default=100)


class VisaSerializer(serializers.Serializer):
    grant = serializers.IntegerField()
    project = serializers.CharField()
    dataset = serializers.CharField()
    expires_at = serializers.DateTimeField()
    jwt = serializers.CharField(help_text="A GA4GH ControlledAccessGrants visa (JWS compact)")


class PassportSerializer(serializers.Serializer):
    person = serializers.IntegerField()
    visas = VisaSerializer(many=True)


class JWKSerializer(serializers.Serializer):
    kty = serializers.CharField()
    kid = serializers.CharField()
    use = serializers.CharField()
    alg = serializers.CharField()
    crv = serializers.CharField(required=False)
    x = serializers.CharField(required=False)
    y = serializers.CharField(required=False)
    n = serializers.CharField(required=False)
    e = serializers.CharField(required=False)


class JWKSSerializer(serializers.Serializer):
    keys = JWKSerializer(many=True)


class WebhookReceiverSerializer(serializers.ModelSerializer):
    kinds = serializers.ListField(child=serializers.ChoiceField(choices=ChangeKind.choices))

    class Meta:
        model = WebhookReceiver
        fields = ["id", "url", "description", "kinds", "active", "created_at"]
        read_only_fields = fields


class WebhookReceiverCreatedSerializer(WebhookReceiverSerializer):
    secret = serializers.CharField(
        help_text="The Standard Webhooks secret (whsec_...): shown only now; keep it"
    )

    class Meta(WebhookReceiverSerializer.Meta):
        fields = [*WebhookReceiverSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookReceiverInput(StrictInput):
    url = serializers.CharField(max_length=500)
    # Any strings: an unknown kind is answered by the service, naming the known ones.
    kinds = serializers.ListField(child=serializers.CharField(max_length=32), max_length=20)
    description = serializers.CharField(
        max_length=200, required=False, default="", allow_blank=True
    )


class WebhookReceiverPatch(StrictInput):
    url = serializers.CharField(max_length=500, required=False)
    kinds = serializers.ListField(
        child=serializers.CharField(max_length=32), max_length=20, required=False
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False)
    rotate_secret = serializers.BooleanField(required=False, default=False)


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["at", "status_code", "response_body", "error", "duration_ms", "manual"]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="change.kind", read_only=True)
    cursor = serializers.IntegerField(source="change_id", read_only=True)
    project = serializers.CharField(source="application.reference", read_only=True)
    log = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "receiver",
            "kind",
            "cursor",
            "project",
            "status",
            "attempts",
            "next_attempt_at",
            "delivered_at",
            "last_status_code",
            "last_error",
            "log",
        ]
        read_only_fields = fields
