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
        {
            "action": "defer",
            "agenda_version": 2,
            "track": first_track.pk,
            "defer-reason": "Awaiting a letter from the data owner.",
        },
    )
    assert deferred.status_code == 302
    assert (
        "Awaiting a letter from the data owner."
        in chair.get(f"/reviews/sittings/{sitting.pk}/").content.decode()
    )
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
    assert "Awaiting a letter from the data owner." in public  # the chair's reason, no name
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


def test_ops_switch_a_panel_between_rolling_and_sittings_on_its_page(world, page_client):
    """The ops panel pages say how each panel decides and change it through the API's service:
    a sitting with its papers issued and items still listed holds the panel at its sittings
    (409 on the page, with the reason), until its items are deferred."""
    from workflow.sittings import services as sittings

    ops = page_client(world.ops)
    url = f"/ops/panels/{world.igrp.pk}/mode/"
    listing = ops.get("/ops/panels/").content.decode()
    assert "On a rolling basis" in listing
    assert url in listing
    assert page_client(world.panel).get(url).status_code == 403

    unchosen = ops.post(url, {})
    assert unchosen.status_code == 400
    assert "Select how the panel decides." in unchosen.content.decode()
    switched = ops.post(url, {"mode": "sitting"}, follow=True)
    assert "the panel now decides at sittings" in switched.content.decode()
    world.igrp.refresh_from_db()
    assert world.igrp.mode == PanelMode.SITTING
    assert "At sittings" in ops.get("/ops/panels/").content.decode()

    app = world.at(State.IN_REVIEW)
    track = app.tracks.get(kind=TrackKind.IGRP)
    day = timezone.localdate() + datetime.timedelta(days=10)
    sitting = sittings.sitting_create(
        panel=world.igrp, by=world.panel, date=day, cut_off=day - datetime.timedelta(days=3)
    )
    sittings.agenda_publish(sitting=sitting, by=world.panel)
    sittings.papers_issue(sitting=sitting, by=world.panel)
    track.refresh_from_db()
    assert track.due_date == day  # due on the sitting that will decide it

    page = ops.get(url).content.decode()
    assert "1 item still listed" in page
    refused = ops.post(url, {"mode": "rolling"})
    assert refused.status_code == 409
    assert "has its papers issued" in refused.content.decode()
    world.igrp.refresh_from_db()
    assert world.igrp.mode == PanelMode.SITTING

    sitting.refresh_from_db()
    sittings.agenda_update(
        sitting=sitting, by=world.panel, agenda_version=sitting.agenda_version, tracks=[]
    )
    assert ops.post(url, {"mode": "rolling"}).status_code == 302
    world.igrp.refresh_from_db()
    assert world.igrp.mode == PanelMode.ROLLING
    track.refresh_from_db()
    assert track.due_date != day  # its target's due date again


def test_a_reason_for_deferring_that_names_a_person_stays_off_the_agenda_and_the_minutes(
    sitting_world, page_client, client_for
):
    world = sitting_world
    first = world.at(State.IN_REVIEW)
    second = world.at(State.IN_REVIEW, title="Second project on the agenda")
    from workflow.sittings import services as sittings
    from workflow.sittings.selectors import deferred_reasons

    day = timezone.localdate() + datetime.timedelta(days=10)
    sitting = sittings.sitting_create(
        panel=world.igrp, by=world.panel, date=day, cut_off=day - datetime.timedelta(days=3)
    )
    sittings.agenda_publish(sitting=sitting, by=world.panel)
    sitting.refresh_from_db()
    chair = page_client(world.panel)
    page = f"/reviews/sittings/{sitting.pk}/"
    first_track = first.tracks.get(kind=TrackKind.IGRP)
    second_track = second.tracks.get(kind=TrackKind.IGRP)
    assert f"Why is {first.reference} deferred? (optional)" in chair.get(page).content.decode()

    too_long = chair.post(
        page,
        {
            "action": "defer",
            "agenda_version": sitting.agenda_version,
            "track": first_track.pk,
            "defer-reason": "x" * 2001,
        },
    )
    assert too_long.status_code == 400
    assert "Give the reason in at most 2,000 characters." in too_long.content.decode()
    assert sitting.items.filter(state="deferred").count() == 0

    named = f"{world.pi.full_name} asked for more time."
    private = chair.post(
        page,
        {
            "action": "defer",
            "agenda_version": sitting.agenda_version,
            "track": first_track.pk,
            "defer-reason": named,
        },
        follow=True,
    )
    text = private.content.decode()
    assert "The reason names a person: it is kept on the record" in text
    assert named not in text
    item = sitting.items.get(track=first_track)
    assert (item.state, item.deferred_reason, item.deferred_reason_public) == (
        "deferred",
        named,
        False,
    )
    sitting.refresh_from_db()
    chair.post(
        page,
        {
            "action": "defer",
            "agenda_version": sitting.agenda_version,
            "track": second_track.pk,
            "defer-reason": "Needs the DEA panel first.",
        },
    )
    assert "Needs the DEA panel first." in chair.get(page).content.decode()
    assert deferred_reasons(sitting) == ["Needs the DEA panel first."]
    items = client_for(world.panel).get(f"/api/v1/sittings/{sitting.pk}/").json()["items"]
    by_track = {i["track"]: i for i in items}
    assert by_track[first_track.pk]["deferred_reason"] == ""
    assert by_track[first_track.pk]["deferred_reason_withheld"] is True
    assert by_track[second_track.pk]["deferred_reason"] == "Needs the DEA panel first."
