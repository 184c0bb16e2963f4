"""Stage targets: seeded with the defaults, read by anyone signed in, set by ops (API and
admin), validated with field messages."""

from __future__ import annotations

import pytest

from tests.factories.workflow import World
from workflow.models import StageTarget
from workflow.turnaround.targets import DEFAULT_TARGETS, seed_default_targets, targets

pytestmark = pytest.mark.django_db

URL = "/api/v1/stage-targets/"


@pytest.fixture
def world():
    seed_default_targets()
    return World()


def test_defaults_from_the_sources(client_for, world):
    response = client_for(world.pi).get(URL)
    assert response.status_code == 200
    got = {r["stage"]: (r["days"], r["unit"]) for r in response.json()}
    assert got == {
        "scoping": (20, "working"),
        "internal_review": (5, "working"),
        "igrp": (19, "calendar"),
        "dea_panel": (19, "calendar"),
        "owner_signoff": (10, "working"),
        "grant_access": (5, "working"),
        "changes_requested": (20, "working"),
        "output_check": (5, "working"),
    }


def test_ops_change_a_target_and_it_is_stamped(client_for, world):
    response = client_for(world.ops).patch(
        f"{URL}igrp/", {"days": 42, "escalate_after_days": None}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["days"], body["unit"], body["escalate_after_days"]) == (42, "calendar", None)
    assert body["updated_by"] == world.ops.full_name
    assert body["updated_at"]
    assert targets()["igrp"].days == 42


def test_only_ops_set_targets(client_for, world):
    for user in (world.pi, world.reviewer, world.analyst):
        response = client_for(user).patch(f"{URL}scoping/", {"days": 1}, format="json")
        assert response.status_code == 403
    assert StageTarget.objects.get(stage="scoping").days == 20


def test_anonymous_gets_401(api_client, world):
    assert api_client.get(URL).status_code == 401


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"days": 0}, "days"),
        ({"unit": "fortnights"}, "unit"),
        ({"due_soon_days": 25}, "due_soon_days"),
        ({"escalate_after_days": -1}, "escalate_after_days"),
    ],
)
def test_bad_targets_are_400(client_for, world, payload, field):
    response = client_for(world.ops).patch(f"{URL}scoping/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_a_target_for_one_panel(client_for, world):
    client = client_for(world.ops)
    response = client.post(
        URL, {"stage": "panel:igrp-north", "days": 28, "unit": "calendar"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert client.get(f"{URL}panel:igrp-north/").json()["days"] == 28
    again = client.post(
        URL, {"stage": "panel:igrp-north", "days": 28, "unit": "calendar"}, format="json"
    )
    assert again.status_code == 400
    bad = client.post(URL, {"stage": "lunch", "days": 1, "unit": "calendar"}, format="json")
    assert bad.status_code == 400
    assert "stage" in bad.json()["fields"]
    missing = client.post(URL, {"stage": "panel:other"}, format="json")
    assert missing.status_code == 400
    assert set(missing.json()["fields"]) == {"days", "unit"}


def test_seeding_never_overwrites_what_ops_set(world):
    StageTarget.objects.filter(stage="scoping").update(days=30)
    StageTarget.objects.filter(stage="igrp").delete()
    seed_default_targets()
    assert StageTarget.objects.get(stage="scoping").days == 30
    assert StageTarget.objects.get(stage="igrp").days == DEFAULT_TARGETS["igrp"].days


def test_targets_fall_back_to_the_defaults_without_rows(world):
    StageTarget.objects.all().delete()
    assert targets() == DEFAULT_TARGETS


def test_admin_lets_ops_edit_a_target(client, world):
    world.ops.is_staff = True
    world.ops.save()
    client.force_login(world.ops)
    row = StageTarget.objects.get(stage="internal_review")
    url = f"/admin/workflow/stagetarget/{row.pk}/change/"
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"days": 7, "unit": "working", "due_soon_days": 2, "escalate_after_days": 3}
    )
    assert response.status_code == 302
    # Saving adds a version in force from now; the one that was in force is kept as it was.
    current = StageTarget.objects.filter(stage="internal_review").latest("effective_from")
    assert (current.days, current.updated_by) == (7, world.ops)
    row.refresh_from_db()
    assert (row.days, row.updated_by) == (5, None)
    assert targets()["internal_review"].days == 7
    bad = client.post(url, {"days": 3, "unit": "working", "due_soon_days": 5})
    assert bad.status_code == 200  # the form again, with the problem
    assert "before the due date" in bad.content.decode()
    # Staff without the ops role may not change targets.
    staff = world.reviewer
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    assert client.post(url, {"days": 9, "unit": "working", "due_soon_days": 2}).status_code == 403


def test_admin_adds_a_panel_target(client, world):
    world.ops.is_staff = True
    world.ops.save()
    client.force_login(world.ops)
    response = client.post(
        "/admin/workflow/stagetarget/add/",
        {"stage": "panel:dea-rap", "days": 28, "unit": "calendar", "due_soon_days": 5},
    )
    assert response.status_code == 302
    assert StageTarget.objects.get(stage="panel:dea-rap").updated_by == world.ops


def test_a_change_is_a_new_version_and_a_later_date_schedules_it(client_for, world):
    import datetime

    from tests.factories.turnaround import travel

    client = client_for(world.ops)
    with travel(datetime.date(2026, 3, 2)):
        now = client.patch(f"{URL}scoping/", {"days": 15}, format="json")
        later = client.patch(
            f"{URL}scoping/", {"days": 25, "effective_from": "2026-04-01"}, format="json"
        )
        past = client.patch(
            f"{URL}scoping/", {"days": 10, "effective_from": "2026-03-01"}, format="json"
        )
        assert targets()["scoping"].days == 15
        listed = {r["stage"]: r for r in client.get(URL).json()}
    assert now.status_code == later.status_code == 200
    assert past.status_code == 400
    assert "effective_from" in past.json()["fields"]
    scoping = listed["scoping"]
    assert scoping["days"] == 15
    assert [(v["days"], v["effective_from"][:10]) for v in scoping["versions"]] == [
        (20, "2000-01-01"),
        (15, "2026-03-02"),
        (25, "2026-04-01"),
    ]
    with travel(datetime.date(2026, 4, 1)):
        assert targets()["scoping"].days == 25
