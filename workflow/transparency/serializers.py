"""The public register's output, generated from its fields (``register.REGISTER_FIELDS``): the
JSON entry (its serializer, so its OpenAPI schema too) and the CSV's columns."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable, Iterator
from typing import Any

from rest_framework import serializers

from core import spreadsheet
from workflow.transparency.models import RegisterEntry
from workflow.transparency.register import REGISTER_FIELDS, Attribute, RegisterField


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

# The CSV's columns, in the fields' order: (header, field's API name, cell).
CSV_COLUMNS = [
    (header, field.api, cell) for field in REGISTER_FIELDS for header, cell in field.csv_columns()
]


# The same columns, each with the field it reads: the CSV reads the entries themselves, not the
# serializer's output (a serializer per row was 94% of the export's time at 20,000 entries).
_STREAM_COLUMNS = [(field, cell) for field in REGISTER_FIELDS for _, cell in field.csv_columns()]


class _Echo:
    """A file that hands back what is written to it (the CSV writer's line)."""

    def write(self, text: str) -> str:
        return text


def _cell_value(value: Any) -> Any:
    # The API's representation of the few types the columns hold: a date as ISO 8601.
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


def register_csv_lines(entries: Iterable[RegisterEntry], *, batch: int = 500) -> Iterator[str]:
    """The register as CSV text, a few hundred lines at a time (for a streamed response):
    the header, then one row per entry, in the order of ``entries``, the same cells as
    ``register_csv`` gives of the serialized entries."""
    writer = spreadsheet.writer(_Echo())  # cells a researcher wrote never run as formulas
    lines = [writer.writerow([header for header, _, _ in CSV_COLUMNS])]
    for entry in entries:
        lines.append(
            writer.writerow(
                [cell(_cell_value(field.value(entry))) for field, cell in _STREAM_COLUMNS]
            )
        )
        if len(lines) >= batch:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


def register_csv(rows: Iterable[dict]) -> str:
    """Serialized entries as one CSV document, one row per entry."""
    out = io.StringIO()
    writer = spreadsheet.writer(out)  # cells a researcher wrote never run as formulas
    writer.writerow([header for header, _, _ in CSV_COLUMNS])
    for row in rows:
        writer.writerow([cell(row[api]) for _, api, cell in CSV_COLUMNS])
    return out.getvalue()
