"""The identity journey in the browser, through a real OpenID Connect provider (npm's
``oidc-provider`` on loopback): a new researcher signs in through their institution for the
first time, their organisation's signatory confirms they work there, and they accept an
invitation onto an application by email and are on its team."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from tests.functional.builders import plasc_application
from tests.oidc import running_provider
from tests.support.celery import celery_eager  # noqa: F401 (fixture)

# Registration and invitation emails go through the outbox; its delivery task runs in-process.
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("celery_eager")]


def through_the_provider(visitor, login: str) -> None:
    """At the provider's own pages (not ours: not checked): sign in, then consent."""
    page = visitor.page
    page.wait_for_selector('input[name="login"]')
    page.fill('input[name="login"]', login)
    page.fill('input[name="password"]', "anything")
    page.locator('form [type="submit"]').first.click()
    page.wait_for_load_state()
    while visitor.base_url not in page.url:
        page.locator('form [type="submit"]').first.click()
        page.wait_for_load_state()
    visitor.check()


def test_a_new_researcher_signs_in_is_vouched_for_and_joins_a_team(
    demo, visitor, live_server, settings, tmp_path
):
    accounts = {
        "nia": {
            "email": "nia.newcomer@swansea.example",
            "name": "Nia Newcomer",
            "organisation": "Swansea University",
        }
    }
    callback = f"{live_server.url}/accounts/oidc/uni/login/callback/"
    with running_provider(tmp_path, [callback], accounts) as provider:
        settings.SOCIALACCOUNT_PROVIDERS = {
            "openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": [provider.app()]}
        }
        application = plasc_application(demo, title="Free school meals and progression")

        # Rhian adds Nia by email: no account yet, so an invitation goes out.
        rhian = visitor()
        rhian.login("rhian.researcher")
        rhian.visit(f"/applications/{application.pk}/sections/team/")
        rhian.fill("Email address", "nia.newcomer@swansea.example")
        rhian.choose("Researcher")
        rhian.click("Add to the team")
        assert "we sent them an invitation" in rhian.banner()
        rhian.visit(f"/applications/{application.pk}/sections/team/")
        assert "Invited" in rhian.text()
        link = re.search(r"https?://\S+/invitations/\S+/", mail.outbox[-1].body).group(0)
        invitation_path = "/invitations/" + link.split("/invitations/")[1]

        # Nia signs in through her university for the first time.
        nia = visitor()
        nia.visit("/login/")
        nia.page.get_by_role("button", name="Sign in with University sign-in").click()
        through_the_provider(nia, "nia")
        nia.visit("/account/")
        assert "Nia Newcomer" in nia.text()
        assert "Waiting for the organisation" in nia.text()
        # Not yet vouched for: accepting waits.
        nia.visit(invitation_path)
        nia.click("Accept and join the team")
        assert "No organisation has confirmed" in " ".join(nia.error_summary())

        # Swansea's signatory confirms her.
        dylan = visitor()
        dylan.login("dylan.signatory")
        dylan.visit("/organisations/swansea-university/people/")
        dylan.click("Confirm Nia Newcomer")
        assert "is confirmed as working here" in dylan.banner()

        # Now she accepts and is on the team.
        nia.visit(invitation_path)
        nia.click("Accept and join the team")
        assert "You are on the team" in nia.banner()
        assert application.members.filter(user__email="nia.newcomer@swansea.example").exists()
        # On the team she is a researcher: she works on the application like the others.
        nia.visit(f"/applications/{application.pk}/sections/team/")
        assert "Nia Newcomer" in nia.text()
        # The link is spent.
        nia.visit(invitation_path, status=410)
        assert "already been used" in nia.text()


def test_a_refused_sign_in_is_a_clear_page_in_the_browser(
    demo, visitor, live_server, settings, tmp_path
):
    callback = f"{live_server.url}/accounts/oidc/uni/login/callback/"
    with running_provider(tmp_path, [callback]) as provider:
        settings.SOCIALACCOUNT_PROVIDERS = {
            "openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": [provider.app()]}
        }
        provider.next_token("tampered")
        someone = visitor()
        someone.visit("/login/")
        someone.page.get_by_role("button", name="Sign in with University sign-in").click()
        through_the_provider(someone, "mallory")
        assert "You are not signed in" in someone.text()
        assert "changed on the way" in someone.text()


def test_registering_by_email_link_in_the_browser(demo, visitor):
    """Where no sign-in service is configured: register, follow the emailed link, choose a
    password, and see that Swansea is asked to confirm."""
    newcomer = visitor()
    newcomer.visit("/login/")
    assert "No account yet? Register" in newcomer.text()
    newcomer.visit("/sign-up/")
    newcomer.fill("Full name", "Owen Newydd")
    newcomer.fill("Email address", "owen.newydd@swansea.example")
    newcomer.select("Your organisation", "Swansea University")
    newcomer.click("Send me a link")
    assert "Check your email" in newcomer.text()
    link = re.search(r"https?://\S+(/sign-up/\S+/)", mail.outbox[-1].body).group(1)
    newcomer.visit(link)
    newcomer.fill("Choose a password", "short")
    newcomer.click("Register")
    assert newcomer.error_summary()
    newcomer.fill("Choose a password", "a long enough passphrase 7")
    newcomer.click("Register")
    assert "You are registered and signed in" in newcomer.banner()
    assert "Waiting for the organisation" in newcomer.text()
    newcomer.visit(link, status=410)
