"""Panel sittings: a panel that sits decides the applications on a sitting's agenda (built from
the tracks ready by the cut-off), with papers, attendance and quorum at the sitting, decisions
item by item and public minutes; a rolling panel goes on as before."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from notifications.models import Notification
from tests.factories.workflow import World
from workflow.models import (
    AgendaItem,
    Application,
    Outcome,
    PanelMembership,
    PanelMode,
    ReviewTrack,
    Sitting,
    SittingEvent,
    State,
    TrackKind,
)
from workflow.reviews import services as reviews_services
from workflow.sittings import selectors as sittings_selectors
from workflow.sittings import services as sittings
from workflow.turnaround.reminders import reminders_sweep

pytestmark = pytest.mark.django_db

SITTINGS = "/api/v1/sittings/"


@pytest.fixture
def world() -> World:
    w = World()
    w.igrp.mode = PanelMode.SITTING
    w.igrp.save()
    return w


def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.date:
    return today() + datetime.timedelta(days=n)


def igrp_track(app: Application) -> ReviewTrack:
    return app.tracks.get(kind=TrackKind.IGRP, superseded=False)


def plan(client, world, *, date=None, cut_off=None):
    return client.post(
        SITTINGS,
        {
            "panel": world.igrp.pk,
            "date": (date or days(14)).isoformat(),
            "cut_off": (cut_off or days(7)).isoformat(),
            "location": "Swansea, Data Science Building",
        },
        format="json",
    )


def at_sitting(sitting: Sitting):
    return time_machine.travel(
        datetime.datetime.combine(sitting.date, datetime.time(10), tzinfo=datetime.UTC),
        tick=False,
    )


# --- planning ---------------------------------------------------------------------------------


def test_a_sitting_lists_the_tracks_ready_by_its_cut_off_and_moves_their_due_dates(
    world, client_for
):
    app = world.at(State.IN_REVIEW)
    track = igrp_track(app)
    rolling_due = track.due_date
    response = plan(client_for(world.panel), world)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [i["reference"] for i in body["items"]] == [app.reference]
    assert body["agenda_version"] == 1
    # The track is now due on the sitting's day, not the panel's target.
    track.refresh_from_db()
    assert track.due_date == days(14) != rolling_due
    # The owner's sign-off is not a panel's: untouched.
    owner = app.tracks.get(kind=TrackKind.OWNER_SIGNOFF)
    assert owner.due_date != days(14)
    # The forecast of the application follows the sitting.
    forecast = client_for(world.pi).get(f"/api/v1/applications/{app.pk}/forecast/").json()
    review = next(s for s in forecast["steps"] if s["stage"] == "in_review")
    igrp = next(t for t in review["tracks"] if t["kind"] == "igrp")
    assert igrp["estimate"]["source"] == "sitting"
    assert igrp["estimate"]["days"] == 14
    assert "sitting:igrp" in {a["code"] for a in forecast["assumptions"]}


def test_a_track_referred_later_is_due_on_the_next_sitting_whose_cut_off_it_makes(
    world, client_for
):
    chair = client_for(world.panel)
    assert plan(chair, world, date=days(3), cut_off=days(0)).status_code == 201
    assert plan(chair, world, date=days(30), cut_off=days(20)).status_code == 201
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1), tick=False):
        app = world.at(State.IN_REVIEW)
    assert igrp_track(app).due_date == days(30)


def test_a_cut_off_after_the_date_is_refused(world, client_for):
    response = plan(client_for(world.panel), world, date=days(5), cut_off=days(6))
    assert response.status_code == 400
    assert "cut_off" in response.json()["fields"]


def test_a_rolling_panel_plans_no_sittings_and_its_chair_still_closes(world, client_for):
    world.igrp.mode = PanelMode.ROLLING
    world.igrp.save()
    assert plan(client_for(world.panel), world).status_code == 409
    app = world.at(State.IN_REVIEW)
    world.decide(igrp_track(app), Outcome.APPROVED)
    assert igrp_track(app).outcome == Outcome.APPROVED


def test_a_sitting_panel_chair_cannot_close_a_vote_outside_a_sitting(world, client_for):
    app = world.at(State.IN_REVIEW)
    track = igrp_track(app)
    reviews_services.vote_cast(track=track, by=world.expert, choice=Outcome.APPROVED)
    response = client_for(world.panel).post(
        f"/api/v1/review-tracks/{track.pk}/close/", {"outcome": "approved"}, format="json"
    )
    assert response.status_code == 409
    assert "sittings" in response.json()["detail"]


def test_only_the_chair_or_ops_plan_a_sitting(world, client_for):
    assert plan(client_for(world.expert), world).status_code == 403
    assert plan(client_for(world.ops), world).status_code == 201


def test_ops_switch_a_panel_between_rolling_and_sitting(world, client_for):
    response = client_for(world.ops).post(
        f"/api/v1/panels/{world.igrp.pk}/mode/", {"mode": "rolling"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["mode"] == "rolling"
    refused = client_for(world.panel).post(
        f"/api/v1/panels/{world.igrp.pk}/mode/", {"mode": "sitting"}, format="json"
    )
    assert refused.status_code == 403


# --- the agenda --------------------------------------------------------------------------------


def test_two_people_editing_the_agenda_at_once_one_wins_the_other_gets_409(world, client_for):
    first = world.at(State.IN_REVIEW)
    second = world.at(State.IN_REVIEW, title="A second project")
    sitting_id = plan(client_for(world.panel), world).json()["id"]
    url = f"{SITTINGS}{sitting_id}/agenda/"
    a, b = igrp_track(first).pk, igrp_track(second).pk
    chair = client_for(world.panel)
    secretariat = client_for(world.ops)
    won = chair.put(url, {"agenda_version": 1, "tracks": [b, a]}, format="json")
    lost = secretariat.put(url, {"agenda_version": 1, "tracks": [a]}, format="json")
    assert won.status_code == 200, won.json()
    assert [i["track"] for i in won.json()["items"] if i["state"] == "listed"] == [b, a]
    assert lost.status_code == 409
    assert "version 1" in lost.json()["detail"]
    # On the version it now reads, the secretariat's edit goes through: the other is deferred.
    again = secretariat.put(
        url, {"agenda_version": 2, "tracks": [a], "reason": "Awaiting ethics"}, format="json"
    )
    assert again.status_code == 200
    states = {i["track"]: i["state"] for i in again.json()["items"]}
    assert states == {a: "listed", b: "deferred"}


def test_an_agenda_item_whose_track_is_not_open_is_refused(world, client_for):
    world.igrp.mode = PanelMode.ROLLING
    world.igrp.save()
    decided = world.at(State.APPROVED)
    world.igrp.mode = PanelMode.SITTING
    world.igrp.save()
    sitting_id = plan(client_for(world.panel), world).json()["id"]
    response = client_for(world.panel).put(
        f"{SITTINGS}{sitting_id}/agenda/",
        {"agenda_version": 1, "tracks": [igrp_track(decided).pk]},
        format="json",
    )
    assert response.status_code == 400
    assert "not open" in response.json()["fields"]["tracks"][0]


def test_a_deferred_item_is_due_on_the_next_sitting(world, client_for):
    app = world.at(State.IN_REVIEW)
    chair = client_for(world.panel)
    first = plan(chair, world).json()["id"]
    plan(chair, world, date=days(40), cut_off=days(35))
    chair.put(f"{SITTINGS}{first}/agenda/", {"agenda_version": 1, "tracks": []}, format="json")
    assert igrp_track(app).due_date == days(40)


# --- the sitting ---------------------------------------------------------------------------------


def test_an_application_through_a_sitting_while_the_dea_panel_reviews_on_a_rolling_basis(
    world, client_for, api_client
):
    from workflow.models import LegalGateway

    datasets = world.content()["datasets"]
    datasets[0]["legal_gateway"] = LegalGateway.DEA_RESEARCH
    app = world.at(State.IN_REVIEW, datasets=datasets)
    world.igrp.quorum = 2
    world.igrp.min_independent_votes = 1
    world.igrp.save()
    chair = client_for(world.panel)
    sitting_id = plan(chair, world).json()["id"]
    sitting = Sitting.objects.get(pk=sitting_id)

    # The DEA panel decides on a rolling basis, its chair closing the vote.
    dea = app.tracks.get(kind=TrackKind.DEA_PANEL)
    world.decide(dea, Outcome.APPROVED)
    owner = app.tracks.get(kind=TrackKind.OWNER_SIGNOFF)
    world.decide(owner, Outcome.APPROVED)

    assert chair.post(f"{SITTINGS}{sitting_id}/publish-agenda/").status_code == 200
    # Papers: nobody reads them before they are issued.
    item = AgendaItem.objects.get(sitting=sitting)
    paper_url = f"{SITTINGS}{sitting_id}/items/{item.pk}/paper/"
    assert client_for(world.expert).get(paper_url).status_code == 404
    assert chair.post(f"{SITTINGS}{sitting_id}/issue-papers/").status_code == 200
    paper = client_for(world.expert).get(paper_url).json()
    assert paper["reference"] == app.reference
    assert {c["safe"] for c in paper["five_safes"]} >= {"projects", "data"}
    assert "public_benefit" in paper
    # The team does not read the panel's papers.
    assert client_for(world.pi).get(paper_url).status_code == 404

    decide_url = f"{SITTINGS}{sitting_id}/items/{item.pk}/decide/"
    with at_sitting(sitting):
        # Only the chair is there: no quorum; the 409 says what is missing.
        chair.put(
            f"{SITTINGS}{sitting_id}/attendance/", {"present": [world.panel.pk]}, format="json"
        )
        refused = chair.post(decide_url, {"outcome": "approved"}, format="json")
        assert refused.status_code == 409
        detail = refused.json()["detail"]
        assert "1 of the 2 members needed" in detail
        assert "0 of the 1 independent members" in detail
        # The lay member arrives.
        chair.put(
            f"{SITTINGS}{sitting_id}/attendance/",
            {"present": [world.panel.pk, world.lay.pk]},
            format="json",
        )
        decided = chair.post(decide_url, {"outcome": "approved"}, format="json")
        assert decided.status_code == 200, decided.json()
        # Minutes before the sitting is closed: 400.
        early = chair.post(
            f"{SITTINGS}{sitting_id}/publish-minutes/", {"minutes": "Approved."}, format="json"
        )
        assert early.status_code == 400
        assert chair.post(f"{SITTINGS}{sitting_id}/close/").status_code == 200

    # The track's decision, as today, and the application approved by the combined outcome.
    track = igrp_track(app)
    assert track.outcome == Outcome.APPROVED
    assert track.decided_by == world.panel
    decision = app.events.filter(kind="track_decided", payload__track="igrp").get()
    assert decision.payload["sitting"] == sitting_id
    assert Application.objects.get(pk=app.pk).state == State.APPROVED

    # Minutes naming a person are refused; the public form has numbers, not names.
    named = chair.post(
        f"{SITTINGS}{sitting_id}/publish-minutes/",
        {"minutes": f"{world.lay.full_name} asked about linkage."},
        format="json",
    )
    assert named.status_code == 400
    assert world.lay.full_name in named.json()["fields"]["minutes"][0]
    published = chair.post(
        f"{SITTINGS}{sitting_id}/publish-minutes/",
        {"minutes": "The panel approved the one application before it."},
        format="json",
    )
    assert published.status_code == 200
    public = api_client.get(f"/api/v1/minutes/{sitting_id}/").json()
    assert public["decisions"] == [{"item": 1, "reference": app.reference, "outcome": "approved"}]
    assert public["attended"] == {"present": 2, "independent_present": 1, "lay_present": 0}
    text = str(public)
    for person in (world.panel, world.lay, world.pi, world.colleague):
        assert person.full_name not in text
    assert api_client.get("/api/v1/minutes/").json()["count"] == 1
    # Audit: the sitting's chain records each step.
    assert list(
        SittingEvent.objects.filter(sitting_id=sitting_id)
        .order_by("id")
        .values_list("transition", flat=True)
    ) == [
        "create",
        "publish_agenda",
        "issue_papers",
        "attendance",
        "attendance",
        "item_decided",
        "close",
        "publish_minutes",
    ]


def test_decisions_wait_for_the_sitting_day(world, client_for):
    world.at(State.IN_REVIEW)
    sitting = sittings.sitting_create(
        panel=world.igrp, by=world.panel, date=days(5), cut_off=days(1)
    )
    sittings.agenda_publish(sitting=sitting, by=world.panel)
    sittings.papers_issue(sitting=sitting, by=world.panel)
    item = sitting.items.get()
    response = client_for(world.panel).post(
        f"{SITTINGS}{sitting.pk}/items/{item.pk}/decide/", {"outcome": "approved"}, format="json"
    )
    assert response.status_code == 409


def test_a_conflicted_member_does_not_count_to_the_quorum_at_the_sitting(world, client_for):
    app = world.at(State.IN_REVIEW)
    world.igrp.quorum = 2
    world.igrp.save()
    reviews_services.conflict_declare(track=igrp_track(app), by=world.expert, reason="Co-author")
    sitting = sittings.sitting_create(
        panel=world.igrp, by=world.panel, date=days(5), cut_off=days(1)
    )
    sittings.agenda_publish(sitting=sitting, by=world.panel)
    sittings.papers_issue(sitting=sitting, by=world.panel)
    item = sitting.items.get()
    with at_sitting(sitting):
        sittings.attendance_record(
            sitting=sitting, by=world.panel, present=[world.panel.pk, world.expert.pk]
        )
        response = client_for(world.panel).post(
            f"{SITTINGS}{sitting.pk}/items/{item.pk}/decide/",
            {"outcome": "approved"},
            format="json",
        )
    assert response.status_code == 409
    assert "Eve Expert, conflicted" in response.json()["detail"]


def test_a_panel_needing_a_lay_vote_decides_only_with_a_lay_member_present(world, client_for):
    from workflow.models import PanelMembership

    world.at(State.IN_REVIEW)
    PanelMembership.objects.filter(panel=world.igrp, user=world.lay).update(
        is_lay=True, is_independent=True
    )
    world.igrp.quorum = 1
    world.igrp.min_lay_votes = 1
    world.igrp.save()
    sitting = sittings.sitting_create(
        panel=world.igrp, by=world.panel, date=days(5), cut_off=days(1)
    )
    sittings.agenda_publish(sitting=sitting, by=world.panel)
    sittings.papers_issue(sitting=sitting, by=world.panel)
    item = sitting.items.get()
    decide = f"{SITTINGS}{sitting.pk}/items/{item.pk}/decide/"
    with at_sitting(sitting):
        sittings.attendance_record(sitting=sitting, by=world.panel, present=[world.panel.pk])
        refused = client_for(world.panel).post(decide, {"outcome": "approved"}, format="json")
        assert refused.status_code == 409
        assert "0 of the 1 lay members needed present" in refused.json()["detail"]
        sittings.attendance_record(
            sitting=sitting, by=world.panel, present=[world.panel.pk, world.lay.pk]
        )
        decided = client_for(world.panel).post(decide, {"outcome": "approved"}, format="json")
        assert decided.status_code == 200, decided.json()
    assert sittings_selectors.attendance_tallies(sitting)["lay_present"] == 1


def test_items_not_reached_are_deferred_when_the_sitting_closes(world):
    app = world.at(State.IN_REVIEW)
    sitting = sittings.sitting_create(
        panel=world.igrp, by=world.panel, date=days(5), cut_off=days(1)
    )
    sittings.agenda_publish(sitting=sitting, by=world.panel)
    sittings.papers_issue(sitting=sitting, by=world.panel)
    later = sittings.sitting_create(
        panel=world.igrp, by=world.panel, date=days(40), cut_off=days(30)
    )
    with at_sitting(sitting):
        sittings.sitting_close(sitting=sitting, by=world.panel)
    assert sitting.items.get().state == "deferred"
    assert igrp_track(app).due_date == later.date


# --- notices and the reminder -----------------------------------------------------------------


def told(kind: str) -> set[str]:
    return set(
        Notification.objects.filter(kind=kind).values_list("recipient__full_name", flat=True)
    )


def test_agenda_papers_and_minutes_tell_the_panel_and_the_teams(world):
    app = world.at(State.IN_REVIEW)
    sitting = sittings.sitting_create(panel=world.igrp, by=world.ops, date=days(5), cut_off=days(1))
    sittings.agenda_publish(sitting=sitting, by=world.ops)
    panel = {"Pat Panel", "Lee Lay", "Eve Expert"}
    team = {"Priya Investigator", "Colin Colleague"}
    assert told("sitting.agenda_published") == panel
    assert told("sitting.application_listed") == team
    listed = Notification.objects.filter(kind="sitting.application_listed").first()
    assert listed.url == f"/applications/{app.pk}/"
    sittings.papers_issue(sitting=sitting, by=world.panel)
    assert told("sitting.papers_ready") == panel - {"Pat Panel"}
    item = sitting.items.get()
    with at_sitting(sitting):
        sittings.attendance_record(sitting=sitting, by=world.panel, present=[world.panel.pk])
        sittings.item_decide(item=item, by=world.panel, outcome=Outcome.APPROVED)
        sittings.sitting_close(sitting=sitting, by=world.panel)
    sittings.minutes_publish(sitting=sitting, by=world.panel, minutes="One approval.")
    assert told("sitting.minutes_published") == (panel - {"Pat Panel"}) | team
    assert app.reference


def test_members_who_have_not_read_the_papers_are_reminded_once_before_the_sitting(world):
    world.at(State.IN_REVIEW)
    sitting = sittings.sitting_create(
        panel=world.igrp, by=world.panel, date=days(5), cut_off=days(1)
    )
    sittings.agenda_publish(sitting=sitting, by=world.panel)
    sittings.papers_issue(sitting=sitting, by=world.panel)
    sittings.papers_read(item=sitting.items.get(), by=world.lay)
    # Too early: nothing.
    reminders_sweep()
    assert not Notification.objects.filter(kind="sitting.papers_unread").exists()
    two_days_before = datetime.datetime.combine(
        sitting.date - datetime.timedelta(days=2), datetime.time(9), tzinfo=datetime.UTC
    )
    reminders_sweep(now=two_days_before)
    reminders_sweep(now=two_days_before + datetime.timedelta(hours=1))
    assert told("sitting.papers_unread") == {"Pat Panel", "Eve Expert"}
    assert Notification.objects.filter(kind="sitting.papers_unread").count() == 2


def test_the_papers_reminder_asks_the_same_queries_however_many_members_have_not_read(world):
    """Who has not read which papers is read for every sitting in the window at once: two or
    three members to remind take the same queries, each told how many items they have left."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workflow.models import PaperRead

    world.at(State.IN_REVIEW)
    sitting = sittings.sitting_create(
        panel=world.igrp, by=world.panel, date=days(5), cut_off=days(1)
    )
    sittings.agenda_publish(sitting=sitting, by=world.panel)
    sittings.papers_issue(sitting=sitting, by=world.panel)
    sittings.papers_read(item=sitting.items.get(), by=world.lay)
    two_days_before = datetime.datetime.combine(
        sitting.date - datetime.timedelta(days=2), datetime.time(9), tzinfo=datetime.UTC
    )

    def queries() -> int:
        Notification.objects.all().delete()
        with CaptureQueriesContext(connection) as captured:
            reminders_sweep(now=two_days_before)
        return len(captured)

    two = queries()
    assert told("sitting.papers_unread") == {"Pat Panel", "Eve Expert"}
    PaperRead.objects.all().delete()
    assert queries() == two
    assert told("sitting.papers_unread") == {"Pat Panel", "Eve Expert", "Lee Lay"}
    body = Notification.objects.filter(kind="sitting.papers_unread").first().body
    assert "You have not yet opened the papers of 1 item on its agenda" in body


