"""The notifications outbox: raising, delivering once, backing off, digests."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from core.errors import NotAllowed, ValidationFailed
from notifications import services
from notifications.models import DigestRun, EmailMode, EmailStatus, Notification
from notifications.tasks import deliver_notification
from tests.factories import make_user
from tests.factories.notifications import NotificationFactory
from tests.support.celery import celery_eager  # noqa: F401 (fixture)
from tests.support.email import FlakyBackend

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("celery_eager")]


def raise_submitted(recipients, **overrides):
    arguments = {
        "recipients": recipients,
        "kind": "application.submitted",
        "subject": "Application {{ reference }} was submitted",
        "body": "Application {{ reference }} ({{ title }}) is ready for scoping.",
        "context": {"reference": "APP-42", "title": "Asthma & air quality"},
        "url": "/applications/42/",
        "about": "application:42",
    }
    return services.notify(**(arguments | overrides))


def test_notify_after_commit_emails_each_recipient_once(
    django_capture_on_commit_callbacks, mailoutbox
):
    analyst, reviewer = make_user("analyst"), make_user("reviewer")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        raise_submitted([analyst, reviewer, analyst])
        assert mailoutbox == []  # nothing leaves before the state change commits

    assert sorted(m.to[0] for m in mailoutbox) == sorted([analyst.email, reviewer.email])
    assert Notification.objects.filter(email_status=EmailStatus.SENT).count() == 2
    message = mailoutbox[0]
    assert message.subject == "Application APP-42 was submitted"
    assert "Asthma & air quality" in message.body  # plain text, not HTML-escaped


def test_notify_in_rolled_back_transaction_creates_and_sends_nothing(
    django_capture_on_commit_callbacks, mailoutbox
):
    analyst = make_user("analyst")

    def change_that_fails() -> None:
        with transaction.atomic():
            raise_submitted([analyst])
            raise RuntimeError("the state change failed")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        change_that_fails()

    assert Notification.objects.count() == 0
    assert callbacks == []
    assert mailoutbox == []


def test_notify_same_dedupe_key_twice_creates_one_row_and_one_email(
    django_capture_on_commit_callbacks, mailoutbox
):
    panel_member = make_user("panel_member")
    key = "reminder:review-track:7:visit:1:due-in-3-days"
    with django_capture_on_commit_callbacks(execute=True):
        first = raise_submitted([panel_member], dedupe_key=key)
    with django_capture_on_commit_callbacks(execute=True):
        second = raise_submitted([panel_member], dedupe_key=key)

    assert Notification.objects.filter(recipient=panel_member).count() == 1
    assert [n.pk for n in first] == [n.pk for n in second]
    assert len(mailoutbox) == 1


def test_notify_dedupe_key_is_per_recipient(django_capture_on_commit_callbacks):
    one, two = make_user(), make_user()
    with django_capture_on_commit_callbacks(execute=True):
        raise_submitted([one], dedupe_key="reminder:x")
        created = raise_submitted([one, two], dedupe_key="reminder:x")
    assert {n.recipient_id for n in created} == {one.pk, two.pk}
    assert Notification.objects.count() == 2


def test_notify_relative_url_required():
    with pytest.raises(ValidationFailed) as error:
        raise_submitted([make_user()], url="https://evil.example/phish")
    assert "url" in error.value.fields
    assert Notification.objects.count() == 0


def test_notify_broker_down_at_commit_caller_succeeds_and_sweep_sends_later(
    django_capture_on_commit_callbacks, mailoutbox, caplog
):
    researcher = make_user("researcher")
    with (
        mock.patch.object(deliver_notification, "apply_async", side_effect=BrokerError("down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        (notification,) = raise_submitted([researcher])  # no exception reaches the caller

    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.PENDING
    assert mailoutbox == []
    assert "sweep will retry" in caplog.text

    # Within the grace period the sweep leaves it (it may still be on its way) ...
    assert services.redispatch_pending() == 0
    # ... after it, the sweep publishes it and the email goes, once.
    later = timezone.now() + timedelta(minutes=3)
    assert services.redispatch_pending(now=later) == 1
    assert services.redispatch_pending(now=later + timedelta(minutes=3)) == 0
    assert [m.to for m in mailoutbox] == [[researcher.email]]


def test_sweep_broker_still_down_keeps_rows_due():
    notification = NotificationFactory(
        email_status=EmailStatus.PENDING, next_attempt_at=timezone.now(), dispatched_at=None
    )
    with mock.patch.object(deliver_notification, "apply_async", side_effect=BrokerError("down")):
        assert services.redispatch_pending() == 0
    notification.refresh_from_db()
    assert notification.dispatched_at is None  # not marked as published: next sweep tries again


def test_delivery_run_twice_sends_one_email(mailoutbox):
    notification = NotificationFactory(
        email_status=EmailStatus.PENDING, next_attempt_at=timezone.now()
    )
    first = deliver_notification.delay(notification.pk).get()
    second = deliver_notification.delay(notification.pk).get()  # broker redelivery

    assert (first, second) == ("sent", "not_claimed")
    assert len(mailoutbox) == 1
    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.SENT
    assert notification.email_attempts == 1


def test_delivery_smtp_failure_backs_off_then_succeeds_later(settings, mailoutbox):
    settings.EMAIL_BACKEND = "tests.support.email.FlakyBackend"
    FlakyBackend.failures = 1
    notification = NotificationFactory(
        email_status=EmailStatus.PENDING, next_attempt_at=timezone.now()
    )

    outcome = services.deliver_email(notification_id=notification.pk)

    notification.refresh_from_db()
    assert outcome == services.DeliveryOutcome.RETRY_LATER
    assert notification.email_status == EmailStatus.PENDING
    assert "SMTPServerDisconnected" in notification.last_error
    assert notification.next_attempt_at > timezone.now() + timedelta(seconds=30)
    # Not due yet: a redelivered task does nothing, the sweep does not pick it.
    assert services.deliver_email(notification_id=notification.pk) == "not_claimed"
    assert services.redispatch_pending() == 0

    with time_machine.travel(notification.next_attempt_at + timedelta(seconds=1)):
        assert services.redispatch_pending() == 1
    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.SENT
    assert notification.email_attempts == 2
    assert notification.last_error == ""
    assert len(mailoutbox) == 1


def test_delivery_failed_after_max_attempts(settings, mailoutbox):
    settings.EMAIL_BACKEND = "tests.support.email.FlakyBackend"
    settings.NOTIFICATIONS_EMAIL_MAX_ATTEMPTS = 3
    FlakyBackend.failures = 10
    notification = NotificationFactory(
        email_status=EmailStatus.PENDING, next_attempt_at=timezone.now()
    )
    now = timezone.now()
    outcomes = []
    for _ in range(4):
        outcomes.append(services.deliver_email(notification_id=notification.pk, now=now))
        now += timedelta(days=1)
    FlakyBackend.failures = 0

    notification.refresh_from_db()
    assert outcomes == ["retry_later", "retry_later", "failed", "not_claimed"]
    assert notification.email_status == EmailStatus.FAILED
    assert notification.email_attempts == 3
    assert services.redispatch_pending(now=now) == 0
    assert mailoutbox == []


def test_delivery_stale_sending_claim_is_reclaimed(settings, mailoutbox):
    settings.NOTIFICATIONS_SENDING_STALE_AFTER = 600
    claimed_at = timezone.now() - timedelta(minutes=5)
    notification = NotificationFactory(
        email_status=EmailStatus.SENDING, claimed_at=claimed_at, email_attempts=1
    )
    # A live claim (worker still sending) is left alone ...
    assert services.deliver_email(notification_id=notification.pk) == "in_flight"
    assert services.redispatch_pending() == 0
    # ... a claim older than the timeout was left by a dead worker and is taken over.
    with time_machine.travel(claimed_at + timedelta(minutes=11)):
        assert services.redispatch_pending() == 1

    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.SENT
    assert notification.email_attempts == 2
    assert len(mailoutbox) == 1


def test_delivery_claim_taken_over_is_reported_not_marked(mailoutbox, caplog):
    notification = NotificationFactory(
        email_status=EmailStatus.PENDING, next_attempt_at=timezone.now()
    )

    def slow_send(message):
        # While this worker talks to the mail server, another takes the claim over.
        Notification.objects.filter(pk=notification.pk).update(claim_token=None)
        message.send()

    with mock.patch.object(services, "_send", side_effect=slow_send):
        outcome = services.deliver_email(notification_id=notification.pk)

    assert outcome == services.DeliveryOutcome.CLAIM_LOST
    assert "may have gone twice" in caplog.text


def test_email_has_link_and_no_other_personal_data(
    settings, django_capture_on_commit_callbacks, mailoutbox
):
    settings.SITE_URL = "https://access.tre.example"
    owner = make_user(
        "data_owner", full_name="Olive Owner", username="olive-login", email="oo@data.example"
    )
    other = make_user("panel_member", full_name="Peter Panel", email="peter@panel.example")
    with django_capture_on_commit_callbacks(execute=True):
        raise_submitted([owner, other])

    (to_owner,) = [m for m in mailoutbox if m.to == [owner.email]]
    text = to_owner.subject + to_owner.body + str(to_owner.message())
    assert "https://access.tre.example/applications/42/" in to_owner.body
    assert to_owner.cc == []
    assert to_owner.bcc == []
    for leaked in ("peter@panel.example", "Peter Panel", "olive-login", "Olive Owner"):
        assert leaked not in text


def test_email_off_user_gets_in_app_notification_only(
    django_capture_on_commit_callbacks, mailoutbox
):
    user = make_user()
    services.preference_set(user=user, email_mode=EmailMode.OFF)
    with django_capture_on_commit_callbacks(execute=True):
        (notification,) = raise_submitted([user])

    assert notification.email_status == EmailStatus.NOT_WANTED
    assert mailoutbox == []
    assert services.send_digests(now=timezone.now().replace(hour=12)) == 0


def test_digest_user_gets_one_email_a_day_and_none_twice(
    django_capture_on_commit_callbacks, mailoutbox
):
    digest_reader, immediate_reader = make_user(), make_user()
    services.preference_set(user=digest_reader, email_mode=EmailMode.DAILY_DIGEST)

    with time_machine.travel(datetime(2025, 3, 3, 6, 0, tzinfo=UTC), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            raise_submitted([digest_reader, immediate_reader])
            raise_submitted([digest_reader], url="/applications/43/", context={"reference": "B"})
        assert [m.to for m in mailoutbox] == [[immediate_reader.email]]
        mailoutbox.clear()
        assert services.send_digests() == 0  # before 07:00 UTC nothing is opened

    with time_machine.travel(datetime(2025, 3, 3, 7, 15, tzinfo=UTC), tick=False):
        assert services.send_digests() == 1
        assert services.send_digests() == 0  # the sweep ran twice: still one email
        with django_capture_on_commit_callbacks(execute=True):
            raise_submitted([digest_reader], url="/applications/44/", context={"reference": "C"})
        assert services.send_digests() == 0  # raised after today's digest: waits a day

    (digest,) = mailoutbox
    assert digest.to == [digest_reader.email]
    assert "2 updates" in digest.subject
    assert "/applications/42/" in digest.body
    assert "/applications/43/" in digest.body
    assert "/applications/44/" not in digest.body

    with time_machine.travel(datetime(2025, 3, 4, 7, 0, tzinfo=UTC), tick=False):
        assert services.send_digests() == 1
        assert services.send_digests() == 0
    assert len(mailoutbox) == 2
    assert "/applications/44/" in mailoutbox[1].body
    assert "1 update " in mailoutbox[1].subject + " "
    assert DigestRun.objects.filter(recipient=digest_reader).count() == 2
    assert not Notification.objects.filter(recipient=digest_reader, digest__isnull=True).exists()


def test_digest_failure_is_retried_at_next_run_not_resent(settings, mailoutbox):
    settings.EMAIL_BACKEND = "tests.support.email.FlakyBackend"
    FlakyBackend.failures = 1
    user = make_user()
    now = timezone.now().replace(hour=8)
    # Raised before the digest opens that day, whatever the time the test runs at.
    with time_machine.travel(now - timedelta(hours=2), tick=False):
        NotificationFactory(recipient=user, email_status=EmailStatus.SKIPPED_DIGEST)
    with time_machine.travel(now, tick=False):
        assert services.send_digests() == 0
        assert DigestRun.objects.get().email_status == EmailStatus.PENDING
    with time_machine.travel(now + timedelta(hours=3), tick=False):
        assert services.send_digests() == 1
        assert services.send_digests() == 0
    assert len(mailoutbox) == 1


def test_mark_read_by_another_user_is_not_allowed_and_changes_nothing():
    notification = NotificationFactory()
    with pytest.raises(NotAllowed):
        services.notification_mark_read(notification=notification, by=make_user())
    notification.refresh_from_db()
    assert notification.read_at is None


def test_requeue_failed_gives_fresh_attempts(django_capture_on_commit_callbacks, mailoutbox):
    ops = make_user("ops")
    failed = NotificationFactory(email_status=EmailStatus.FAILED, email_attempts=6)
    sent = NotificationFactory(email_status=EmailStatus.SENT)
    with django_capture_on_commit_callbacks(execute=True):
        count = services.notifications_requeue_failed(notification_ids=[failed.pk, sent.pk], by=ops)
    failed.refresh_from_db()
    assert count == 1
    assert failed.email_status == EmailStatus.SENT
    assert [m.to for m in mailoutbox] == [[failed.recipient.email]]
    with pytest.raises(NotAllowed):
        services.notifications_requeue_failed(notification_ids=[failed.pk], by=make_user())


def test_beat_schedule_names_registered_tasks_that_run(mailoutbox):
    from config.celery import BEAT_SCHEDULE, app

    notification = NotificationFactory(
        email_status=EmailStatus.PENDING, next_attempt_at=timezone.now(), dispatched_at=None
    )
    results = {
        name: app.tasks[entry["task"]].delay().get()
        for name, entry in BEAT_SCHEDULE.items()
        if name.startswith("notifications-")
    }
    assert results == {
        "notifications-redispatch-pending": 1,
        "notifications-send-daily-digests": 0,
    }
    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.SENT


def test_admin_requeue_action_requeues_failed_emails(client, mailoutbox):
    admin_user = make_user("ops", is_staff=True, is_superuser=True)
    failed = NotificationFactory(email_status=EmailStatus.FAILED, email_attempts=6)
    client.force_login(admin_user)
    for page in (
        "/admin/notifications/notification/",
        f"/admin/notifications/notification/{failed.pk}/change/",
        "/admin/notifications/digestrun/",
    ):
        assert client.get(page).status_code == 200

    response = client.post(
        "/admin/notifications/notification/",
        {"action": "requeue_failed", "_selected_action": [failed.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "1 failed email(s) requeued." in response.content.decode()
    failed.refresh_from_db()
    assert failed.email_status == EmailStatus.PENDING
    assert failed.email_attempts == 0


def test_delivery_task_meeting_live_claim_looks_again_after_it_goes_stale(settings):
    settings.NOTIFICATIONS_SENDING_STALE_AFTER = 600
    notification = NotificationFactory(
        email_status=EmailStatus.SENDING, claimed_at=timezone.now(), email_attempts=1
    )
    with (
        mock.patch.object(deliver_notification, "retry", side_effect=RuntimeError) as retry,
        pytest.raises(RuntimeError),
    ):
        deliver_notification.apply(args=(notification.pk,), throw=True)
    assert retry.call_args.kwargs == {"countdown": 601}


def many(recipients_by_key: dict[str, list], **overrides) -> list[services.Message]:
    return [
        services.Message(
            recipients=people,
            kind="stage.overdue",
            subject="{{ reference }} is overdue",
            body="Dear {{ recipient.full_name }}, {{ reference }} is overdue.",
            context={"reference": key},
            url="/applications/42/",
            about="application:42",
            dedupe_key=f"stage.overdue:{key}",
            **overrides,
        )
        for key, people in recipients_by_key.items()
    ]


def test_notify_many_raises_each_once_and_emails_after_commit_in_one_publish(
    django_capture_on_commit_callbacks, mailoutbox, django_assert_max_num_queries
):
    analyst, reviewer, quiet = make_user("analyst"), make_user("reviewer"), make_user("ops")
    services.preference_set(user=quiet, email_mode=EmailMode.OFF)
    messages = many({"APP-1": [analyst, reviewer, analyst], "APP-2": [reviewer, quiet]})
    published = []
    original = services.publish_deliveries
    with (
        mock.patch.object(
            services,
            "publish_deliveries",
            side_effect=lambda ids: published.append(ids) or original(ids),
        ),
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        # Existing keys, preferences, the batch's table, the insert returning the new ids (and
        # the COPY into the batch's table, which is not a query Django sees).
        with django_assert_max_num_queries(4):
            assert services.notify_many(messages) == 4
        assert mailoutbox == []  # nothing leaves before the sweep's batch commits

    # Three emails (the person who turned email off gets the in-app row only), published to
    # the worker in one message that fans out there.
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [analyst.email, reviewer.email, reviewer.email]
    )
    assert len(published) == 1
    assert len(published[0]) == 3
    body = Notification.objects.get(recipient=analyst).body
    assert body == f"Dear {analyst.full_name}, APP-1 is overdue."
    # Raised again (the sweep twice): nothing new, nothing rendered or sent.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.notify_many(many({"APP-1": [analyst], "APP-2": [quiet]})) == 0
    assert Notification.objects.count() == 4
    assert len(mailoutbox) == 3


def test_notify_many_needs_dedupe_keys_and_valid_messages():
    analyst = make_user("analyst")
    (message,) = many({"APP-1": [analyst]})
    with pytest.raises(ValueError, match="dedupe_key"):
        services.notify_many([dataclasses.replace(message, dedupe_key=None)])
    with pytest.raises(ValidationFailed):
        services.notify_many([dataclasses.replace(message, kind="Bad kind")])
    with pytest.raises(ValidationFailed):
        services.notify_many([dataclasses.replace(message, url="https://elsewhere.example/")])
    assert Notification.objects.count() == 0


def test_notify_many_broker_down_leaves_rows_for_the_redispatch_sweep(
    django_capture_on_commit_callbacks, mailoutbox, caplog
):
    from notifications.tasks import deliver_notifications

    analyst = make_user("analyst")
    with (
        mock.patch.object(deliver_notifications, "apply_async", side_effect=BrokerError("down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert services.notify_many(many({"APP-1": [analyst]})) == 1
    assert "sweep will retry" in caplog.text
    assert mailoutbox == []
    later = timezone.now() + timedelta(minutes=3)
    assert services.redispatch_pending(now=later) == 1
    assert [m.to for m in mailoutbox] == [[analyst.email]]
