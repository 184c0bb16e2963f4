"""The WSGI (gunicorn) and ASGI entry points load the project."""

import importlib


def test_wsgi_application_loads():
    assert callable(importlib.import_module("config.wsgi").application)


def test_asgi_application_loads():
    assert callable(importlib.import_module("config.asgi").application)
