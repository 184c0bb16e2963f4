from __future__ import annotations

import pytest
from django.test import Client

from tests.factories.workflow import World


@pytest.fixture
def world(db) -> World:
    return World()


@pytest.fixture
def page_client():
    """A Django test client signed in as ``user`` (``None``: signed out)."""

    def make(user=None, *, htmx: bool = False) -> Client:
        client = Client(headers={"HX-Request": "true"} if htmx else {})
        if user is not None:
            client.force_login(user)
        return client

    return make
