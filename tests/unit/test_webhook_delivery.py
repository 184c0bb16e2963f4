"""Delivering webhooks to a real receiver on loopback (ours, verifying the Standard Webhooks
signature): in order per project, a failing receiver retried with backoff and never blocking
the change, every attempt logged, a delivery sent again by hand."""

from __future__ import annotations

import datetime
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories.workflow import World
from tests.support.integration import free_port
from tests.support.webhooks import Receiver
from workflow.models import State
from workflow.provisioning import services
from workflow.provisioning.models import DeliveryStatus, WebhookDelivery
from workflow.route import services as route_services

pytestmark = pytest.mark.django_db

KINDS = ["grant.created", "grant.suspended", "grant.reinstated", "grant.ended", "project.closed"]


@pytest.fixture
def world():
    return World()


@pytest.fixture
def receiver():
    receiver = Receiver()
    receiver.start()
    yield receiver
    receiver.stop()


def register(world, url: str, receiver: Receiver | None = None):
    hook = services.webhook_receiver_register(by=world.ops, url=url, kinds=KINDS)
    if receiver is not None:
        receiver.secret = hook.secret
    return hook


def deliver(hook, application) -> int:
    return services.webhook_lane_deliver(receiver_id=hook.pk, application_id=application.pk)


def make_due() -> None:
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())


def test_deliveries_arrive_signed_and_in_order(world, receiver):
    hook = register(world, receiver.url, receiver)
    live = world.at(State.ACTIVE)
    route_services.application_suspend(application=live, by=world.ops, reason="Breach")
    assert deliver(hook, live) == 4
    assert receiver.refused == []
    kinds = [r.body["type"] for r in receiver.received]
    assert kinds == ["grant.created", "grant.created", "grant.suspended", "grant.suspended"]
    cursors = [r.body["data"]["cursor"] for r in receiver.received]
    assert cursors == sorted(cursors)
    assert [r.message_id for r in receiver.received] == [f"msg_{c}" for c in cursors]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_a_failing_receiver_holds_its_lane_and_is_retried(world, receiver, settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60
    hook = register(world, receiver.url, receiver)
    receiver.answer = 500
    live = world.at(State.ACTIVE)
    # The change happened whatever the receiver says.
    route_services.application_suspend(application=live, by=world.ops, reason="Breach")
    assert live.__class__.objects.get(pk=live.pk).state == State.SUSPENDED

    assert deliver(hook, live) == 0
    first, *rest = WebhookDelivery.objects.order_by("change_id")
    assert first.status == DeliveryStatus.PENDING
    assert first.attempts == 1
    assert first.last_status_code == 500
    assert first.next_attempt_at > timezone.now() + datetime.timedelta(seconds=40)
    (attempt,) = first.log.all()
    assert attempt.status_code == 500
    assert '"answer": 500' in attempt.response_body
    assert all(d.attempts == 0 for d in rest)  # nothing overtakes the first

    assert deliver(hook, live) == 0  # not due yet: no second attempt
    assert first.log.count() == 1

    receiver.answer = 200
    make_due()
    assert deliver(hook, live) == 4
    assert [r.body["data"]["cursor"] for r in receiver.received] == sorted(
        d.change_id for d in WebhookDelivery.objects.all()
    )


def test_backoff_grows_with_each_failure(world, settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 10
    settings.WEBHOOK_RETRY_MAX_SECONDS = 25
    hook = register(world, f"http://127.0.0.1:{free_port()}/down")  # nobody listens
    live = world.at(State.ACTIVE)
    waits = []
    for _ in range(3):
        make_due()
        before = timezone.now()
        deliver(hook, live)
        head = WebhookDelivery.objects.order_by("change_id").first()
        waits.append((head.next_attempt_at - before).total_seconds())
    assert 8 <= waits[0] <= 12.5
    assert 16 <= waits[1] <= 24.5
    assert 20 <= waits[2] <= 30.5
    assert "ConnectionRefusedError" in head.last_error or "refused" in head.last_error.lower()
    assert head.log.count() == 3


def test_a_receiver_that_hangs_times_out_and_is_retried(world, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self):
            time.sleep(2)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        hook = register(world, f"http://127.0.0.1:{server.server_port}/slow")
        live = world.at(State.ACTIVE)
        started = time.monotonic()
        assert deliver(hook, live) == 0
        assert time.monotonic() - started < 1.8
    finally:
        server.shutdown()
        server.server_close()
    head = WebhookDelivery.objects.order_by("change_id").first()
    assert head.status == DeliveryStatus.PENDING
    assert "timed out" in head.last_error.lower()


def test_ops_send_a_delivery_again_by_hand(world, receiver, client_for):
    hook = register(world, receiver.url, receiver)
    live = world.at(State.ACTIVE)
    deliver(hook, live)
    first = WebhookDelivery.objects.order_by("change_id").first()

    refused = client_for(world.pi).post(f"/api/v1/webhook-deliveries/{first.pk}/redeliver/")
    assert refused.status_code == 403
    answer = client_for(world.ops).post(f"/api/v1/webhook-deliveries/{first.pk}/redeliver/")
    assert answer.status_code == 200
    assert answer.json()["status"] == "pending"
    deliver(hook, live)
    ids = [r.message_id for r in receiver.received]
    assert ids.count(f"msg_{first.change_id}") == 2  # same id: the receiver can tell
    attempts = list(first.log.order_by("id"))
    assert [a.manual for a in attempts] == [False, True]
    log = client_for(world.ops).get(f"/api/v1/webhook-deliveries/{first.pk}/").json()["log"]
    assert [a["status_code"] for a in log] == [200, 200]


def test_a_switched_off_receiver_is_sent_nothing(world, receiver):
    hook = register(world, receiver.url, receiver)
    services.webhook_receiver_update(by=world.ops, receiver=hook, active=False)
    live = world.at(State.ACTIVE)
    assert deliver(hook, live) == 0
    assert receiver.received == []


def test_the_token_of_a_service_account_cannot_manage_webhooks(world):
    _, key = services.service_account_create(by=None, name="tre", scopes=["entitlements:read"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/webhook-deliveries/").status_code == 403


def test_the_outbox_publishes_the_delivery_task_by_its_name():
    from workflow.provisioning.outbox import DELIVER_TASK
    from workflow.provisioning.tasks import deliver_webhook_lane

    assert deliver_webhook_lane.name == DELIVER_TASK


def test_the_sweep_publishes_each_lane_with_a_delivery_due(world, settings):
    hook = register(world, f"http://127.0.0.1:{free_port()}/down")
    first = world.at(State.ACTIVE)
    second = world.at(State.ACTIVE)
    assert services.webhooks_redispatch() == 2  # one per project, however many are due
    deliver(hook, first)  # fails: its lane backs off
    later = timezone.now() + datetime.timedelta(seconds=1)
    assert services.webhooks_redispatch(now=later) == 1  # only the second project's is due
    services.webhook_receiver_update(by=world.ops, receiver=hook, active=False)
    assert services.webhooks_redispatch(now=later) == 0
    assert second.pk != first.pk


def test_a_redirect_is_not_followed(world):
    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(307)
            self.send_header("location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        hook = register(world, f"http://127.0.0.1:{server.server_port}/moved")
        live = world.at(State.ACTIVE)
        assert deliver(hook, live) == 0
    finally:
        server.shutdown()
        server.server_close()
    head = WebhookDelivery.objects.order_by("change_id").first()
    assert head.status == DeliveryStatus.PENDING
    assert head.last_status_code == 307
