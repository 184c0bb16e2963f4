"""Serializer pieces every API input shares."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class StrictInputMixin:
    """Unknown fields are an error, not silently dropped (the state is never writable)."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = set(getattr(self, "initial_data", {}) or {}) - set(self.fields)  # type: ignore[attr-defined]
        if unknown:
            raise serializers.ValidationError(
                {
                    name: [
                        "The state changes only through its transitions."
                        if name == "state"
                        else "Not a field of this resource."
                    ]
                    for name in sorted(unknown)
                }
            )
        return super().validate(attrs)  # type: ignore[misc]


class StrictInput(StrictInputMixin, serializers.Serializer):
    """An input serializer that refuses fields it does not declare."""
