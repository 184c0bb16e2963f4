"""Registration and invitation emails go to addresses, not inboxes, through the same outbox as
notifications: queued in the transaction of the change (both or neither), retried with backoff
when the mail server refuses, and marked failed for ops (who can requeue) when they keep
failing. Delivery runs in-process here; tests/integration/test_identity_emails_worker.py runs
it on a real worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from access.identity import services as identity
from access.identity.models import Registration
from core.errors import NotAllowed
from notifications import services
from notifications.models import EmailStatus, Notification, OutboundEmail
from tests.factories import make_user
from tests.factories.workflow import World
from tests.support.celery import celery_eager  # noqa: F401 (fixture)
from tests.support.email import FlakyBackend
from workflow.models import TeamInvitation
from workflow.route import services as route

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("celery_eager")]


class Boom(Exception):
    pass


def test_a_registration_and_its_email_commit_together(
    django_capture_on_commit_callbacks, mailoutbox
):
    def register_then_fail():
        with transaction.atomic():
            identity.registration_start(
                email="gone@example.org", full_name="Gone", organisation=None
            )
            raise Boom

    with pytest.raises(Boom):
        register_then_fail()
    assert not Registration.objects.exists()
    assert not OutboundEmail.objects.exists()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        registration = identity.registration_start(
            email="kept@example.org", full_name="Kept", organisation=None
        )
        # Queued with the registration, before anything is sent.
        (email,) = OutboundEmail.objects.all()
        assert (email.to_address, email.email_status) == ("kept@example.org", EmailStatus.PENDING)
        assert email.about == f"registration:{registration.pk}"
        assert mailoutbox == []
    for callback in callbacks:
        callback()
    assert [m.to for m in mailoutbox] == [["kept@example.org"]]
    assert "/sign-up/" in mailoutbox[0].body
    email.refresh_from_db()
    assert email.email_status == EmailStatus.SENT


def test_an_invitation_and_its_email_commit_together(
    django_capture_on_commit_callbacks, mailoutbox
):
    world = World()
    application = world.draft()

    def invite_then_fail():
        with transaction.atomic():
            route.team_member_invite(
                application=application,
                email="gone@example.org",
                project_role="researcher",
                by=world.pi,
            )
            raise Boom

    with pytest.raises(Boom):
        invite_then_fail()
    assert not TeamInvitation.objects.exists()
    assert not OutboundEmail.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        invitation = route.team_member_invite(
            application=application,
            email="kept@example.org",
            project_role="researcher",
            by=world.pi,
        )
    (email,) = OutboundEmail.objects.all()
    assert email.about == f"invitation:{invitation.pk}"
    assert email.email_status == EmailStatus.SENT
    assert [m.to for m in mailoutbox] == [["kept@example.org"]]
    assert "/invitations/" in mailoutbox[0].body


def test_a_refused_email_backs_off_then_fails_for_ops_who_requeue_it(
    settings, django_capture_on_commit_callbacks, mailoutbox, caplog
):
    settings.EMAIL_BACKEND = "tests.support.email.FlakyBackend"
    settings.NOTIFICATIONS_EMAIL_MAX_ATTEMPTS = 3
    FlakyBackend.failures = 10
    try:
        identity.registration_start(email="later@example.org", full_name="Later", organisation=None)
        email = OutboundEmail.objects.get()
        now = timezone.now()
        outcomes = []
        for _ in range(4):
            outcomes.append(services.deliver_outbound(email_id=email.pk, now=now))
            email.refresh_from_db()
            if email.next_attempt_at:
                assert email.next_attempt_at > now  # backs off
            now += timedelta(days=1)
    finally:
        FlakyBackend.failures = 0
    assert outcomes == ["retry_later", "retry_later", "failed", "not_claimed"]
    assert email.email_status == EmailStatus.FAILED
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        f"Email for OutboundEmail {email.pk} failed after 3 attempts; requeue it from the admin"
    ]
    assert "SMTPServerDisconnected" in email.last_error
    assert services.redispatch_pending(now=now) == 0
    assert mailoutbox == []

    with pytest.raises(NotAllowed):
        services.outbound_requeue_failed(email_ids=[email.pk], by=make_user())
    with django_capture_on_commit_callbacks(execute=True):
        assert services.outbound_requeue_failed(email_ids=[email.pk], by=make_user("ops")) == 1
    email.refresh_from_db()
    assert email.email_status == EmailStatus.SENT
    assert [m.to for m in mailoutbox] == [["later@example.org"]]


def test_the_sweep_publishes_an_email_the_broker_never_got(mailoutbox):
    identity.registration_start(email="swept@example.org", full_name="Swept", organisation=None)
    # No on-commit ran (the test's transaction never commits): the row waits for the sweep.
    assert mailoutbox == []
    assert services.redispatch_pending(now=timezone.now() + timedelta(minutes=3)) == 1
    assert [m.to for m in mailoutbox] == [["swept@example.org"]]
    assert services.redispatch_pending(now=timezone.now() + timedelta(minutes=6)) == 0


def test_ops_see_failed_emails_in_the_admin_and_requeue_them(client):
    failed = OutboundEmail.objects.create(
        to_address="stuck@example.org",
        kind="application.invitation",
        subject="Invited",
        body="A link",
        email_status=EmailStatus.FAILED,
        email_attempts=6,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )
    client.force_login(make_user("ops", is_staff=True, is_superuser=True))
    listing = client.get("/admin/notifications/outboundemail/?email_status__exact=failed")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "stuck@example.org" in page
    assert "SMTPServerDisconnected" in page
    assert client.get(f"/admin/notifications/outboundemail/{failed.pk}/change/").status_code == 200

    response = client.post(
        "/admin/notifications/outboundemail/",
        {"action": "requeue_failed", "_selected_action": [failed.pk]},
        follow=True,
    )
    assert "1 failed email(s) requeued." in response.content.decode()
    failed.refresh_from_db()
    assert (failed.email_status, failed.email_attempts) == (EmailStatus.PENDING, 0)


def test_the_member_who_invited_is_told_when_the_invitation_never_arrives(
    settings, client, django_capture_on_commit_callbacks
):
    """The mail server refuses every attempt: the inviter gets a notice linking to the team
    page, which (like the API) marks the invitation "Email not delivered"; a registration link,
    sent by nobody on the service, tells nobody. Requeued by ops and refused again: told again."""
    settings.EMAIL_BACKEND = "tests.support.email.FlakyBackend"
    settings.NOTIFICATIONS_EMAIL_MAX_ATTEMPTS = 2
    world = World()
    application = world.draft()
    FlakyBackend.failures = 100
    try:
        invitation = route.team_member_invite(
            application=application,
            email="typo@exmaple.org",
            project_role="researcher",
            by=world.pi,
        )
        identity.registration_start(email="alone@example.org", full_name="Alone", organisation=None)
        now = timezone.now()
        for email in OutboundEmail.objects.all():
            outcomes = [
                services.deliver_outbound(email_id=email.pk, now=now + timedelta(days=day))
                for day in range(3)
            ]
            assert outcomes == ["retry_later", "failed", "not_claimed"]
        (told,) = world.pi.notifications.filter(kind="email.undelivered")
        team_page = f"/applications/{application.pk}/sections/team/"
        assert told.url == team_page
        assert told.subject == "Your email to typo@exmaple.org could not be delivered"
        assert "We tried 2 times" in told.body
        assert "Check the address" in told.body
        assert not Notification.objects.exclude(recipient=world.pi).filter(kind="email.undelivered")

        client.force_login(world.pi)
        page = client.get(team_page).content.decode()
        assert "typo@exmaple.org" in page
        assert "Email not delivered" in page
        api = client.get(f"/api/v1/applications/{application.pk}/invitations/").json()
        assert [(row["email"], row["email_status"]) for row in api] == [
            ("typo@exmaple.org", "failed")
        ]

        # Ops send it again; it fails again: a second notice for the second round.
        sent = OutboundEmail.objects.get(about=f"invitation:{invitation.pk}")
        with django_capture_on_commit_callbacks(execute=False):
            services.outbound_requeue_failed(email_ids=[sent.pk], by=make_user("ops"))
        assert "Email not delivered" not in client.get(team_page).content.decode()
        for day in range(2):
            services.deliver_outbound(email_id=sent.pk, now=now + timedelta(days=10 + day))
        assert world.pi.notifications.filter(kind="email.undelivered").count() == 2
    finally:
        FlakyBackend.failures = 0
