"""Every API error has one shape: {"code", "detail", "fields"} (access.api.errors)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions

from core.api.errors import exception_handler
from core.errors import ConcurrentChange, InvalidTransition, NotAllowed, ValidationFailed


def handle(exc):
    return exception_handler(exc, {})


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (ValidationFailed("Bad input."), 400, "invalid"),
        (NotAllowed("Not yours."), 403, "forbidden"),
        (InvalidTransition("Already submitted."), 409, "invalid_state"),
        (ConcurrentChange("Changed meanwhile."), 409, "conflict"),
    ],
)
def test_domain_error_maps_to_its_status_and_code(error, status, code):
    response = handle(error)
    assert response.status_code == status
    assert response.data == {"code": code, "detail": str(error), "fields": {}}


def test_domain_error_keeps_fields_and_extra_values():
    error = InvalidTransition("Not in draft.", fields={"state": ["is scoping"]}, state="scoping")
    response = handle(error)
    assert response.data == {
        "code": "invalid_state",
        "detail": "Not in draft.",
        "fields": {"state": ["is scoping"]},
        "state": "scoping",
    }


def test_django_validation_error_with_fields_is_400_per_field():
    response = handle(DjangoValidationError({"title": ["Too long."]}))
    assert response.status_code == 400
    assert response.data["code"] == "invalid"
    assert response.data["fields"] == {"title": ["Too long."]}


def test_django_validation_error_without_fields_is_non_field_error():
    response = handle(DjangoValidationError("Dates overlap."))
    assert response.status_code == 400
    assert response.data["fields"] == {"non_field_errors": ["Dates overlap."]}


def test_http404_is_not_found_in_the_shared_shape():
    response = handle(Http404())
    assert response.status_code == 404
    assert response.data["code"] == "not_found"
    assert response.data["fields"] == {}


def test_django_permission_denied_is_403_in_the_shared_shape():
    response = handle(PermissionDenied())
    assert response.status_code == 403
    assert response.data["code"] == "permission_denied"


def test_drf_validation_error_flattens_nested_fields_with_dotted_paths():
    error = exceptions.ValidationError(
        {"items": [{"section": ["Unknown section."]}, {}], "title": "Required."}
    )
    response = handle(error)
    assert response.status_code == 400
    assert response.data["fields"] == {
        "items.0.section": ["Unknown section."],
        "title": ["Required."],
    }


def test_drf_validation_error_without_fields_is_non_field_error():
    response = handle(exceptions.ValidationError(["Pick at least one dataset."]))
    assert response.data["fields"] == {"non_field_errors": ["Pick at least one dataset."]}


def test_other_api_exceptions_keep_their_status_and_code():
    response = handle(exceptions.Throttled(wait=30))
    assert response.status_code == 429
    assert response.data["code"] == "throttled"
    assert response.data["fields"] == {}


def test_unexpected_exceptions_are_left_to_django():
    assert handle(ValueError("boom")) is None
