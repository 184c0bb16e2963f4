"""Registration and invitation emails go to addresses without an account, through the outbox
(``notifications.services.queue_email``), against a real worker, Redis and PostgreSQL: a mail
server that is down when they are sent delays them, and once it is back exactly the queued
emails arrive, once each."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from access.identity import services as identity
from notifications import services
from notifications.models import EmailStatus, OutboundEmail
from tests.factories.workflow import World
from tests.support.integration import emails_in, wait_for
from workflow.route import services as route

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def to_lines(emails: list[str]) -> list[str]:
    return sorted(next(line for line in e.splitlines() if line.startswith("To:")) for e in emails)


def test_mail_server_down_then_back_delivers_exactly_the_queued_emails(
    workers, email_dir, tmp_path
):
    world = World()
    application = world.draft()
    (tmp_path / "mail-down").write_text("down")
    _, log = workers.start(TRE_TEST_RETRY_BASE_SECONDS="1")

    identity.registration_start(
        email="New.Comer@Example.org", full_name="New Comer", organisation=None
    )
    route.team_member_invite(
        application=application,
        email="invitee@elsewhere.example",
        project_role="researcher",
        by=world.pi,
    )

    # The worker tries each once, the server refuses, and each backs off, still pending.
    wait_for(
        lambda: (
            OutboundEmail.objects.filter(email_status=EmailStatus.PENDING, email_attempts=1).count()
            == 2
        ),
        timeout=30,
        what="both emails to fail once",
        log=log,
    )
    assert emails_in(email_dir) == []
    assert "SMTPServerDisconnected" in OutboundEmail.objects.first().last_error

    (tmp_path / "mail-down").unlink()
    time.sleep(2)  # the backoff (about a second here) has passed: both are due again
    later = timezone.now() + timedelta(minutes=3)  # past the sweep's grace
    assert services.redispatch_pending(now=later) == 2
    wait_for(lambda: len(emails_in(email_dir)) == 2, timeout=45, what="two emails", log=log)

    assert services.redispatch_pending(now=later + timedelta(hours=1)) == 0
    time.sleep(2)
    emails = emails_in(email_dir)
    assert to_lines(emails) == ["To: invitee@elsewhere.example", "To: new.comer@example.org"]
    assert any("/sign-up/" in e for e in emails)
    assert any("/invitations/" in e for e in emails)
    assert set(OutboundEmail.objects.values_list("email_status", "email_attempts")) == {
        (EmailStatus.SENT, 2)
    }
