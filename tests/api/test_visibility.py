"""Who sees which applications, and how much of them; lists and details agree."""

from __future__ import annotations

import json

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from access.models import User
from tests.factories.workflow import World
from workflow.models import Application, ApplicationMember, Event, State, TrackKind
from workflow.reviews import services as reviews_services
from workflow.route import services as route_services

pytestmark = pytest.mark.django_db

LIST = "/api/v1/applications/"


@pytest.fixture
def world():
    return World()


def listed(client) -> set[int]:
    response = client.get(LIST, {"page_size": 200})
    assert response.status_code == 200, response.json()
    return {a["id"] for a in response.json()["results"]}


def detail_status(client, application: Application) -> int:
    return client.get(f"{LIST}{application.pk}/").status_code


def test_members_see_their_applications_and_outsiders_see_none(world, client_for):
    draft = world.at(State.DRAFT)
    scoped = world.at(State.SCOPING)
    for user in (world.pi, world.colleague):
        assert listed(client_for(user)) == {draft.pk, scoped.pk}
    outsider = client_for(world.outsider)
    assert listed(outsider) == set()
    assert detail_status(outsider, draft) == 404
    assert detail_status(outsider, scoped) == 404


def test_anonymous_gets_401_for_list_and_detail(world):
    application = world.at(State.SCOPING)
    client = APIClient()
    assert client.get(LIST).status_code == 401
    assert detail_status(client, application) == 401


def test_analyst_sees_assigned_applications_until_reassigned(world, client_for):
    draft = world.at(State.DRAFT)
    scoped = world.at(State.SCOPING)
    analyst, other = client_for(world.analyst), client_for(world.analyst2)
    assert listed(analyst) == {scoped.pk}
    assert detail_status(analyst, draft) == 404
    assert listed(other) == set()
    assert detail_status(other, scoped) == 404

    route_services.application_assign_analyst(
        application=scoped, by=world.ops, analyst=world.analyst2
    )
    assert listed(analyst) == set()
    assert detail_status(analyst, scoped) == 404
    assert listed(other) == {scoped.pk}


def test_reviewer_sees_applications_only_once_they_reach_internal_review(world, client_for):
    hidden = [world.at(s) for s in (State.DRAFT, State.SCOPING, State.CHANGES_REQUESTED)]
    shown = [world.at(s) for s in (State.INTERNAL_REVIEW, State.IN_REVIEW, State.APPROVED)]
    reviewer = client_for(world.reviewer)
    assert listed(reviewer) == {a.pk for a in shown}
    for application in hidden:
        assert detail_status(reviewer, application) == 404


def test_reviewer_keeps_seeing_an_application_sent_back_from_internal_review(world, client_for):
    application = world.at(State.INTERNAL_REVIEW)
    route_services.application_request_changes(
        application=application,
        by=world.reviewer,
        items=[{"section": "public_benefit", "text": "Who benefits?"}],
    )
    assert listed(client_for(world.reviewer)) == {application.pk}


def test_reached_review_is_kept_with_the_scoping_completed_event(world):
    """The reviewers' rule is a column (``reached_review``) written with the event it follows
    from, so it says exactly what the events say."""
    from workflow.models import Application, Event, EventKind

    for state in (State.SCOPING, State.INTERNAL_REVIEW, State.REJECTED, State.ACTIVE):
        world.at(state)
    by_event = set(
        Event.objects.filter(kind=EventKind.SCOPING_COMPLETED).values_list(
            "application_id", flat=True
        )
    )
    assert by_event
    assert set(Application.objects.filter(reached_review=True).values_list("pk", flat=True)) == (
        by_event
    )


def test_panel_member_sees_the_applications_their_panel_reviews_or_reviewed(world, client_for):
    before = world.at(State.INTERNAL_REVIEW)
    open_track = world.at(State.IN_REVIEW)
    decided = world.at(State.APPROVED)
    panel = client_for(world.panel)
    assert listed(panel) == {open_track.pk, decided.pk}
    assert detail_status(panel, before) == 404
    assert detail_status(panel, decided) == 200

    # Once the panel has decided, it keeps sight of what it decided (read-only).
    igrp = open_track.tracks.get(kind=TrackKind.IGRP)
    world.decide(igrp, "approved")
    assert listed(panel) == {open_track.pk, decided.pk}
    # A member who has left the panel does not.
    world.panel.panel_memberships.update(left_on=timezone.localdate())
    assert listed(client_for(world.panel)) == set()


def test_data_owner_sees_submitted_applications_requesting_their_data(world, client_for):
    world.add_health_provider()
    draft = world.at(State.DRAFT)
    theirs = world.at(State.SCOPING)
    elsewhere = world.draft(
        datasets=[d for d in world.both_datasets() if d["dataset"] == world.dataset2]
    )
    route_services.application_submit(application=elsewhere, by=world.pi)
    owner = client_for(world.owner)
    assert listed(owner) == {theirs.pk}
    assert detail_status(owner, draft) == 404
    assert detail_status(owner, elsewhere) == 404
    assert listed(client_for(world.owner2)) == {elsewhere.pk}


