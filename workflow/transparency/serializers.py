"""The public register's output, generated from its fields (``register.REGISTER_FIELDS``): the
JSON entry (its serializer, so its OpenAPI schema too) and the CSV's columns."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from rest_framework import serializers

from core import spreadsheet
from workflow.transparency.register import REGISTER_FIELDS, Attribute, RegisterField
from workflow.transparency.register_csv import CSV_COLUMNS

__all__ = ["CSV_COLUMNS", "RegisterEntrySerializer", "register_csv"]


def _attribute_field(attribute: Attribute) -> serializers.Field:
    kwargs: dict[str, Any] = {"help_text": attribute.help} if attribute.help else {}
    if attribute.choices is not None:
        return serializers.ChoiceField(choices=attribute.choices.choices, **kwargs)
    if attribute.shape == "date":
        return serializers.DateField(allow_null=True, **kwargs)
    if attribute.shape == "moment":
        return serializers.DateTimeField(**kwargs)
    if attribute.shape == "count":
        return serializers.IntegerField(allow_null=True, **kwargs)
    return serializers.CharField(**kwargs)


def _record_serializer(field: RegisterField) -> type[serializers.Serializer]:
    """One record of a ``records`` field; its class name names its OpenAPI component."""
    attributes = {a.key: _attribute_field(a) for a in field.attributes}
    return type(f"{field.record_name}Serializer", (serializers.Serializer,), attributes)


def _api_field(field: RegisterField) -> serializers.Field:
    kwargs: dict[str, Any] = {"help_text": field.source, "read_only": True}
    if field.read is not None:
        kwargs["source"] = "*"
    elif field.column != field.api:
        kwargs["source"] = field.column
    if field.shape == "records":
        return _Records(child=_record_serializer(field)(), register_field=field, **kwargs)
    if field.read is not None:
        raise TypeError(f"{field.api}: only records may be read at publication")
    if field.choices is not None:
        return serializers.ChoiceField(choices=field.choices.choices, **kwargs)
    if field.shape == "date":
        return serializers.DateField(allow_null=not field.always, **kwargs)
    if field.shape == "flag":
        return serializers.BooleanField(allow_null=True, **kwargs)
    if field.shape == "list":
        return serializers.ListField(child=serializers.CharField(), **kwargs)
    return serializers.CharField(**kwargs)


class _Records(serializers.ListField):
    """A list of records; a field read at publication (the outputs) reads it from the entry."""

    def __init__(self, *, register_field: RegisterField, **kwargs: Any) -> None:
        self.register_field = register_field
        super().__init__(**kwargs)

    def to_representation(self, data: Any) -> list:
        if self.register_field.read is not None:
            data = self.register_field.read(data)
        return super().to_representation(data)


RegisterEntrySerializer: type[serializers.Serializer] = type(
    "RegisterEntrySerializer",
    (serializers.Serializer,),
    {
        "__doc__": "One register entry, named after the HDR UK data use register standard "
        "(v2). A declined application publishes only the project id, the lead organisation, the "
        "status and the decision date: every other field is null or empty for it.",
        **{field.api: _api_field(field) for field in REGISTER_FIELDS},
    },
)


def register_csv(rows: Iterable[dict]) -> str:
    """Serialized entries as one CSV document, one row per entry."""
    out = io.StringIO()
    writer = spreadsheet.writer(out)  # cells a researcher wrote never run as formulas
    writer.writerow([header for header, _, _ in CSV_COLUMNS])
    for row in rows:
        writer.writerow([cell(row[api]) for _, api, cell in CSV_COLUMNS])
    return out.getvalue()
