from __future__ import annotations

from django.contrib.auth import authenticate
from rest_framework import serializers

from access.models import Organisation, OrganisationMembership, User
from core.api.representation import ORGANISATION_FIELDS
from core.text import single_line


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = list(ORGANISATION_FIELDS)  # also written directly (representation.py)


class UserSummarySerializer(serializers.ModelSerializer):
    """How a person appears on other people's screens: no email, no roles."""

    class Meta:
        model = User
        fields = ["id", "full_name"]


class MembershipSerializer(serializers.ModelSerializer):
    organisation = OrganisationSerializer(read_only=True)

    class Meta:
        model = OrganisationMembership
        fields = ["organisation", "capacity"]


class MeSerializer(serializers.ModelSerializer):
    affiliation = OrganisationSerializer(read_only=True, allow_null=True)
    roles = serializers.SerializerMethodField()
    memberships = MembershipSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "email", "full_name", "affiliation", "roles", "memberships"]
        read_only_fields = ["id", "username", "email", "roles", "memberships", "affiliation"]
        # A name goes into mail subjects and the public register: one line of text.
        extra_kwargs = {"full_name": {"validators": [single_line]}}

    def get_roles(self, user: User) -> list[str]:
        return sorted(user.role_names)


class TokenLoginSerializer(serializers.Serializer):
    login = serializers.CharField(help_text="Username or email address")
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)

    def validate(self, attrs: dict) -> dict:
        request = self.context.get("request")
        # django-axes marks a locked-out login on the Django request (its middleware then
        # answers 429), so hand it the HttpRequest under DRF's wrapper.
        user = authenticate(
            getattr(request, "_request", request),
            username=attrs["login"],
            password=attrs["password"],
        )
        if user is None:
            raise serializers.ValidationError(
                {"login": ["No active account matches this login and password."]}
            )
        attrs["user"] = user
        return attrs


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField(
        help_text="When the token stops working unless it is used (each use extends it)"
    )
