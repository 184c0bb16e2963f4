"""Validate an RO-Crate with roc-validator, offline.

The validator fetches the RO-Crate JSON-LD context (https://w3id.org/ro/crate/<v>/context) in
two places: its own "context is retrievable" check (through ``requests``) and rdflib's JSON-LD
parser (through rdflib's context loader). Its own offline mode (``offline=True``) only serves
what an earlier online run cached (``rocrate-validator cache warm``), so a machine that has
never been online would fail. Here both fetches are answered from the copy of the context the
``rocrate`` package ships (rocrate/data/ro-crate.jsonld), and any other network access fails
the test loudly. The profiles themselves ship inside roc-validator: nothing else is fetched.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import json
import socket
import warnings
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import rdflib.plugins.shared.jsonld.context as jsonld_context
import requests
import requests.adapters
from requests.models import Response

_CONTEXT_DOCUMENT = json.loads(
    (importlib.resources.files("rocrate") / "data" / "ro-crate.jsonld").read_text()
)
CONTEXT = {"@context": _CONTEXT_DOCUMENT["@context"]}


def _is_rocrate_context(url: str) -> bool:
    return url.startswith("https://w3id.org/ro/crate/") and url.rstrip("/").endswith("/context")


def _send(self, request, **kwargs):
    if _is_rocrate_context(request.url):
        response = Response()
        response.status_code = 200
        response._content = json.dumps(CONTEXT).encode()
        response.url = request.url
        response.headers["Content-Type"] = "application/ld+json"
        response.request = request
        response.encoding = "utf-8"
        return response
    raise requests.ConnectionError(f"Offline test: refused to fetch {request.url}")


_fetch = jsonld_context.Context._fetch_context


def _fetch_context(self, source, base, referenced_contexts):
    if isinstance(source, str) and _is_rocrate_context(source):
        return CONTEXT["@context"]
    return _fetch(self, source, base, referenced_contexts)


def _no_network(*args, **kwargs):
    raise RuntimeError("Offline test: no network access")


@contextlib.contextmanager
def offline() -> Iterator[None]:
    with (
        mock.patch.object(jsonld_context.Context, "_fetch_context", _fetch_context),
        mock.patch.object(requests.adapters.HTTPAdapter, "send", _send),
        mock.patch.object(socket, "getaddrinfo", _no_network),
    ):
        yield


def validate(crate_dir: Path, *, severity: str = "REQUIRED"):
    """Validate the crate folder against the base ``ro-crate`` profile; returns the result.

    ``severity`` is the lowest requirement level checked: REQUIRED (MUST) by default.
    """
    from rocrate_validator import models, services

    settings = services.ValidationSettings(
        rocrate_uri=str(crate_dir),
        profile_identifier="ro-crate",
        requirement_severity=models.Severity[severity],
        no_cache=True,
    )
    with offline(), warnings.catch_warnings():
        # rdflib 7 deprecates ConjunctiveGraph, which pyshacl still uses; not ours to fix.
        warnings.filterwarnings(
            "ignore", message="ConjunctiveGraph is deprecated", category=DeprecationWarning
        )
        return services.validate(settings)