@pytest.fixture
def two_providers(world):
    """An application in review that asks both providers for data (three tracks)."""
    world.add_health_provider()
    return world.at(State.IN_REVIEW, datasets=world.both_datasets())


def test_data_owner_sees_only_their_own_organisation_parts(world, two_providers, client_for):
    application = two_providers
    owner = client_for(world.owner)
    body = owner.get(f"{LIST}{application.pk}/").json()
    assert [d["dataset"] for d in body["datasets"]] == ["education"]
    assert [(t["kind"], t["organisation"]["slug"]) for t in body["tracks"]] == [
        ("owner_signoff", "welsh-gov")
    ]
    tracks = owner.get("/api/v1/review-tracks/").json()["results"]
    assert [t["organisation"]["slug"] for t in tracks] == ["welsh-gov"]
    other_track = application.tracks.get(organisation=world.provider2)
    assert owner.get(f"/api/v1/review-tracks/{other_track.pk}/").status_code == 404

    # The whole application is shown to people who see all of it.
    full = client_for(world.pi).get(f"{LIST}{application.pk}/").json()
    assert {d["dataset"] for d in full["datasets"]} == {"education", "admissions"}
    assert len(full["tracks"]) == 3


@pytest.mark.parametrize("path", ["versions/", "versions/1/", "feedback/", "diff/?from=1&to=1"])
def test_data_owner_cannot_read_whole_versions_or_feedback(world, two_providers, client_for, path):
    response = client_for(world.owner).get(f"{LIST}{two_providers.pk}/{path}")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert client_for(world.pi).get(f"{LIST}{two_providers.pk}/{path}").status_code == 200


def test_data_owner_timeline_hides_other_owners_tracks(world, two_providers, client_for):
    application = two_providers
    mine = application.tracks.get(organisation=world.provider)
    theirs = application.tracks.get(organisation=world.provider2)
    reviews_services.review_track_decide(track=mine, by=world.owner, outcome="approved")
    reviews_services.review_track_decide(track=theirs, by=world.owner2, outcome="approved")
    seen = client_for(world.owner).get(f"{LIST}{application.pk}/timeline/").json()["results"]
    assert mine.pk in {e["track"] for e in seen}
    assert theirs.pk not in {e["track"] for e in seen}
    assert "edited" not in {e["kind"] for e in seen}
    everything = client_for(world.ops).get(f"{LIST}{application.pk}/timeline/").json()["results"]
    assert {mine.pk, theirs.pk} <= {e["track"] for e in everything}


def test_ops_see_every_application(world, client_for):
    applications = [world.at(s) for s in (State.DRAFT, State.SCOPING, State.WITHDRAWN)]
    assert listed(client_for(world.ops)) == {a.pk for a in applications}


def test_list_and_detail_agree_for_everyone(world, client_for):
    world.add_health_provider()
    states = (State.DRAFT, State.SCOPING, State.INTERNAL_REVIEW, State.IN_REVIEW, State.ACTIVE)
    applications = [world.at(s) for s in states]
    applications.append(world.at(State.IN_REVIEW, datasets=world.both_datasets()))
    people = [
        world.pi,
        world.outsider,
        world.analyst,
        world.analyst2,
        world.reviewer,
        world.panel,
        world.owner,
        world.owner2,
        world.ops,
    ]
    for person in people:
        client = client_for(person)
        visible = listed(client)
        for application in applications:
            want = 200 if application.pk in visible else 404
            assert detail_status(client, application) == want, (str(person), application.state)
    # The test means something: different people see different things.
    assert len({frozenset(listed(client_for(p))) for p in people}) >= 5


def test_detail_written_directly_says_what_drf_says(world, client_for):
    """The detail is written directly from rows (``ApplicationSerializer.to_representation``):
    for every viewer, it must equal DRF's field-by-field representation of the same model,
    with datasets, variables, decided and open tracks, and an owner's filtered view."""
    from workflow.route.selectors import application_detail_queryset, view_of
    from workflow.route.serializers import ApplicationSerializer

    world.add_health_provider()
    both = world.at(State.IN_REVIEW, datasets=world.both_datasets())
    world.decide(
        both.tracks.get(organisation=world.provider),
        "approved_with_conditions",
        conditions=["Cite"],
    )
    applications = [world.at(State.DRAFT), world.at(State.ACTIVE), both]
    compared = 0
    for person in (world.pi, world.analyst, world.owner, world.owner2, world.ops):
        client = client_for(person)
        for application in applications:
            response = client.get(f"{LIST}{application.pk}/")
            if response.status_code == 404:
                continue
            model = application_detail_queryset().get(pk=application.pk)
            context = {"view": view_of(person, model)}
            expected = ApplicationSerializer(model, context=context).fields_representation(model)
            # Through JSON, as the client receives both.
            assert response.json() == json.loads(json.dumps(expected, cls=DjangoJSONEncoder))
            compared += 1
    assert compared >= 9
    # The comparison covers what matters: variables, a decided track, an owner's filtered view.
    full = client_for(world.ops).get(f"{LIST}{both.pk}/").json()
    assert [len(d["variables"]) for d in full["datasets"]] == [2, 2]
    assert any(t["decided_by"] and t["conditions"] == ["Cite"] for t in full["tracks"])
    assert len(client_for(world.owner).get(f"{LIST}{both.pk}/").json()["tracks"]) == 1


