"""Honest answers after a commit, on real PostgreSQL with real killed connections.

The outside probe killed the app's backends in a loop while creating applications: 31 of 113
answers said 503 "Nothing was changed" for a change that had been committed, because the view
read the application again after the service's commit. Here the backend serving the request is
terminated (``pg_terminate_backend`` from another connection) at chosen points: just after
the commit, just before it, and in the middle of the transaction. And a retry with the same
``Idempotency-Key`` replays the first answer instead of making the change twice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
import pytest
import time_machine
from django.conf import settings
from django.db import connection, transaction
from django.db.models.signals import post_save
from rest_framework.test import APIClient

from tests.factories import make_user
from tests.factories.workflow import World
from workflow.models import Application, State, TrackKind, Vote

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="kills PostgreSQL backends"),
]


def kill_this_connection() -> None:
    """Terminate the backend of Django's connection in this thread, from another connection,
    and wait until it is gone: the next statement (or COMMIT) on it fails as in an outage."""
    pid = connection.connection.info.backend_pid
    params = settings.DATABASES["default"]
    with psycopg.connect(
        dbname=connection.settings_dict["NAME"],
        user=params["USER"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(200):
            alive = admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
            if not alive:
                return
            time.sleep(0.01)
    raise AssertionError("the backend did not go away")


@contextmanager
def kill_after(statement: Callable[[str], bool]) -> Iterator[None]:
    """Kill this thread's connection right after the first statement that ``statement``
    matches has run (a Django execute wrapper: the real statement, then the real kill)."""
    done = []

    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not done and statement(sql):
            done.append(sql)
            kill_this_connection()
        return result

    with connection.execute_wrapper(wrapper):
        yield
    assert done, "the statement to kill after never ran"


@contextmanager
def kill_after_commit(model) -> Iterator[None]:
    """Kill this thread's connection as soon as the transaction that saved a ``model`` row
    commits (before anything else runs after the commit)."""

    def saved(sender, instance, created, **kwargs):
        if created:
            transaction.on_commit(kill_this_connection)

    post_save.connect(saved, sender=model, weak=False)
    try:
        yield
    finally:
        post_save.disconnect(saved, sender=model)


def reconnect() -> None:
    connection.close()


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def researcher(world):
    return make_user("researcher")


@pytest.fixture
def api(researcher) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=researcher)
    return client


def titled(title: str) -> int:
    return Application.objects.filter(title=title).count()


# --- the 503 after a commit ---------------------------------------------------------------


def test_a_connection_killed_just_after_the_commit_still_answers_what_was_saved(api):
    with kill_after_commit(Application):
        response = api.post("/api/v1/applications/", {"title": "Killed after commit"})
    reconnect()
    # Before: the view read the application again after the commit, on the dead connection,
    # and answered 503 "Nothing was changed" for a row that existed.
    assert response.status_code == 201, response.json()
    assert response.json()["title"] == "Killed after commit"
    assert titled("Killed after commit") == 1


def test_a_connection_killed_just_before_the_commit_answers_outcome_unknown(api):
    key = {"HTTP_IDEMPOTENCY_KEY": "create-before-commit-1"}
    # The stored answer is the transaction's last write: kill right after it, so the COMMIT
    # itself is what fails.
    with kill_after(lambda sql: sql.startswith('UPDATE "core_idempotencykey"')):
        response = api.post("/api/v1/applications/", {"title": "Killed at commit"}, **key)
    reconnect()
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "outcome_unknown"
    assert "Nothing was changed" not in body["detail"]
    assert "may or may not have been saved" in body["detail"]
    # The retry the answer recommends, with the same key: exactly one application.
    retry = api.post("/api/v1/applications/", {"title": "Killed at commit"}, **key)
    assert retry.status_code == 201
    assert titled("Killed at commit") == 1


def test_a_connection_killed_mid_transaction_says_nothing_was_changed(api):
    with kill_after(lambda sql: sql.startswith('INSERT INTO "workflow_application"')):
        response = api.post("/api/v1/applications/", {"title": "Killed mid-way"})
    reconnect()
    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"
    assert "Nothing was changed" in response.json()["detail"]
    assert titled("Killed mid-way") == 0  # and that is true


def test_a_transition_killed_after_its_commit_answers_the_new_state(world):
    application = world.draft()
    client = APIClient()
    client.force_authenticate(user=application.created_by)
    with kill_after_commit(Application.versions.rel.related_model):
        response = client.post(f"/api/v1/applications/{application.pk}/submit/")
    reconnect()
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == State.SCOPING
    application.refresh_from_db()
    assert application.state == State.SCOPING


def test_a_vote_killed_after_its_commit_answers_the_vote(world):
    """The other topics' writes answer from inside their transaction too (``@idempotent``)."""
    igrp = world.at(State.IN_REVIEW).tracks.get(kind=TrackKind.IGRP)
    client = APIClient()
    client.force_authenticate(user=world.lay)
    with kill_after_commit(Vote):
        response = client.post(
            f"/api/v1/review-tracks/{igrp.pk}/votes/", {"choice": "approved"}, format="json"
        )
    reconnect()
    assert response.status_code == 201, response.json()
    assert response.json()["choice"] == "approved"
    assert Vote.objects.filter(track=igrp, member=world.lay).exists()


