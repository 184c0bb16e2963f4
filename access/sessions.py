"""Every way a person is signed in, and how each ends.

Two kinds: browser sessions (Django's, in the database; each also has a ``UserSession`` row so
its person can see it) and API tokens (django-rest-knox: stored hashed, one per sign-in, each
with an expiry that slides with use up to a hard limit; ``REST_KNOX`` in the settings).

They end when:

* the person signs out (that session), revokes a token (``DELETE /api/v1/auth/token/``, or the
  "Your sessions and tokens" page), or signs out everywhere (every session and token);
* a session is idle longer than ``SESSION_IDLE_TIMEOUT_MINUTES`` (``IdleTimeoutMiddleware``)
  or older than ``SESSION_COOKIE_AGE``; a token is unused past its expiry;
* the password changes or the account is deactivated (``User.save`` calls ``revoke_all``).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken
from knox.settings import knox_settings

from access.models import User, UserSession

# How often the last-seen time of a session is written (not on every request).
TOUCH_EVERY = datetime.timedelta(seconds=60)
LAST_SEEN = "_tre_last_seen"


def _ip(request: Any) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def record_sign_in(request: Any, user: User) -> None:
    """``user_logged_in``: keep a row for a browser session (not for an API token login,
    which signs nobody into a session)."""
    session = getattr(request, "session", None)
    if session is None or session.get(SESSION_KEY) != str(user.pk) or not session.session_key:
        return
    now = timezone.now()
    session[LAST_SEEN] = now.timestamp()
    UserSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={
            "user": user,
            "created_at": now,
            "last_seen_at": now,
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
            "ip_address": _ip(request),
        },
    )


def record_sign_out(request: Any, user: User | None) -> None:
    """``user_logged_out``: the session is flushed next; its row goes now."""
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        UserSession.objects.filter(session_key=session.session_key).delete()


def sessions_of(user: User) -> list[UserSession]:
    """The person's sessions that are still alive (a row whose Django session expired or was
    flushed elsewhere is dropped here)."""
    rows = list(UserSession.objects.filter(user=user))
    alive = set(
        Session.objects.filter(
            session_key__in=[row.session_key for row in rows], expire_date__gt=timezone.now()
        ).values_list("session_key", flat=True)
    )
    dead = [row.pk for row in rows if row.session_key not in alive]
    if dead:
        UserSession.objects.filter(pk__in=dead).delete()
    return [row for row in rows if row.session_key in alive]


def tokens_of(user: User) -> list[AuthToken]:
    """The person's API tokens that have not expired (expired ones are deleted)."""
    now = timezone.now()
    AuthToken.objects.filter(user=user, expiry__lt=now).delete()
    return list(AuthToken.objects.filter(user=user).order_by("-created"))


def end_session(user: User, session_key: str) -> bool:
    """End one of ``user``'s sessions (someone else's key ends nothing)."""
    with transaction.atomic():
        deleted, _ = UserSession.objects.filter(user=user, session_key=session_key).delete()
        if deleted:
            Session.objects.filter(session_key=session_key).delete()
    return bool(deleted)


def issue_token(user: User) -> tuple[AuthToken, str]:
    """A new API token for ``user`` (the key is shown once; only its hash is kept). Expired
    tokens go, and past ``TOKEN_LIMIT_PER_USER`` the oldest ones do."""
    AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    if limit:
        old = AuthToken.objects.filter(user=user).order_by("-created")[limit - 1 :]
        AuthToken.objects.filter(digest__in=list(old.values_list("digest", flat=True))).delete()
    return AuthToken.objects.create(user=user)


def revoke_token(user: User, digest: str) -> bool:
    deleted, _ = AuthToken.objects.filter(user=user, digest=digest).delete()
    return bool(deleted)


def revoke_all(user: User) -> None:
    """End every session and token of ``user`` (sign out everywhere; a new password; the
    account deactivated)."""
    with transaction.atomic():
        keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
        Session.objects.filter(session_key__in=keys).delete()
        UserSession.objects.filter(user=user).delete()
        AuthToken.objects.filter(user=user).delete()


def sign_out_everywhere(request: Any) -> None:
    """The person ends every session and token, this one included."""
    user = request.user
    revoke_all(user)
    if getattr(request, "session", None) is not None:
        logout(request)


class IdleTimeoutMiddleware:
    """Signs a browser session out after ``SESSION_IDLE_TIMEOUT_MINUTES`` without a request.

    The last request's time is kept in the session and written at most once a minute (so a
    page view is not a write), with the session's ``UserSession.last_seen_at``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get(SESSION_KEY):
            now = timezone.now()
            last = session.get(LAST_SEEN)
            idle = datetime.timedelta(minutes=settings.SESSION_IDLE_TIMEOUT_MINUTES)
            seen = datetime.datetime.fromtimestamp(last, datetime.UTC) if last else None
            if seen is not None and now - seen > idle:
                logout(request)  # flushes the session; the request goes on signed out
            elif last is None or now.timestamp() - last > TOUCH_EVERY.total_seconds():
                session[LAST_SEEN] = now.timestamp()
                if session.session_key:
                    UserSession.objects.filter(session_key=session.session_key).update(
                        last_seen_at=now
                    )
        return self.get_response(request)