def test_a_member_of_another_panel_sees_no_sitting(world, client_for):
    from access.models import Role
    from tests.factories import make_user
    from workflow.models import Panel

    other = Panel.objects.create(name="Other", slug="other", track_kind="igrp", is_active=False)
    stranger = make_user(Role.PANEL_MEMBER, full_name="Sam Stranger")
    PanelMembership.objects.create(panel=other, user=stranger)
    sitting_id = plan(client_for(world.panel), world).json()["id"]
    assert client_for(stranger).get(f"{SITTINGS}{sitting_id}/").status_code == 404
    assert client_for(stranger).get(SITTINGS).json()["count"] == 0
    assert client_for(world.pi).get(f"{SITTINGS}{sitting_id}/").status_code == 404
    assert client_for(world.lay).get(f"{SITTINGS}{sitting_id}/").status_code == 200


def test_an_application_withdrawn_while_on_the_agenda_leaves_it(world, client_for):
    from workflow.route import services as route_services

    app = world.at(State.IN_REVIEW)
    sitting = sittings.sitting_create(
        panel=world.igrp, by=world.panel, date=days(5), cut_off=days(1)
    )
    route_services.application_withdraw(application=app, by=world.pi, reason="Changed plans")
    body = client_for(world.panel).get(f"{SITTINGS}{sitting.pk}/").json()
    assert [i["state"] for i in body["items"]] == ["withdrawn"]
    # Nothing left to publish.
    refused = client_for(world.panel).post(f"{SITTINGS}{sitting.pk}/publish-agenda/")
    assert refused.status_code == 400
    assert "empty" in refused.json()["fields"]["tracks"][0]