# --- Idempotency-Key ------------------------------------------------------------------------


def test_a_create_retried_with_the_same_key_is_made_once(api):
    key = {"HTTP_IDEMPOTENCY_KEY": "3f6c1e2a-create"}
    first = api.post("/api/v1/applications/", {"title": "Once only"}, **key)
    again = api.post("/api/v1/applications/", {"title": "Once only"}, **key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert titled("Once only") == 1


def test_a_transition_retried_with_the_same_key_replays_instead_of_409(world):
    application = world.draft()
    client = APIClient()
    client.force_authenticate(user=application.created_by)
    key = {"HTTP_IDEMPOTENCY_KEY": "submit-1"}
    url = f"/api/v1/applications/{application.pk}/submit/"
    first = client.post(url, **key)
    again = client.post(url, **key)
    assert first.status_code == again.status_code == 200
    assert again.json()["state"] == State.SCOPING
    assert client.post(url).status_code == 409  # without the key, it is a second submit
    assert application.events.filter(transition="submit").count() == 1


def test_the_same_key_with_another_body_is_refused_in_the_error_shape(api):
    key = {"HTTP_IDEMPOTENCY_KEY": "reused"}
    assert api.post("/api/v1/applications/", {"title": "First"}, **key).status_code == 201
    response = api.post("/api/v1/applications/", {"title": "Second"}, **key)
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert set(response.json()) == {"code", "detail", "fields"}
    assert titled("Second") == 0


def test_keys_are_per_person(api):
    other = APIClient()
    other.force_authenticate(user=make_user("researcher"))
    key = {"HTTP_IDEMPOTENCY_KEY": "shared-by-chance"}
    assert api.post("/api/v1/applications/", {"title": "Mine"}, **key).status_code == 201
    response = other.post("/api/v1/applications/", {"title": "Mine"}, **key)
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert titled("Mine") == 2


def test_an_invalid_key_is_refused(api):
    response = api.post("/api/v1/applications/", {"title": "x"}, HTTP_IDEMPOTENCY_KEY="a b")
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["fields"]


def test_a_key_expires(api, settings):
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 24
    key = {"HTTP_IDEMPOTENCY_KEY": "expires"}
    assert api.post("/api/v1/applications/", {"title": "Twice a day"}, **key).status_code == 201
    with time_machine.travel(time.time() + 25 * 3600, tick=True):
        response = api.post("/api/v1/applications/", {"title": "Twice a day"}, **key)
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert titled("Twice a day") == 2


def test_concurrent_requests_with_one_key_make_one_change(researcher):
    """The first request holds its transaction open after claiming the key; the second,
    released at the same moment, waits on the key's unique index and then replays."""
    barrier = threading.Barrier(2)
    answers: list = [None, None]

    def slow_after_claim(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith('INSERT INTO "core_idempotencykey"'):
            time.sleep(0.5)
        return result

    def post(index: int) -> None:
        client = APIClient()
        client.force_authenticate(user=researcher)
        try:
            connection.ensure_connection()
            barrier.wait(timeout=10)
            if index == 0:
                with connection.execute_wrapper(slow_after_claim):
                    answers[index] = client.post(
                        "/api/v1/applications/", {"title": "Raced"}, HTTP_IDEMPOTENCY_KEY="race"
                    )
            else:
                time.sleep(0.1)  # let the first claim the key
                answers[index] = client.post(
                    "/api/v1/applications/", {"title": "Raced"}, HTTP_IDEMPOTENCY_KEY="race"
                )
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert answers[1]["Idempotent-Replayed"] == "true"
    assert titled("Raced") == 1


def test_expired_keys_are_purged(api):
    from core.models import IdempotencyKey
    from core.tasks import purge_idempotency_keys

    api.post("/api/v1/applications/", {"title": "Kept a day"}, HTTP_IDEMPOTENCY_KEY="purge-me")
    assert purge_idempotency_keys() == 0
    with time_machine.travel(time.time() + 25 * 3600, tick=True):
        assert purge_idempotency_keys() == 1
    assert not IdempotencyKey.objects.exists()
