"""Ops register the secure environment's webhook receivers on a page, see every delivery and
its attempts, and send one again."""

from __future__ import annotations

import pytest

from tests.support.webhooks import Receiver
from workflow.models import State
from workflow.provisioning import services
from workflow.provisioning.models import WebhookDelivery, WebhookReceiver

pytestmark = pytest.mark.django_db


def test_only_ops_see_the_webhooks_page(world, page_client):
    assert page_client(world.pi).get("/ops/webhooks/").status_code == 403
    assert page_client(world.ops).get("/ops/webhooks/").status_code == 200


def test_ops_register_a_receiver_and_see_its_secret_once(world, page_client):
    ops = page_client(world.ops)
    answer = ops.post(
        "/ops/webhooks/",
        {"url": "http://127.0.0.1:9/hook", "kinds": ["grant.suspended", "project.closed"]},
    )
    assert answer.status_code == 200
    receiver = WebhookReceiver.objects.get()
    assert receiver.secret in answer.content.decode()
    assert receiver.kinds == ["grant.suspended", "project.closed"]
    again = ops.get("/ops/webhooks/").content.decode()
    assert receiver.secret not in again
    assert "http://127.0.0.1:9/hook" in again


def test_a_bad_address_is_refused_with_its_reason(world, page_client, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    answer = page_client(world.ops).post(
        "/ops/webhooks/", {"url": "http://192.168.1.10/hook", "kinds": ["grant.created"]}
    )
    assert answer.status_code == 400
    assert "private, loopback or reserved" in answer.content.decode()
    assert not WebhookReceiver.objects.exists()


def test_ops_read_each_attempt_and_send_a_delivery_again(world, page_client):
    receiver = Receiver()
    receiver.start()
    try:
        hook = services.webhook_receiver_register(
            by=world.ops, url=receiver.url, kinds=["grant.created"]
        )
        receiver.secret = hook.secret
        receiver.answer = 503
        live = world.at(State.ACTIVE)
        services.webhook_lane_deliver(receiver_id=hook.pk, application_id=live.pk)
        delivery = WebhookDelivery.objects.order_by("change_id").first()
        ops = page_client(world.ops)
        listing = ops.get("/ops/webhooks/").content.decode()
        assert "HTTP 503" in listing
        page = ops.get(f"/ops/webhooks/deliveries/{delivery.pk}/").content.decode()
        assert "HTTP 503" in page
        assert "grant.created" in page

        receiver.answer = 200
        answer = ops.post(f"/ops/webhooks/deliveries/{delivery.pk}/redeliver/")
        assert answer.status_code == 302
        services.webhook_lane_deliver(receiver_id=hook.pk, application_id=live.pk)
    finally:
        receiver.stop()
    page = ops.get(f"/ops/webhooks/deliveries/{delivery.pk}/").content.decode()
    assert "HTTP 200" in page
    assert len(receiver.received) == 2
