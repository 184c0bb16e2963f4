"""Signed GA4GH Passport visas (``ControlledAccessGrants``) for active access grants, and the
JWKS that verifies them.

One visa per active grant and dataset of its project (GA4GH: a visa asserts one thing; its
``value`` names the dataset). Each is a JWT signed with the deployment's key (EC P-256 →
ES256, RSA → RS256; ``VISA_SIGNING_KEY`` or ``VISA_SIGNING_KEY_FILE``) whose ``kid`` is the
key's RFC 7638 thumbprint, published at ``/.well-known/jwks.json``. A visa expires after
``VISA_LIFETIME_HOURS`` and never after the grant's last day: a suspended or ended grant gets
no new visa, and an old one runs out by itself (fetch visas again at least that often).
"""

from __future__ import annotations

import datetime
import functools
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from access.models import AccessGrant
from workflow.provisioning.selectors import dataset_slugs

Key = ECKey | RSAKey


class VisasNotConfigured(Exception):
    """No signing key: production without VISA_SIGNING_KEY(_FILE)."""


def _load_or_make(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes()
    # Development and tests only (production sets no default path): a key of this machine.
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = ECKey.generate_key("P-256").as_pem(private=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(descriptor, pem)
    finally:
        os.close(descriptor)
    return pem


@functools.cache
def signing_key() -> Key:
    pem: bytes
    if settings.VISA_SIGNING_KEY:
        pem = settings.VISA_SIGNING_KEY.encode()
    elif settings.VISA_SIGNING_KEY_FILE:
        try:
            pem = _load_or_make(Path(settings.VISA_SIGNING_KEY_FILE))
        except FileExistsError:  # another process made it first
            pem = Path(settings.VISA_SIGNING_KEY_FILE).read_bytes()
    else:
        raise VisasNotConfigured("Set VISA_SIGNING_KEY or VISA_SIGNING_KEY_FILE to issue visas.")
    try:
        return ECKey.import_key(pem)
    except Exception:  # not an EC key: try RSA (a wrong key fails loudly there)
        return RSAKey.import_key(pem)


def algorithm(key: Key) -> str:
    return "ES256" if isinstance(key, ECKey) else "RS256"


def jwks() -> dict[str, Any]:
    """The public keys that verify our visas (empty when none is configured)."""
    try:
        key = signing_key()
    except VisasNotConfigured:
        return {"keys": []}
    public = key.as_dict(private=False)
    return {"keys": [{**public, "kid": key.thumbprint(), "use": "sig", "alg": algorithm(key)}]}


def issuer() -> str:
    return settings.VISA_ISSUER or settings.SITE_URL.rstrip("/")


def _expiry(grant: AccessGrant, now: datetime.datetime) -> datetime.datetime:
    # The grant ends after its end_on day (UTC): the visa may not outlive it.
    end = datetime.datetime.combine(
        grant.end_on + datetime.timedelta(days=1), datetime.time.min, tzinfo=datetime.UTC
    )
    return min(now + datetime.timedelta(hours=settings.VISA_LIFETIME_HOURS), end)


def visa_claims(grant: AccessGrant, dataset: str, now: datetime.datetime) -> dict[str, Any]:
    application = grant.application
    base = issuer()
    return {
        "iss": base,
        "sub": str(grant.person_id),
        "iat": int(now.timestamp()),
        "exp": int(_expiry(grant, now).timestamp()),
        "jti": f"grant-{grant.pk}-{dataset}-{int(now.timestamp())}",
        "ga4gh_visa_v1": {
            "type": "ControlledAccessGrants",
            "asserted": int(grant.granted_at.timestamp()),
            "value": f"{base}/catalogue/{dataset}/",
            "source": f"{base}/register/{application.reference}/",  # type: ignore[attr-defined]
            "by": "dac",
        },
    }


def visas_for(
    grants: list[AccessGrant], *, now: datetime.datetime | None = None
) -> list[dict[str, Any]]:
    """One signed visa per grant and dataset, with what it says in the clear beside it."""
    key = signing_key()
    now = now or timezone.now()
    header = {"alg": algorithm(key), "kid": key.thumbprint(), "typ": "JWT"}
    visas = []
    today = now.date()
    for grant in grants:
        if grant.start_on > today:
            continue  # not started: no visa asserts it yet
        for dataset in dataset_slugs(grant.application):  # type: ignore[arg-type]
            claims = visa_claims(grant, dataset, now)
            visas.append(
                {
                    "grant": grant.pk,
                    "project": grant.application.reference,  # type: ignore[attr-defined]
                    "dataset": dataset,
                    "expires_at": datetime.datetime.fromtimestamp(claims["exp"], tz=datetime.UTC),
                    "jwt": jwt.encode(header, claims, key),
                }
            )
    return visas
