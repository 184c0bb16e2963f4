"""The output checks list at scale (issue 24): the checkers' queue and "All requests you can see"
a page at a time, for the same number of queries whatever the number of requests."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

import core.web
from tests.support.outputs import PASSING_TABLE, Outputs, upload
from workflow.output_checks import services
from workflow.output_checks import views as output_views

pytestmark = pytest.mark.django_db

# The session, the person and their roles, the navigation, the projects, the queue's page (and
# its total when full), the list's page with its total.
CEILING = 9


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _submitted(o: Outputs, title: str):
    request = services.output_request_create(application=o.project, by=o.pi, title=title)
    services.output_file_add(
        output_request=request,
        by=o.pi,
        upload=upload("t.csv", PASSING_TABLE),
        description="A table",
    )
    services.output_request_submit(output_request=request, by=o.pi)
    return request


def _get(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/output-checks/")
    assert response.status_code == 200
    return len(captured), response.content.decode()


@pytest.mark.parametrize("who", ["checker1", "pi", "colleague"])
def test_the_list_costs_the_same_queries_for_n_and_3n_requests(page_client, who):
    o = Outputs()
    client = page_client(getattr(o, who))
    for n in range(2):
        _submitted(o, f"Tables {n}")
    few, body = _get(client)
    assert "Tables 1" in body
    for n in range(2, 6):
        _submitted(o, f"Tables {n}")
    many, body = _get(client)
    assert "Tables 5" in body
    assert many == few <= CEILING, (few, many)


def test_the_queue_and_the_list_are_a_page_at_a_time(page_client, monkeypatch):
    monkeypatch.setattr(core.web, "PAGE_SIZE", 2)
    monkeypatch.setattr(output_views, "WAITING_SHOWN", 2)
    o = Outputs()
    for n in range(5):
        _submitted(o, f"Tables {n}")
    client = page_client(o.checker1)
    body = client.get("/output-checks/").content.decode()
    # The queue: the two waiting longest, and how many wait.
    assert "5 requests waiting; the 2 waiting longest are shown" in body
    # Every request, newest first, a page at a time.
    assert 'aria-label="Page 3"' in body
    last = client.get("/output-checks/?page=3").content.decode()
    assert last.count(">Tables 0</a>") == 2  # the queue's oldest, and the list's last page
    # A checker on the team never sees their own project's requests in the queue.
    colleague = page_client(o.colleague).get("/output-checks/").content.decode()
    assert "No request is waiting for a checker." in colleague
