"""Ops register the secure environment's webhook receiver in the browser (checked with axe):
a refused address is explained in the error summary; the secret is shown once."""

from __future__ import annotations

import pytest

from workflow.provisioning.models import WebhookReceiver


@pytest.mark.timeout(300)
def test_ops_register_a_webhook_receiver(demo, visitor, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False  # production's rule for this page
    owain = visitor()
    owain.login("owain.ops")
    owain.link("Operations")
    owain.link("Webhooks to the secure environment")
    owain.fill("Address", "http://10.0.0.8/hooks")
    owain.page.get_by_label("Access suspended").check()
    owain.click("Register the receiver")
    assert owain.page.title().startswith("Error: ")
    assert any("private, loopback or reserved" in e for e in owain.error_summary())

    owain.fill("Address", "ftp://tre.example/hooks")
    owain.click("Register the receiver")
    assert any("http:// or https://" in e for e in owain.error_summary())
    assert not WebhookReceiver.objects.exists()

    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True  # a receiver on this machine, for the demo
    owain.fill("Address", "http://127.0.0.1:8088/hooks")
    owain.page.get_by_label("Access suspended").check()
    owain.page.get_by_label("Project closed").check()
    owain.click("Register the receiver")
    receiver = WebhookReceiver.objects.get()
    assert "Receiver registered" in owain.text()
    assert receiver.secret in owain.text()
    assert receiver.kinds == ["grant.suspended", "project.closed"]
    owain.visit("/ops/webhooks/")
    assert receiver.secret not in owain.text()
