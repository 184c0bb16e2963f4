"""The sitting pages: the chair plans a sitting, reorders and defers on the agenda (a form drawn
from an older agenda version is refused), publishes it, issues the papers, a member reads them,
the chair takes the attendance, decides, closes and publishes the minutes, which anyone reads."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from workflow.models import PanelMode, Sitting, State, TrackKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def sitting_world(world):
    world.igrp.mode = PanelMode.SITTING
    world.igrp.save()
    return world


def _date_fields(name: str, day: datetime.date) -> dict[str, str]:
    return {
        f"{name}-day": str(day.day),
        f"{name}-month": str(day.month),
        f"{name}-year": str(day.year),
    }


def test_a_sitting_from_plan_to_published_minutes_on_the_pages(sitting_world, page_client):
    world = sitting_world
    first = world.at(State.IN_REVIEW)
    second = world.at(State.IN_REVIEW, title="Second project on the agenda")
    chair = page_client(world.panel)
    day = timezone.localdate() + datetime.timedelta(days=10)

    # A cut-off after the date: the form says so.
    bad = chair.post(
        "/reviews/sittings/",
        {
            "panel": world.igrp.pk,
            **_date_fields("date", day),
            **_date_fields("cut_off", day + datetime.timedelta(days=1)),
        },
    )
    assert bad.status_code == 400
    assert "on or before the date of the sitting" in bad.content.decode()

    planned = chair.post(
        "/reviews/sittings/",
        {
            "panel": world.igrp.pk,
            **_date_fields("date", day),
            **_date_fields("cut_off", day - datetime.timedelta(days=3)),
            "location": "Committee room",
        },
    )
    sitting = Sitting.objects.get()
    assert planned.status_code == 302
    page = chair.get(f"/reviews/sittings/{sitting.pk}/").content.decode()
    assert first.reference in page
    assert second.reference in page

    # Move the second up, on version 1; a form still showing version 1 is then refused.
    second_track = second.tracks.get(kind=TrackKind.IGRP)
    first_track = first.tracks.get(kind=TrackKind.IGRP)
    moved = chair.post(
        f"/reviews/sittings/{sitting.pk}/",
        {"action": "up", "agenda_version": 1, "track": second_track.pk},
    )
    assert moved.status_code == 302
    # Back to the page with the reason (the pages' way with a 409), and nothing deferred.
    stale = chair.post(
        f"/reviews/sittings/{sitting.pk}/",
        {"action": "defer", "agenda_version": 1, "track": first_track.pk},
        follow=True,
    )
    assert "Someone else changed this agenda since you opened it" in stale.content.decode()
    assert sitting.items.filter(state="deferred").count() == 0
    deferred = chair.post(
        f"/reviews/sittings/{sitting.pk}/",
        {"action": "defer", "agenda_version": 2, "track": first_track.pk},
    )
    assert deferred.status_code == 302
    sitting.refresh_from_db()
    assert [i.track_id for i in sitting.items.filter(state="listed")] == [second_track.pk]

    chair.post(f"/reviews/sittings/{sitting.pk}/", {"action": "publish_agenda"})
    chair.post(f"/reviews/sittings/{sitting.pk}/", {"action": "issue_papers"})
    item = sitting.items.get(state="listed")
    paper = page_client(world.expert).get(f"/reviews/sittings/{sitting.pk}/items/{item.pk}/")
    assert paper.status_code == 200
    assert "Five Safes checks" in paper.content.decode()
    assert (
        page_client(world.pi).get(f"/reviews/sittings/{sitting.pk}/items/{item.pk}/").status_code
        == 404
    )

    moment = datetime.datetime.combine(day, datetime.time(10), tzinfo=datetime.UTC)
    with time_machine.travel(moment, tick=False):
        # Signed in on the day (a session from ten days before has timed out).
        chair = page_client(world.panel)
        chair.post(
            f"/reviews/sittings/{sitting.pk}/",
            {"action": "attendance", "present": [world.panel.pk, world.expert.pk]},
        )
        decided = chair.post(
            f"/reviews/sittings/{sitting.pk}/",
            {"action": "decide", "item": item.pk, "decide-outcome": "approved"},
        )
        assert decided.url == f"/reviews/sittings/{sitting.pk}/"
        item.refresh_from_db()
        assert item.state == "decided"
        chair.post(f"/reviews/sittings/{sitting.pk}/", {"action": "close"})
    chair = page_client(world.panel)
    named = chair.post(
        f"/reviews/sittings/{sitting.pk}/",
        {"action": "minutes", "minutes": "Eve Expert asked about linkage."},
    )
    assert named.status_code == 400
    assert "no personal data" in named.content.decode()
    chair.post(
        f"/reviews/sittings/{sitting.pk}/",
        {"action": "minutes", "minutes": "The panel approved one application; one deferred."},
    )
    public = page_client().get(f"/sittings/{sitting.pk}/minutes/").content.decode()
    assert second.reference in public
    assert "Approved" in public
    assert "1 item deferred" in public
    for person in (world.panel, world.expert, world.pi):
        assert person.full_name not in public
    assert (
        f"/sittings/{sitting.pk}/minutes/"
        in page_client().get("/sittings/minutes/").content.decode()
    )


def test_the_track_page_of_a_panel_that_sits_names_its_sitting(sitting_world, page_client):
    world = sitting_world
    app = world.at(State.IN_REVIEW)
    track = app.tracks.get(kind=TrackKind.IGRP)
    page = page_client(world.panel).get(f"/reviews/tracks/{track.pk}/").content.decode()
    assert "decides at its sittings" in page
    assert "no sitting it can make is planned yet" in page
