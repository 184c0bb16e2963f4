"""The API docs page works under the site's strict Content-Security-Policy, with every file from
our own origin (Swagger UI from static/vendor/, no CDN)."""

from __future__ import annotations

from urllib.parse import urlsplit


def test_api_docs_render_swagger_ui_from_our_own_origin(visitor, live_server):
    v = visitor()
    origins: set[str] = set()
    v.page.on("request", lambda request: origins.add(urlsplit(request.url).netloc))
    response = v.page.goto(live_server.url + "/api/docs/")
    assert response is not None
    assert response.status == 200
    # Swagger UI rendered the schema: its title and the operations.
    title = v.page.locator(".swagger-ui .info .title")
    title.wait_for()
    assert "TRE access-request API" in title.inner_text()
    v.page.locator(".opblock").first.wait_for()
    assert origins == {urlsplit(live_server.url).netloc}
    assert not v.csp_violations, v.csp_violations
