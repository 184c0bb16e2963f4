"""A private Redis and real Celery workers for the integration tests that need them."""

from __future__ import annotations

import pytest

from tests.support.integration import OwnRedis, Workers, publish_to


@pytest.fixture
def redis_server(tmp_path):
    server = OwnRedis(tmp_path)
    server.start()
    publish_to(server.url)
    yield server
    publish_to(None)
    server.stop()


@pytest.fixture
def email_dir(tmp_path):
    directory = tmp_path / "emails"
    directory.mkdir()
    return directory


@pytest.fixture
def workers(transactional_db, redis_server, tmp_path, email_dir):
    # Requesting transactional_db first makes the workers die before the tables are flushed.
    pool = Workers(redis_server, tmp_path, email_dir)
    yield pool
    pool.kill_all()
