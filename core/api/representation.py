"""Writing API answers directly, for the busiest ones.

DRF serializers find each field's value and format it field by field, and a ``ModelSerializer``
builds its fields by model introspection for every instance it is given: for the application
list and detail that was most of a request's time (docs/benchmarks.md, section 1). Those two
write their representation with these helpers instead, and the test suite checks that they say
exactly what DRF's field-by-field representation says.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.utils import timezone


def datetime_writer() -> Callable[[datetime.datetime | None], str | None]:
    """A function that writes a timestamp as DRF's ``DateTimeField`` does: ISO 8601 in the
    current time zone (UK time here), ``Z`` for UTC, ``None`` for none. The time zone is read
    once, not per value."""
    zone = timezone.get_current_timezone()

    def write(value: datetime.datetime | None) -> str | None:
        if not value:
            return None
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return write


def date(value: datetime.date | None) -> str | None:
    """A date as DRF's ``DateField`` writes it."""
    return value.isoformat() if value else None


def person(pk: int | None, full_name: str | None) -> dict | None:
    """``UserSummarySerializer`` (how a person appears on other people's screens), from a
    row's id and name; ``None`` when there is no one."""
    return {"id": pk, "full_name": full_name} if pk else None


ORGANISATION_FIELDS = (
    "id",
    "name",
    "slug",
    "kind",
    "ror_id",
    "sector",
    "has_health_service_functions",
    "website",
)


def organisation_row(row: dict, prefix: str) -> dict:
    """``OrganisationSerializer``, from a ``values()`` row whose keys carry ``prefix``."""
    return {name: row[prefix + name] for name in ORGANISATION_FIELDS}
