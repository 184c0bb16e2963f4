"""Who may run a sitting: every write of the sittings API × every kind of person, in the state
that allows it (the spec is the table below). Each attempt runs in a savepoint that is rolled
back, so each starts from the same sitting; refused attempts leave no event.

- the panel's chair: everything;
- ops (the panel's secretariat): everything but deciding an item (the chair's, as on a rolling
  panel);
- another member of the panel: sees the sitting, may run none of it (403);
- a reviewer: sees no sitting (404) and may not plan one (403);
- the team and an outsider: see nothing (404);
- signed out: 401.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories.workflow import World
from workflow.models import PanelMode, SittingEvent, State, TrackKind
from workflow.sittings import services as sittings

pytestmark = pytest.mark.django_db

ROLES = ("chair", "ops", "member", "reviewer", "pi", "outsider", "anonymous")
RUNS = {"chair": 200, "ops": 200, "member": 403, "reviewer": 404, "pi": 404, "outsider": 404}
SPEC: dict[str, dict[str, int]] = {
    "create": {**RUNS, "chair": 201, "ops": 201, "reviewer": 403},
    "mode": {**RUNS, "chair": 403, "reviewer": 403, "member": 403},
    "agenda": RUNS,
    "publish_agenda": RUNS,
    "issue_papers": RUNS,
    "attendance": RUNS,
    "decide": {**RUNS, "ops": 403},
    "close": RUNS,
    "minutes": RUNS,
}


class Attempts:
    def __init__(self, world: World, cast: dict) -> None:
        self.world = world
        self.cast = cast
        self.failures: list[str] = []

    def tried(self, action: str, method: str, url: str, body: dict | None = None) -> None:
        for role in ROLES:
            client = APIClient()
            if role != "anonymous":
                client.force_authenticate(self.cast[role])
            events = SittingEvent.objects.count()
            with transaction.atomic():
                response = getattr(client, method)(url, body or {}, format="json")
                if response.status_code >= 300:
                    assert SittingEvent.objects.count() == events, (action, role)
                transaction.set_rollback(True)
            want = SPEC[action].get(role, 401)
            if response.status_code != want:
                self.failures.append(f"{action} by {role}: {response.status_code}, want {want}")


def test_who_may_run_a_sitting():
    world = World()
    world.igrp.mode = PanelMode.SITTING
    world.igrp.save()
    app = world.at(State.IN_REVIEW)
    cast = {
        "chair": world.panel,
        "ops": world.ops,
        "member": world.expert,
        "reviewer": world.reviewer,
        "pi": world.pi,
        "outsider": world.outsider,
    }
    t = Attempts(world, cast)
    today = timezone.localdate()
    t.tried(
        "create",
        "post",
        "/api/v1/sittings/",
        {"panel": world.igrp.pk, "date": today.isoformat(), "cut_off": today.isoformat()},
    )
    t.tried("mode", "post", f"/api/v1/panels/{world.igrp.pk}/mode/", {"mode": "rolling"})
    sitting = sittings.sitting_create(panel=world.igrp, by=world.ops, date=today, cut_off=today)
    url = f"/api/v1/sittings/{sitting.pk}"
    track = app.tracks.get(kind=TrackKind.IGRP)
    t.tried("agenda", "put", f"{url}/agenda/", {"agenda_version": 1, "tracks": [track.pk]})
    t.tried("publish_agenda", "post", f"{url}/publish-agenda/")
    sittings.agenda_publish(sitting=sitting, by=world.ops)
    t.tried("issue_papers", "post", f"{url}/issue-papers/")
    sittings.papers_issue(sitting=sitting, by=world.ops)
    t.tried("attendance", "put", f"{url}/attendance/", {"present": [world.panel.pk]})
    sittings.attendance_record(sitting=sitting, by=world.ops, present=[world.panel.pk])
    item = sitting.items.get()
    t.tried("decide", "post", f"{url}/items/{item.pk}/decide/", {"outcome": "approved"})
    t.tried("close", "post", f"{url}/close/")
    sittings.sitting_close(sitting=sitting, by=world.ops)
    t.tried("minutes", "post", f"{url}/publish-minutes/", {"minutes": "Nothing decided."})
    assert not t.failures, "\n".join(t.failures)
