"""Who is asking: the client's address as the chain of trusted proxies reports it.

Behind nginx, every request reaches gunicorn from nginx's own address, and the client's address
is the last entry nginx appended to ``X-Forwarded-For`` (``$proxy_add_x_forwarded_for``). The
entries before it are whatever the client sent and prove nothing. With ``NUM_PROXIES`` trusted
proxies in front of the app, each appending the address it saw, the client is the
``NUM_PROXIES``-th entry from the right; this is DRF's rule (``NUM_PROXIES``), used here for the
sign-in throttle and by django-axes (``AXES_CLIENT_IP_CALLABLE``) alike, so both count the same
address. Too few entries (a request that did not pass every proxy) or an entry that is not an
IP address falls back to the connection's own address.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = getattr(settings, "NUM_PROXIES", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not proxies or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",")]
    if len(hops) < proxies:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-proxies]))
    except ValueError:
        return remote
