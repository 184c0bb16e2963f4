from __future__ import annotations

import factory

from notifications.models import EmailStatus, Notification
from tests.factories.access import UserFactory


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = "application.submitted"
    subject = factory.Sequence(lambda n: f"Application {n} submitted")
    body = "An application was submitted."
    url = factory.Sequence(lambda n: f"/applications/{n}/")
    email_status = EmailStatus.SENT
