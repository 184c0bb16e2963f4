"""The API's shapes of identity: affiliations, and an organisation's people."""

from __future__ import annotations

from rest_framework import serializers

from access.models import Accreditation, Affiliation, Organisation
from core.text import single_line


class AffiliationSerializer(serializers.ModelSerializer):
    person = serializers.IntegerField(source="person_id", read_only=True)
    person_name = serializers.CharField(source="person.full_name", read_only=True)
    organisation: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    decided_by = serializers.CharField(
        source="decided_by.full_name", allow_null=True, default=None, read_only=True
    )

    class Meta:
        model = Affiliation
        fields = [
            "id",
            "person",
            "person_name",
            "organisation",
            "state",
            "position",
            "requested_at",
            "decided_at",
            "decided_by",
            "ended_at",
            "reason",
        ]
        read_only_fields = fields


class AffiliationRequestSerializer(serializers.Serializer):
    organisation = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organisation.objects.all(), help_text="Organisation slug"
    )
    position = serializers.CharField(
        max_length=200, required=False, default="", allow_blank=True, validators=[single_line]
    )


class AffiliationReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000,
        required=False,
        default="",
        allow_blank=True,
        help_text="Required to decline or to record that the person has left; they read it",
    )


class PersonAccreditationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Accreditation
        fields = ["kind", "state", "expires_on"]


class OrganisationPersonSerializer(serializers.ModelSerializer):
    """One affiliation to the organisation, with the person's accreditations."""

    person = serializers.IntegerField(source="person_id")
    full_name = serializers.CharField(source="person.full_name")
    email = serializers.EmailField(source="person.email")
    orcid = serializers.CharField(source="person.orcid")
    orcid_verified = serializers.BooleanField(source="person.orcid_verified")
    accreditations = PersonAccreditationSerializer(source="person.accreditations", many=True)

    class Meta:
        model = Affiliation
        fields = [
            "id",
            "person",
            "full_name",
            "email",
            "orcid",
            "orcid_verified",
            "state",
            "position",
            "accreditations",
        ]
        read_only_fields = fields
