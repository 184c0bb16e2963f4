"""GOV.UK's form patterns on every page: specific error messages (never Django's defaults),
and the three-box date input."""

from __future__ import annotations

import importlib

import pytest
from django import forms

from core.forms import Form

pytestmark = pytest.mark.django_db

PAGE_FORM_MODULES = (
    "access.forms",
    "catalogue.forms",
    "core.forms",
    "notifications.forms",
    "workflow.involvement.forms",
    "workflow.lifecycle.forms",
    "workflow.amendments.forms",
    "workflow.reviews.forms",
    "workflow.route.forms",
    "workflow.safes.forms",
    "workflow.sittings.forms",
    "workflow.transparency.views",
    "workflow.turnaround.forms",
)
DJANGO_DEFAULTS = (
    "This field is required.",
    "Enter a valid date.",
    "Select a valid choice.",
    "Ensure this value",
    "Enter a whole number.",
    "Enter a valid email address.",
)


def _subclasses(klass):
    for sub in klass.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_page_form_gives_specific_messages_not_django_defaults():
    for name in PAGE_FORM_MODULES:
        importlib.import_module(name)
    ours = [
        k
        for k in _subclasses(forms.Form)
        if k.__module__ in PAGE_FORM_MODULES and k.__name__ != "EmptyForm"
    ]
    assert len(ours) > 20
    for klass in ours:
        assert issubclass(klass, Form), f"{klass.__module__}.{klass.__name__}"


def _body(response) -> str:
    return response.content.decode()


def test_an_empty_form_names_each_missing_answer(page_client, world):
    response = page_client(world.pi).post(
        "/accreditation/apply/", {"kind": "safe_researcher"}, follow=False
    )
    assert response.status_code == 400
    body = _body(response)
    assert "Enter the date issued." in body
    for default in DJANGO_DEFAULTS:
        assert default not in body


def test_dates_are_asked_with_day_month_and_year_boxes(page_client, world):
    application = world.draft()
    client = page_client(world.pi)
    url = f"/applications/{application.pk}/sections/dates/"
    page = _body(client.get(url))
    assert 'name="start_date-day"' in page
    assert 'name="start_date-year"' in page
    assert 'type="date"' not in page
    wrong = client.post(
        url,
        {
            "start_date-day": "31",
            "start_date-month": "2",
            "start_date-year": "2027",
            "end_date-day": "1",
            "end_date-month": "6",
            "end_date-year": "2028",
        },
    )
    assert wrong.status_code == 400
    body = _body(wrong)
    assert "must be a real date" in body
    assert 'value="31"' in body  # what was typed comes back to be corrected
    saved = client.post(
        url,
        {
            "start_date-day": "1",
            "start_date-month": "2",
            "start_date-year": "2027",
            "end_date-day": "1",
            "end_date-month": "6",
            "end_date-year": "2028",
        },
    )
    assert saved.status_code in (200, 302)
    application.refresh_from_db()
    assert application.start_date.isoformat() == "2027-02-01"
