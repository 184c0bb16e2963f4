from __future__ import annotations

import pytest
from django.utils import timezone

from notifications.models import EmailMode, Notification, NotificationPreference
from tests.factories import make_user
from tests.factories.notifications import NotificationFactory

pytestmark = pytest.mark.django_db

INBOX = "/api/v1/notifications/"


def test_inbox_shows_only_own_notifications_newest_first(client_for):
    me, someone_else = make_user("researcher"), make_user("researcher")
    older = NotificationFactory(recipient=me, subject="older")
    newer = NotificationFactory(recipient=me, subject="newer")
    NotificationFactory(recipient=someone_else, subject="not mine")

    response = client_for(me).get(INBOX)

    assert response.status_code == 200
    assert [n["id"] for n in response.json()["results"]] == [newer.pk, older.pk]
    assert "email_status" not in response.json()["results"][0]


def test_inbox_unread_filter_lists_unread_only(client_for):
    me = make_user()
    unread = NotificationFactory(recipient=me)
    NotificationFactory(recipient=me, read_at=timezone.now())

    response = client_for(me).get(INBOX, {"unread": "true"})

    assert [n["id"] for n in response.json()["results"]] == [unread.pk]


def test_inbox_query_count_does_not_grow_with_length(client_for, django_assert_max_num_queries):
    me = make_user()
    NotificationFactory.create_batch(30, recipient=me)
    client = client_for(me)
    with django_assert_max_num_queries(2):  # count + page
        response = client.get(INBOX)
    assert response.json()["count"] == 30


def test_inbox_requires_login(api_client):
    response = api_client.get(INBOX)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_mark_read_sets_read_at_once(client_for):
    me = make_user()
    notification = NotificationFactory(recipient=me)
    client = client_for(me)

    first = client.post(f"{INBOX}{notification.pk}/read/")
    second = client.post(f"{INBOX}{notification.pk}/read/")

    assert first.status_code == 200
    assert first.json()["is_read"] is True
    assert second.json()["read_at"] == first.json()["read_at"]


def test_mark_read_of_another_users_notification_is_404_and_changes_nothing(client_for):
    owner, intruder = make_user(), make_user()
    notification = NotificationFactory(recipient=owner)

    read = client_for(intruder).post(f"{INBOX}{notification.pk}/read/")
    detail = client_for(intruder).get(f"{INBOX}{notification.pk}/")

    assert read.status_code == 404
    assert read.json()["code"] == "not_found"
    assert detail.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_read_all_marks_only_the_callers_unread(client_for):
    me, other = make_user(), make_user()
    NotificationFactory.create_batch(3, recipient=me)
    theirs = NotificationFactory(recipient=other)

    response = client_for(me).post(f"{INBOX}read-all/")

    assert response.status_code == 200
    assert response.json() == {"marked_read": 3}
    assert not Notification.objects.filter(recipient=me, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_preferences_default_to_immediate_and_can_be_changed(client_for):
    me = make_user()
    client = client_for(me)

    assert client.get(f"{INBOX}preferences/").json() == {"email_mode": "immediate"}
    response = client.put(f"{INBOX}preferences/", {"email_mode": "daily_digest"})

    assert response.status_code == 200
    assert response.json() == {"email_mode": "daily_digest"}
    assert NotificationPreference.objects.get(user=me).email_mode == EmailMode.DAILY_DIGEST


def test_preferences_unknown_mode_is_400_with_field(client_for):
    me = make_user()
    response = client_for(me).put(f"{INBOX}preferences/", {"email_mode": "carrier_pigeon"})
    assert response.status_code == 400
    assert "email_mode" in response.json()["fields"]
    assert not NotificationPreference.objects.filter(user=me).exists()
