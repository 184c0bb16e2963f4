"""The public register's CSV streamed and cacheable, and the public endpoints limited per client
address while signed out (issue 24)."""

from __future__ import annotations

import tracemalloc

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from workflow.models import RegisterEntry, State
from workflow.transparency import selectors
from workflow.transparency.register_csv import HEADER, lines_from_stored
from workflow.transparency.serializers import RegisterEntrySerializer, register_csv

pytestmark = pytest.mark.django_db

CSV = "/api/v1/register.csv"


@pytest.fixture
def world():
    from tests.factories.workflow import World

    return World()


def test_the_csv_is_streamed_with_the_cells_the_serializer_gave(world):
    world.at(State.ACTIVE)
    world.at(State.REJECTED, title="Another")
    response = APIClient().get(CSV)
    assert response.status_code == 200
    assert response.streaming
    entries = selectors.register_entries()
    assert response.getvalue().decode() == register_csv(
        RegisterEntrySerializer(entries, many=True).data
    )


def _register_queries(captured) -> list[str]:
    # The throttle's counts live in the cache (a table here, Redis in production): not ours.
    return [
        q["sql"]
        for q in captured.captured_queries
        if "tre_cache" not in q["sql"] and "SAVEPOINT" not in q["sql"]
    ]


def test_the_csv_costs_the_same_queries_for_n_and_3n_entries(world):
    world.at(State.ACTIVE)
    with CaptureQueriesContext(connection) as few:
        APIClient().get(CSV).getvalue()
    world.at(State.ACTIVE, title="Two")
    world.at(State.REJECTED, title="Three")
    with CaptureQueriesContext(connection) as many:
        APIClient().get(CSV).getvalue()
    assert len(_register_queries(many)) == len(_register_queries(few)) <= 5


def _peak_writing(entry: RegisterEntry, rows: int) -> tuple[int, int]:
    """The CSV of ``rows`` copies of the entry's stored row, read 100 at a time as the
    download reads them: (characters written, peak memory while writing)."""
    row = (entry.application_id, entry.status, entry.csv_cells, entry.csv_format)

    def batches():
        for _ in range(rows // 100):
            yield [row] * 100, {}

    tracemalloc.start()
    total = 0
    for chunk in lines_from_stored(batches(), lambda ids: {}, lambda kept: None):
        total += len(chunk)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return total, peak


def test_writing_the_csv_keeps_only_a_batch_in_memory(world):
    """Rows are written as they are read: the memory held while writing three times as many
    rows is the same, one batch, not the whole file."""
    entry = RegisterEntry.objects.get(application=world.at(State.ACTIVE))
    size, peak = _peak_writing(entry, 1000)
    size3, peak3 = _peak_writing(entry, 3000)
    assert size3 == 3 * size - 2 * len(HEADER)
    assert peak3 < 1.2 * peak


def test_the_csv_and_the_register_page_answer_304_until_the_register_changes(world):
    world.at(State.REJECTED)
    client = APIClient()
    first = client.get(CSV)
    first.getvalue()
    etag, modified = first["ETag"], first["Last-Modified"]
    assert first["Cache-Control"] == "public, max-age=300"
    again = client.get(CSV, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert client.get(CSV, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    # Another filter is another file.
    assert client.get(f"{CSV}?status=declined", HTTP_IF_NONE_MATCH=etag).status_code == 200
    page = Client().get("/register/")
    assert Client().get("/register/", HTTP_IF_NONE_MATCH=page["ETag"]).status_code == 304
    world.at(State.REJECTED, title="A second")
    changed = client.get(CSV, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert len(changed.getvalue().decode().splitlines()) == 3
    assert Client().get("/register/", HTTP_IF_NONE_MATCH=page["ETag"]).status_code == 200


def _status(client: Client, path: str) -> int:
    """The answer's status, its body read to the end (the test client closes a streamed answer,
    and the cached CSV's file with it, once its body is read, as a server does after sending)."""
    response = client.get(path)
    if response.streaming:
        b"".join(response.streaming_content)
    return response.status_code


@override_settings(
    REST_FRAMEWORK={
        **__import__("django.conf").conf.settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"login": "10/min", "anonymous": "3/min"},
    }
)
@pytest.mark.parametrize("path", [CSV, "/api/v1/register/", "/register/", "/how-to-get-access/"])
def test_a_signed_out_client_is_limited_and_a_signed_in_person_is_not(world, path):
    anonymous = Client()
    answers = [_status(anonymous, path) for _ in range(5)]
    assert answers[:3] == [200, 200, 200]
    assert answers[3:] == [429, 429]
    refused = anonymous.get(path)
    assert int(refused["Retry-After"]) >= 1
    if path.startswith("/api/"):
        assert refused.json()["code"] == "throttled"
    signed_in = Client()
    signed_in.force_login(world.pi)
    assert [_status(signed_in, path) for _ in range(5)] == [200] * 5
