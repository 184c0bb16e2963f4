"""Run tasks in-process for unit tests (integration tests use a real worker instead)."""

from __future__ import annotations

import pytest

from config.celery import app


@pytest.fixture
def celery_eager():
    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous
