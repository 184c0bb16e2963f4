"""The sign-in throttle: attempts per client address, counted in the shared cache.

Every web process (gunicorn worker, instance) counts in the same place, the cache (Redis in
production, a database table in development: ``CACHES``), and the address is the client's as
the trusted proxies report it (``core.client``), not the ``X-Forwarded-For`` the client wrote.

Counting is atomic where the cache is (Redis ``INCR``): each attempt increments the count of the
current window, and the limit applies to a sliding estimate, the current window's count plus
the previous window's weighted by how much of it still falls within the last ``duration``
seconds. So concurrent attempts on different workers cannot all read the same count and all
pass, and a burst across a window boundary gets no second allowance. Refused attempts count
too: hammering keeps the address refused. If the cache cannot be reached, sign-in is not
refused for it (logged): django-axes, in the database, still locks each username and address.
"""

from __future__ import annotations

import logging
import time

from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from redis.exceptions import RedisError
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from core.client import client_address

logger = logging.getLogger(__name__)


class AddressRateThrottle(SimpleRateThrottle):
    """At most the ``scope``'s rate of requests per client address (``DEFAULT_THROTTLE_RATES``).

    On the API token login. The sign-in page has none: a university behind one NAT address
    signs many people in at once, and django-axes already locks each username and address."""

    scope = "login"
    cache = cache
    num_requests: int  # set from the rate by SimpleRateThrottle.__init__
    duration: int

    def get_rate(self) -> str | None:
        # Read when the throttle is made (DRF's reads the rates once, at import).
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        return None if rate is None else str(rate)

    def get_cache_key(self, request, view) -> str:
        return f"throttle:{self.scope}:{client_address(request) or 'unknown'}"

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        now = time.time()
        window, elapsed = divmod(now, self.duration)
        current_key, previous_key = f"{key}:{int(window)}", f"{key}:{int(window) - 1}"
        try:
            current = self._increment(current_key)
            previous = self.cache.get(previous_key, 0)
        except RedisError:
            logger.warning("Sign-in throttle: the cache is unreachable; not counting %s", key)
            return True
        estimate = previous * (self.duration - elapsed) / self.duration + current
        self._wait = self.duration - elapsed
        return estimate <= self.num_requests

    def _increment(self, key: str) -> int:
        # add() is SET NX: the first attempt of a window creates its count, with an expiry long
        # enough for the next window to weigh it; incr() is INCR, atomic across processes.
        self.cache.add(key, 0, timeout=2 * self.duration)
        try:
            return self.cache.incr(key)
        except ValueError:  # expired between the two calls
            self.cache.add(key, 1, timeout=2 * self.duration)
            return 1

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)


class AnonymousRateThrottle(AddressRateThrottle):
    """At most ``ANONYMOUS_THROTTLE_RATE`` requests per client address to the public (no
    sign-in) endpoints: the register and its CSV, the public pages. Whole-register work done
    for anyone who asks was a cheap way to slow every signed-in person down (two clients kept
    both web workers busy). Signed-in people are not counted here."""

    scope = "anonymous"

    def allow_request(self, request, view) -> bool:
        # Someone signed in: the session's person, even where the API view authenticates nobody
        # (the public register's views: DRF then sets the request's user to anonymous).
        django_request = getattr(request, "_request", request)
        session = getattr(django_request, "session", None)
        if session is not None and session.get(SESSION_KEY):
            return True
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            return True
        return super().allow_request(request, view)


def anonymous_allowed(request) -> tuple[bool, float | None]:
    """For a page (not an API view): may this anonymous request go on, and if not, after how
    many seconds may it try again."""
    throttle = AnonymousRateThrottle()
    allowed = throttle.allow_request(request, None)
    return allowed, None if allowed else throttle.wait()
