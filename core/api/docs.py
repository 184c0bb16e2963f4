"""The API docs page (/api/docs/): drf-spectacular's Swagger UI, served from our own origin.

Swagger UI comes from npm (``swagger-ui-dist``, pinned by package-lock.json) and is copied into
``static/vendor/swagger-ui/`` by scripts/assets.sh, like the pages' other assets; the page
names the files through ``static()``, so production serves them under their hashed names. No
third-party origin is involved, so the page keeps the site's own Content-Security-Policy
(scripts and styles from 'self' only), and the split view delivers Swagger UI's settings as a
script file rather than inline.
"""

from __future__ import annotations

from django.templatetags.static import static
from drf_spectacular.views import SpectacularSwaggerSplitView

VENDOR = "vendor/swagger-ui"


class SwaggerUIView(SpectacularSwaggerSplitView):
    template_name = "api/docs.html"  # drf-spectacular's, without its inline <style>

    @staticmethod
    def _swagger_ui_resource(filename: str) -> str:
        return static(f"{VENDOR}/{filename}")

    @staticmethod
    def _swagger_ui_favicon() -> str:
        return static(f"{VENDOR}/favicon-32x32.png")
