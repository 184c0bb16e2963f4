"""The application's content has one home (workflow/route/content.py): the section forms, the
API's input and output, the frozen snapshot, check your answers and the submission rules are all
derived from it, so a field added there appears everywhere and a field missing there is nowhere."""

from __future__ import annotations

import pytest

from tests.factories.workflow import World
from workflow.models import Application
from workflow.route import services as route_services
from workflow.route.content import PARTS, QUESTIONS, snapshot, submission_errors
from workflow.route.forms import SECTION_FORMS
from workflow.route.serializers import ApplicationInputSerializer, ApplicationSerializer
from workflow.templatetags.content import application_answers

pytestmark = pytest.mark.django_db

COLLECTIONS = {"members", "datasets"}


def test_every_question_is_a_field_of_the_application():
    fields = {f.name for f in Application._meta.get_fields()}
    assert set(QUESTIONS) <= fields


def test_the_section_forms_ask_exactly_the_questions_in_the_spec_order():
    asked = [
        name
        for part in PARTS
        for name in SECTION_FORMS.get(part.key, type("F", (), {"base_fields": {}})).base_fields
    ]
    assert asked == list(QUESTIONS)
    for part in PARTS:
        if part.questions:
            form = SECTION_FORMS[part.key]
            for question in part.questions:
                label = form.base_fields[question.name].label
                # What submission does not need is marked optional, as GOV.UK asks.
                assert label in (question.label, f"{question.label} (optional)")
                optional = not question.missing and not question.always and not question.default
                assert label.endswith("(optional)") == optional, question.name


def test_the_api_takes_and_shows_exactly_the_team_fields():
    assert set(ApplicationInputSerializer().fields) == set(QUESTIONS) | COLLECTIONS
    shown = ApplicationSerializer.Meta.fields
    assert [f for f in shown if f in QUESTIONS] == list(QUESTIONS)


def test_the_snapshot_check_your_answers_and_submission_follow_the_spec():
    world = World()
    application = world.draft()
    frozen = snapshot(application)
    assert set(QUESTIONS) <= set(frozen)
    rows = application_answers(application)
    assert [r["key"] for r in rows] == [q.title for q in QUESTIONS.values()]
    # Every question with a "missing" message is required at submission, with that message.
    empty = world.draft(
        title="Only a title",
        lay_summary="",
        research_question="",
        public_benefit="",
        purpose="",
        start_date=None,
        end_date=None,
    )
    # A creator's affiliation is the default lead organisation: take it away again.
    route_services.application_update(
        application=empty, by=world.pi, data={"lead_organisation": None}
    )
    errors = submission_errors(Application.objects.get(pk=empty.pk))
    for name, question in QUESTIONS.items():
        if question.missing and name != "title":
            assert question.missing in errors[name], name
        if not question.missing:
            assert name not in errors, name


def test_a_field_not_in_the_spec_is_refused_not_dropped(client_for):
    world = World()
    application = world.draft()
    response = client_for(world.pi).patch(
        f"/api/v1/applications/{application.pk}/", {"created_by": world.outsider.pk}, format="json"
    )
    assert response.status_code == 400
    assert "created_by" in response.json()["fields"]