def count_list_queries(user: User) -> int:
    client = APIClient()
    client.force_authenticate(user=User.objects.get(pk=user.pk))  # no cached roles
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST)
    assert response.status_code == 200
    return len(queries)


def test_list_costs_the_same_number_of_queries_for_2_or_12_applications(world):
    people = [world.pi, world.analyst, world.reviewer, world.panel, world.owner, world.ops]
    for _ in range(2):
        world.at(State.IN_REVIEW)
    with_two = {str(p): count_list_queries(p) for p in people}
    for _ in range(10):
        world.at(State.IN_REVIEW)
    with_twelve = {str(p): count_list_queries(p) for p in people}
    assert with_two == with_twelve
    assert Application.objects.count() == 12


# Ceilings per endpoint (docs/benchmarks.md measures the same on 10,000 applications). Here
# the user is forced in, so the roles are a query of their own (a token brings them along).
# The list: roles, then the page with its total. The detail: roles, the application, its
# analyst and lead organisation, members, datasets, their variables and tracks, and whether
# the caller is a member. A query
# per row never fits under them once there are 1,000 rows.
LIST_QUERY_CEILING = 2
DETAIL_QUERY_CEILING = 8


def count_queries(user: User, path: str) -> int:
    client = APIClient()
    client.force_authenticate(user=User.objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


def add_copies(application: Application, copies: int) -> None:
    """``copies`` more applications like ``application``, with the same principal
    investigator, written in bulk (the route per copy would take minutes)."""
    fields = {
        f.attname: getattr(application, f.attname)
        for f in Application._meta.concrete_fields
        if f.attname not in ("id", "reference")
    }
    start = Application.objects.count()
    created = Application.objects.bulk_create(
        [Application(**fields, reference=f"COPY-{start + i}") for i in range(copies)]
    )
    pi = application.members.get(project_role="principal_investigator")
    ApplicationMember.objects.bulk_create(
        [
            ApplicationMember(application=copy, user_id=pi.user_id, project_role=pi.project_role)
            for copy in created
        ]
    )


def add_events(application: Application, count: int) -> None:
    now = timezone.now()  # Event.save() stamps the time; bulk_create does not call it
    Event.objects.bulk_create(
        [
            Event(
                application=application,
                kind="edited",
                actor_name="Test",
                actor_role="researcher",
                created_at=now,
            )
            for _ in range(count)
        ]
    )


def test_list_and_detail_cost_the_same_queries_for_10_or_1000_rows(world):
    """The list (a page of 50 of 10 or 1,000 applications) and the detail (an application
    with 10 or 1,000 events) issue the same number of queries, under a ceiling."""
    application = world.at(State.IN_REVIEW)
    detail = f"{LIST}{application.pk}/"
    people = [world.pi, world.ops]
    add_copies(application, 9)
    add_events(application, 10 - application.events.count())
    small = {str(p): (count_queries(p, LIST), count_queries(p, detail)) for p in people}
    add_copies(application, 990)
    add_events(application, 990)
    assert Application.objects.count() == 1000
    assert application.events.count() == 1000
    large = {str(p): (count_queries(p, LIST), count_queries(p, detail)) for p in people}
    assert small == large
    for listed_queries, detail_queries in large.values():
        assert listed_queries <= LIST_QUERY_CEILING
        assert detail_queries <= DETAIL_QUERY_CEILING


def test_list_rows_say_what_the_detail_says(world, client_for):
    """The list reads rows, not models, and writes them itself: every field it shows must be
    what the detail shows, timestamps included (in British Summer Time as in winter)."""
    import datetime

    import time_machine

    summer = datetime.datetime(2026, 7, 14, 13, 5, 7, 123456, tzinfo=datetime.UTC)
    with time_machine.travel(summer, tick=False):
        in_summer = world.at(State.INTERNAL_REVIEW)
    applications = [world.at(State.DRAFT), world.at(State.SCOPING), in_summer]
    client = client_for(world.ops)
    rows = {r["id"]: r for r in client.get(LIST, {"page_size": 200}).json()["results"]}
    assert set(rows) == {a.pk for a in applications}
    for application in applications:
        row = rows[application.pk]
        detail = client.get(f"{LIST}{application.pk}/").json()
        shared = set(row) - {"principal_investigator"}
        assert {k: row[k] for k in shared} == {k: detail[k] for k in shared}
        (pi,) = [m for m in detail["members"] if m["project_role"] == "principal_investigator"]
        assert row["principal_investigator"] == pi["user"]
    assert rows[in_summer.pk]["updated_at"].endswith("+01:00")
    assert rows[applications[0].pk]["submitted_at"] is None
    assert rows[applications[0].pk]["analyst"] is None
    assert rows[applications[1].pk]["analyst"]["full_name"] == world.analyst.full_name
