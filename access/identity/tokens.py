"""Signed, expiring links (Django's ``TimestampSigner``, keyed by SECRET_KEY): a registration
link and an invitation link. Each signs a row's id with the email address it was sent to, so
a link is good for that row and that address only; the row says whether it was already used.
"""

from __future__ import annotations

import datetime

from django.core import signing

REGISTRATION = "access.identity.registration"
INVITATION = "access.identity.invitation"


class LinkProblem(Exception):
    """Why a link does not work: ``expired`` or ``invalid`` (tampered with, or not ours)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def make(salt: str, pk: int, email: str) -> str:
    return signing.TimestampSigner(salt=salt).sign_object({"id": pk, "email": email.lower()})


def read(salt: str, token: str, max_age: datetime.timedelta) -> tuple[int, str]:
    try:
        value = signing.TimestampSigner(salt=salt).unsign_object(token, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise LinkProblem("expired") from exc
    except signing.BadSignature as exc:
        raise LinkProblem("invalid") from exc
    return int(value["id"]), str(value["email"])