def _held_with_minutes(world, day: datetime.date) -> Sitting:
    world.at(State.IN_REVIEW, title=f"Project for {day}")
    sitting = sittings.sitting_create(panel=world.igrp, by=world.ops, date=day, cut_off=day)
    sittings.agenda_publish(sitting=sitting, by=world.ops)
    sittings.papers_issue(sitting=sitting, by=world.ops)
    with at_sitting(sitting):
        sittings.attendance_record(
            sitting=sitting, by=world.ops, present=[world.panel.pk, world.lay.pk]
        )
        sittings.item_decide(item=sitting.items.get(), by=world.panel, outcome=Outcome.APPROVED)
        sittings.sitting_close(sitting=sitting, by=world.ops)
    sittings.minutes_publish(sitting=sitting, by=world.ops, minutes="One approval.")
    return sitting


def test_the_public_minutes_list_costs_the_same_queries_however_many_sittings(world, api_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _held_with_minutes(world, days(3))
    with CaptureQueriesContext(connection) as one:
        assert api_client.get("/api/v1/minutes/").json()["count"] == 1
    _held_with_minutes(world, days(4))
    _held_with_minutes(world, days(5))
    with CaptureQueriesContext(connection) as three:
        body = api_client.get("/api/v1/minutes/").json()
    assert body["count"] == 3
    assert body["results"][0]["attended"] == {
        "present": 2,
        "independent_present": 1,
        "lay_present": 0,
    }

    # The data's queries (the throttle's cache rows and savepoints vary with the clock).
    def reads(context) -> int:
        return sum(1 for q in context.captured_queries if '"workflow_' in q["sql"])

    assert reads(three) == reads(one)


def test_a_sittings_history_is_a_verified_chain(world):
    from workflow.audit_check import verify

    sitting = _held_with_minutes(world, days(3))
    report = verify()
    assert not [b for b in report.breaks if "sitting" in str(b)], report.breaks
    assert sitting.pk in report.heads["sitting"]
    assert (
        report.heads["sitting"][sitting.pk][0]
        == SittingEvent.objects.filter(sitting=sitting).count()
    )


def test_an_application_added_after_the_papers_gets_its_own_pack(world, client_for):
    world.at(State.IN_REVIEW)
    sitting = sittings.sitting_create(
        panel=world.igrp, by=world.panel, date=days(5), cut_off=days(0)
    )
    sittings.agenda_publish(sitting=sitting, by=world.panel)
    sittings.papers_issue(sitting=sitting, by=world.panel)
    late = world.at(State.IN_REVIEW, title="Referred after the papers")
    sitting.refresh_from_db()
    tracks = [i.track_id for i in sitting.items.order_by("position")]
    response = client_for(world.panel).put(
        f"{SITTINGS}{sitting.pk}/agenda/",
        {
            "agenda_version": sitting.agenda_version,
            "tracks": [*tracks, igrp_track(late).pk],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    added = next(i for i in response.json()["items"] if i["reference"] == late.reference)
    assert added["papers_ready"] is True
    paper = client_for(world.expert).get(f"{SITTINGS}{sitting.pk}/items/{added['id']}/paper/")
    assert paper.json()["title"] == "Referred after the papers"
