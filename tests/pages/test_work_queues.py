"""The staff work queues at scale: a page at a time, soonest due first, filtered and counted per
stage, for the same number of queries whatever the number of applications (issue 24)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

import core.web
from workflow.models import Application, ApplicationMember, ProjectRole, State

pytestmark = pytest.mark.django_db

# (who, page, the state that puts an application in their queue)
QUEUES = [
    ("ops", "/ops/", State.SCOPING),
    ("reviewer", "/reviews/internal/", State.INTERNAL_REVIEW),
    ("lay", "/reviews/panels/", State.IN_REVIEW),
    ("owner", "/owner/sign-off/", State.IN_REVIEW),
]

# The most queries each page may send, whatever the number of applications (the session, the
# person and their roles, the navigation's counts, the queue's counts and page).
CEILING = {
    "/ops/": 9,
    "/scoping/": 7,
    "/reviews/internal/": 7,
    "/reviews/panels/": 11,  # and whether the reader sits on the consumer panel
    "/owner/sign-off/": 8,
}


def _queries(client, path: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content.decode()[-2000:]
    return len(captured), response.content.decode()


@pytest.mark.parametrize(("who", "path", "state"), QUEUES)
def test_a_queue_costs_the_same_queries_for_n_and_3n_applications(
    page_client, world, who, path, state
):
    made = [world.at(state) for _ in range(2)]
    client = page_client(getattr(world, who))
    few, body = _queries(client, path)
    assert all(app.reference in body for app in made)
    made += [world.at(state) for _ in range(4)]
    many, body = _queries(client, path)
    assert all(app.reference in body for app in made)
    assert many == few
    assert many <= CEILING[path]


def test_the_analysts_queue_costs_the_same_queries_for_n_and_3n(page_client, world):
    first = world.at(State.SCOPING)
    analyst = Application.objects.get(pk=first.pk).analyst
    client = page_client(analyst)
    few, _ = _queries(client, "/scoping/")
    for _ in range(4):
        world.at(State.SCOPING)
    many, body = _queries(client, "/scoping/")
    assert first.reference in body
    assert many == few <= CEILING["/scoping/"]


def test_ops_pages_through_in_progress_work_soonest_due_first(page_client, world, monkeypatch):
    monkeypatch.setattr(core.web, "PAGE_SIZE", 2)
    made = [world.at(State.SCOPING) for _ in range(5)]
    client = page_client(world.ops)
    first = client.get("/ops/").content.decode()
    assert "5 in all, page 1 of 3" in first
    assert 'aria-label="Page 3"' in first
    assert 'rel="next"' in first
    # Same due date (same day, same target): longest in the stage first.
    assert made[0].reference in first
    assert made[4].reference not in first
    last = client.get("/ops/?page=3").content.decode()
    assert made[4].reference in last
    assert made[0].reference not in last
    # A page past the end, or not a number, is the nearest page, not an error.
    assert client.get("/ops/?page=99").status_code == 200
    assert client.get("/ops/?page=x").status_code == 200


def test_ops_in_progress_leaves_out_drafts_live_and_finished_projects(page_client, world):
    scoping = world.at(State.SCOPING)
    draft = world.at(State.DRAFT)
    active = world.at(State.ACTIVE)
    withdrawn = world.at(State.WITHDRAWN)
    body = page_client(world.ops).get("/ops/").content.decode()
    assert scoping.reference in body
    for left_out in (draft, active, withdrawn):
        assert left_out.reference not in body


def test_ops_filters_by_stage_analyst_and_text_with_counts_per_stage(page_client, world):
    scoping = world.at(State.SCOPING)
    review = world.at(State.INTERNAL_REVIEW, title="Attainment and school meals")
    client = page_client(world.ops)
    body = client.get("/ops/").content.decode()
    assert 'Scoping with an analyst <span class="tre-stage-counts__n">1</span>' in body
    assert 'Internal review <span class="tre-stage-counts__n">1</span>' in body
    only_review = client.get("/ops/?stage=internal_review").content.decode()
    assert review.reference in only_review
    assert scoping.reference not in only_review
    found = client.get("/ops/?q=school+meals").content.decode()
    assert review.reference in found
    assert scoping.reference not in found
    analyst = Application.objects.get(pk=scoping.pk).analyst
    theirs = client.get(f"/ops/?analyst={analyst.pk}").content.decode()
    assert scoping.reference in theirs
    nobody = client.get("/ops/?analyst=none").content.decode()
    assert scoping.reference not in nobody
    assert "No applications in progress match." in nobody
    # Nothing is late yet: stage clocks started today.
    assert scoping.reference not in client.get("/ops/?late=on").content.decode()


@pytest.mark.parametrize("query", ["analyst=abc", "stage=nonsense", "q=" + "x" * 101])
def test_a_filter_that_makes_no_sense_is_a_400_with_the_message(page_client, world, query):
    response = page_client(world.ops).get(f"/ops/?{query}")
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()


def test_the_analyst_sees_work_waiting_for_them_and_can_ask_for_work_with_the_team(
    page_client, world
):
    waiting = world.at(State.SCOPING)
    analyst = Application.objects.get(pk=waiting.pk).analyst
    with_team = world.at(State.CHANGES_REQUESTED)
    Application.objects.filter(pk=with_team.pk).update(analyst=analyst)
    client = page_client(analyst)
    body = client.get("/scoping/").content.decode()
    assert waiting.reference in body
    assert with_team.reference not in body
    assert 'Changes requested <span class="tre-stage-counts__n">1</span>' in body
    sent_back = client.get("/scoping/?stage=changes_requested").content.decode()
    assert with_team.reference in sent_back
    assert waiting.reference not in sent_back


def test_a_reviewer_does_not_see_their_own_application_in_the_queue(page_client, world):
    theirs = world.at(State.INTERNAL_REVIEW)
    other = world.at(State.INTERNAL_REVIEW)
    ApplicationMember.objects.create(
        application=theirs, user=world.reviewer, project_role=ProjectRole.CO_INVESTIGATOR
    )
    body = page_client(world.reviewer).get("/reviews/internal/").content.decode()
    assert other.reference in body
    assert theirs.reference not in body


def test_my_applications_costs_the_same_queries_for_n_and_3n_applications(page_client, world):
    """Each row's next step for the person (their own missing accreditation, say) is worked
    out from what the list read once, not from queries per row."""
    states = (State.SCOPING, State.INTERNAL_REVIEW, State.IN_REVIEW)
    made = [world.at(state) for state in states]
    client = page_client(world.pi)
    few, body = _queries(client, "/applications/")
    assert all(app.reference in body for app in made)
    made += [world.at(state) for state in states * 2]
    many, body = _queries(client, "/applications/")
    assert all(app.reference in body for app in made)
    assert many == few <= 12


def test_own_accreditations_say_what_safe_people_says_of_the_person(world):
    from access.models import Accreditation, AccreditationState
    from workflow.safes.selectors import OwnAccreditations, safe_people

    made = [world.at(state) for state in (State.SCOPING, State.IN_REVIEW)]
    # The person's accreditations back to waiting for a decision: missing, and applied for.
    Accreditation.objects.filter(person=world.pi).update(state=AccreditationState.APPLIED)
    own = OwnAccreditations(world.pi)
    for application in Application.objects.filter(pk__in=[a.pk for a in made]).prefetch_related(
        "requested_datasets"
    ):
        (expected,) = [r for r in safe_people(application) if r["person"].pk == world.pi.pk]
        assert expected["applied"]
        assert own.row(application) == expected
