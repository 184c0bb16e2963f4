"""GA4GH visas verified as a relying party would: fetched over HTTP from the running server,
checked with an independent library (PyJWT's PyJWKClient reading our JWKS endpoint), never
with the library that signed them."""

from __future__ import annotations

import datetime
import json
import urllib.request

import jwt
import pytest
from django.utils import timezone
from joserfc.jwk import RSAKey

from access.sessions import issue_token
from tests.factories.workflow import World
from workflow.models import State
from workflow.provisioning import visas
from workflow.route import services as route_services

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fresh_key():
    visas.signing_key.cache_clear()
    yield
    visas.signing_key.cache_clear()


def fetch_visas(base: str, user) -> list[dict]:
    _, key = issue_token(user)
    request = urllib.request.Request(  # noqa: S310 (the test's own live server)
        f"{base}/api/v1/entitlements/visas/", headers={"Authorization": f"Token {key}"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        return json.load(answer)["visas"]


def verify(base: str, token: str) -> dict:
    client = jwt.PyJWKClient(f"{base}/.well-known/jwks.json")
    key = client.get_signing_key_from_jwt(token)
    return jwt.decode(token, key.key, algorithms=["ES256", "RS256"], issuer=base)


def test_visas_verify_against_the_live_jwks_and_end_with_the_grant(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.VISA_LIFETIME_HOURS = 24 * 365  # longer than the grant: the grant's end caps it
    world = World()
    today = timezone.localdate()
    end = today + datetime.timedelta(days=3)
    world.at(State.ACTIVE, start_date=today, end_date=end)

    (visa,) = fetch_visas(live_server.url, world.pi)
    claims = verify(live_server.url, visa["jwt"])
    assert claims["sub"] == str(world.pi.pk)
    assert claims["ga4gh_visa_v1"]["type"] == "ControlledAccessGrants"
    assert claims["ga4gh_visa_v1"]["by"] == "dac"
    assert claims["ga4gh_visa_v1"]["value"] == f"{live_server.url}/catalogue/education/"
    grant_ends = datetime.datetime.combine(
        end + datetime.timedelta(days=1), datetime.time.min, tzinfo=datetime.UTC
    )
    assert claims["exp"] <= grant_ends.timestamp()
    assert claims["exp"] == int(grant_ends.timestamp())
    assert jwt.get_unverified_header(visa["jwt"])["alg"] == "ES256"

    # A visa altered on the way does not verify.
    head, body, signature = visa["jwt"].split(".")
    forged = json.loads(jwt.utils.base64url_decode(body))
    forged["sub"] = str(world.colleague.pk)
    forged_body = jwt.utils.base64url_encode(json.dumps(forged).encode()).decode()
    with pytest.raises(jwt.InvalidSignatureError):
        verify(live_server.url, f"{head}.{forged_body}.{signature}")


def test_suspended_access_gets_no_visa(live_server, settings):
    settings.SITE_URL = live_server.url
    world = World()
    live = world.at(State.ACTIVE, start_date=timezone.localdate())
    route_services.application_suspend(application=live, by=world.ops, reason="Breach")
    assert fetch_visas(live_server.url, world.pi) == []


def test_an_rsa_key_signs_rs256_visas(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.VISA_SIGNING_KEY = RSAKey.generate_key(2048).as_pem(private=True).decode()
    world = World()
    world.at(State.ACTIVE, start_date=timezone.localdate())
    (visa,) = fetch_visas(live_server.url, world.colleague)
    assert jwt.get_unverified_header(visa["jwt"])["alg"] == "RS256"
    assert verify(live_server.url, visa["jwt"])["sub"] == str(world.colleague.pk)
