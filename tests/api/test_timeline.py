"""The timeline: the application's events, for those who may see the application."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories.workflow import World
from workflow.models import Event, State

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return World()


def timeline(client, application):
    return client.get(f"/api/v1/applications/{application.pk}/timeline/")


@pytest.mark.parametrize("who", ["pi", "colleague", "analyst", "reviewer", "ops"])
def test_timeline_shows_every_event_in_order_to_those_who_see_it_all(world, client_for, who):
    application = world.at(State.INTERNAL_REVIEW)
    response = timeline(client_for(getattr(world, who)), application)
    assert response.status_code == 200
    events = response.json()["results"]
    expected = Event.objects.filter(application=application).order_by("created_at", "id")
    assert [e["id"] for e in events] == [e.pk for e in expected]
    # The route's own events (the team's safeguards edits are in between).
    route = [e for e in events if e["kind"] != "safeguards_updated"]
    assert [e["kind"] for e in route][:2] == ["created", "submitted"]
    submitted = route[1]
    assert (submitted["actor_name"], submitted["actor_role"]) == ("Priya Investigator", "member")
    assert (submitted["from_state"], submitted["to_state"]) == ("draft", "scoping")


def test_timeline_of_an_invisible_application_is_404(world, client_for):
    application = world.at(State.SCOPING)
    for who in (world.outsider, world.analyst2, world.reviewer, world.panel):
        assert timeline(client_for(who), application).status_code == 404, str(who)


def test_timeline_of_a_draft_is_404_to_the_data_owner(world, client_for):
    application = world.at(State.DRAFT)
    assert timeline(client_for(world.owner), application).status_code == 404
    assert timeline(client_for(world.pi), application).status_code == 200


def test_timeline_needs_login(world):
    application = world.at(State.SCOPING)
    assert timeline(APIClient(), application).status_code == 401


def test_timeline_to_the_data_owner_leaves_out_edits_and_answers(world, client_for):
    application = world.at(State.CHANGES_REQUESTED)
    item = application.feedback_requests.get().items.get()
    pi = client_for(world.pi)
    pi.post(
        f"/api/v1/applications/{application.pk}/feedback/{item.pk}/respond/",
        {"response": "Dropped the grade."},
        format="json",
    )
    pi.patch(f"/api/v1/applications/{application.pk}/", {"funder": "MRC"}, format="json")
    full = {e["kind"] for e in timeline(pi, application).json()["results"]}
    assert {"feedback_answered", "edited"} <= full
    owners = {e["kind"] for e in timeline(client_for(world.owner), application).json()["results"]}
    assert "submitted" in owners
    assert not owners & {"feedback_answered", "edited"}


def test_timeline_is_paginated_oldest_first_and_bounded(world, client_for):
    application = world.at(State.IN_REVIEW)
    pi = client_for(world.pi)
    url = f"/api/v1/applications/{application.pk}/timeline/"
    expected = list(
        Event.objects.filter(application=application)
        .order_by("created_at", "id")
        .values_list("id", flat=True)
    )
    assert len(expected) > 4
    seen, page = [], pi.get(url, {"page_size": 2}).json()
    while True:
        assert page["count"] == len(expected)
        assert len(page["results"]) <= 2
        seen += [e["id"] for e in page["results"]]
        if not page["next"]:
            break
        page = pi.get(page["next"]).json()
    assert seen == expected
    # At most the paginator's largest page, however many events there are.
    big = pi.get(url, {"page_size": 10_000}).json()
    assert len(big["results"]) == len(expected) <= 200
    assert pi.get(url, {"page": 99}).status_code == 404


# --- amendments on the timeline ------------------------------------------------------------------


def test_the_timeline_shows_each_amendment_in_order_with_the_applications_events(client_for):
    from tests.support.amendments import Amendments
    from workflow.audit_check import verify

    a = Amendments()
    a.amend_and_decide()
    events = timeline(client_for(a.pi), a.project).json()["results"]
    amendment = [e for e in events if e["chain"] == "amendment"]
    assert [e["kind_label"] for e in amendment] == [
        "Amendment 1 asked for",
        "Amendment 1 submitted",
        "Amendment 1: The Independent Governance Review Panel (IGRP) decided: approved",
        "Amendment 1 approved",
    ]
    # Not the drafting nor the panel's votes (those are for the panel).
    assert "vote" not in {e["transition"] for e in amendment}
    assert amendment[-1]["actor_role"] == "system"
    assert amendment[0]["actor_name"] == "Priya Investigator"
    # One order for both chains: by time, the application's events and the amendment's.
    times = [e["created_at"] for e in events]
    assert times == sorted(times)
    assert events[0]["chain"] == "application"
    # Both chains are untouched: the timeline only reads them.
    assert verify(application=a.project.pk).breaks == []
    assert verify().breaks == []


def test_the_timeline_pages_through_both_chains_without_gaps_or_repeats(client_for):
    from tests.support.amendments import Amendments

    a = Amendments()
    a.amend_and_decide(2)
    pi = client_for(a.pi)
    whole = timeline(pi, a.project).json()
    assert whole["count"] == len(whole["results"])
    seen, url = [], f"/api/v1/applications/{a.project.pk}/timeline/?page_size=3"
    while url:
        page = pi.get(url).json()
        assert page["count"] == whole["count"]
        seen += [(e["chain"], e["id"]) for e in page["results"]]
        url = page["next"]
    assert seen == [(e["chain"], e["id"]) for e in whole["results"]]
    assert sum(1 for source, _ in seen if source == "amendment") == 8


def test_the_timeline_reads_as_many_queries_whatever_the_number_of_amendments(client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.support.amendments import Amendments

    a = Amendments()
    a.amend_and_decide()
    pi = client_for(a.pi)
    url = f"/api/v1/applications/{a.project.pk}/timeline/"
    pi.get(url)  # warm whatever is cached per process
    with CaptureQueriesContext(connection) as one:
        assert pi.get(url).status_code == 200
    a.amend_and_decide(3, first=1)
    with CaptureQueriesContext(connection) as four:
        body = pi.get(url).json()
    assert sum(1 for e in body["results"] if e["chain"] == "amendment") == 16
    assert len(four) == len(one)


def test_a_data_owner_does_not_see_the_amendments_on_the_timeline(client_for):
    from tests.support.amendments import Amendments

    a = Amendments()
    a.amend_and_decide()
    response = timeline(client_for(a.world.owner), a.project)
    assert response.status_code == 200
    assert {e["chain"] for e in response.json()["results"]} == {"application"}
