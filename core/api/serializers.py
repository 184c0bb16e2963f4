"""Serializer pieces every API input shares."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
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


# --- related objects, looked up in one query --------------------------------------------------
# DRF's related fields query once per item: a list of 45,000 team members was 45,000 queries.
# Lists of references are read as plain keys instead and resolved here, all in one query, with
# DRF's own messages for a key that matches nothing.

PK_MISSING = 'Invalid pk "{key}" - object does not exist.'
# A primary key the database can hold (a bigger number is a 400, not an overflow).
PK_MIN, PK_MAX = 1, 2**63 - 1
SLUG_MISSING = "Object with {field}={key} does not exist."


def resolve_each(
    items: list[dict[str, Any]],
    key: str,
    queryset: QuerySet,
    *,
    to_field: str = "pk",
    missing: str = PK_MISSING,
) -> list[dict[str, Any]]:
    """Replace ``item[key]`` (a primary key, or the value of the unique ``to_field``) of each item
    with its object from ``queryset``, in one query. Unknown keys are a ``ValidationError`` at
    ``<index>.<key>``, as a nested serializer reports them."""
    found = queryset.in_bulk({item[key] for item in items}, field_name=to_field)
    errors: list[dict[str, list[str]]] = [{} for _ in items]
    for index, item in enumerate(items):
        obj = found.get(item[key])
        if obj is None:
            errors[index] = {key: [missing.format(key=item[key], field=to_field)]}
        else:
            item[key] = obj
    if any(errors):
        raise serializers.ValidationError(errors)
    return items


def resolve_keys(keys: list[Any], queryset: QuerySet, *, missing: str = PK_MISSING) -> list[Any]:
    """The objects of ``queryset`` with these primary keys, in their order, in one query."""
    found = queryset.in_bulk(set(keys))
    unknown = [key for key in keys if key not in found]
    if unknown:
        raise serializers.ValidationError([missing.format(key=key) for key in unknown])
    return [found[key] for key in keys]


def pk_field(**kwargs: Any) -> serializers.IntegerField:
    """An integer that can be a primary key (``PK_MIN`` to ``PK_MAX``)."""
    return serializers.IntegerField(min_value=PK_MIN, max_value=PK_MAX, **kwargs)


def many(
    serializer: type[serializers.Serializer], *, max_length: int, **kwargs: Any
) -> serializers.BaseSerializer:
    """A list of at most ``max_length`` of ``serializer`` (the schema says so: maxItems)."""
    # DRF hands max_length to the ListSerializer that many=True makes; the stubs do not know.
    return serializer(many=True, max_length=max_length, **kwargs)  # type: ignore[call-arg]


# --- renamed fields -----------------------------------------------------------------------------
# A field renamed for consistency keeps its old name for one release: accepted on input (marked
# ``deprecated`` in the schema with ``extend_schema_serializer(deprecate_fields=...)``), and
# answered beside the new one. docs/api.md lists them and the release that removes them.

DEPRECATED = "Deprecated: use {new} (this name is removed in the next release)."


def take_renamed(attrs: dict[str, Any], *, old: str, new: str, required: bool = True) -> None:
    """Move ``attrs[old]`` to ``attrs[new]``: the old name is accepted alone; both, disagreeing,
    is a 400 on the old one; neither, when ``required``, is the new one's "required"."""
    if old not in attrs:
        if required and new not in attrs:
            raise serializers.ValidationError({new: ["This field is required."]})
        return
    value = attrs.pop(old)
    if new in attrs and attrs[new] != value:
        raise serializers.ValidationError(
            {old: [f"{old} is the old name of {new}: send {new} alone."]}
        )
    attrs[new] = value
