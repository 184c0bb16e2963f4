"""API shapes the reviews share with other topics: a panel's tally (a route's panel track's,
and an amendment's panel track's, counted by ``workflow.reviews.policies.count_votes``)."""

from __future__ import annotations

from rest_framework import serializers


class TallySerializer(serializers.Serializer):
    counts = serializers.DictField(child=serializers.IntegerField())
    votes_cast = serializers.IntegerField()
    independent_votes = serializers.IntegerField()
    lay_votes = serializers.IntegerField()
    quorum = serializers.IntegerField()
    min_independent_votes = serializers.IntegerField()
    min_lay_votes = serializers.IntegerField()
    rule = serializers.CharField()
    leading = serializers.CharField(allow_null=True)
    diverges = serializers.BooleanField()
    can_close = serializers.BooleanField()
    blockers = serializers.ListField(child=serializers.CharField())
