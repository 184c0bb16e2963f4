"""Reminders and escalations, with the clock moved (time-machine): each kind is raised on the
right day, to whoever holds the step, once per stage visit, however often the sweep runs."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications.models import Notification
from tests.factories import make_user
from tests.factories.turnaround import T0, history, travel
from tests.factories.workflow import World
from workflow.models import Outcome, StageTarget, TrackKind
from workflow.reviews import services as reviews_services
from workflow.tasks import send_reminders
from workflow.turnaround import reminders
from workflow.turnaround.calendar import add_workdays
from workflow.turnaround.reminders import Expiring, reminders_sweep

pytestmark = pytest.mark.django_db

D = datetime.date
MONDAY = T0.date()  # 2 March 2026
SCOPING_DUE = D(2026, 3, 30)  # the 20th working day after 2 March


def sweep(day: datetime.date, hour: int = 10) -> dict[str, int]:
    with travel(day, hour):
        return reminders_sweep()


def rows(kind: str, user=None):
    qs = Notification.objects.filter(kind=kind)
    return qs.filter(recipient=user) if user is not None else qs


@pytest.fixture
def world():
    return World()


@pytest.fixture
def scoping(world):
    """Submitted on Monday 2 March 2026: scoping (20 working days) is due on 30 March."""
    return history(world, [("submit", 0)])


def test_scoping_due_date_counts_working_days():
    assert add_workdays(MONDAY, 20) == SCOPING_DUE


def test_stage_due_soon_goes_to_the_analyst_from_five_working_days_before(world, scoping):
    analyst = scoping.analyst
    assert sweep(D(2026, 3, 20))["stage.due_soon"] == 0  # due in 6 working days
    assert sweep(D(2026, 3, 23))["stage.due_soon"] == 1  # due in 5
    (notification,) = rows("stage.due_soon")
    assert notification.recipient == analyst
    assert scoping.reference in notification.subject
    assert "30 March" in notification.subject
    assert "Monday 30 March 2026" in notification.body
    assert notification.url == f"/applications/{scoping.pk}/"


def test_stage_due_today_and_overdue_go_to_the_analyst_once(world, scoping):
    assert sweep(D(2026, 3, 29))["stage.due_today"] == 0
    assert sweep(D(2026, 3, 30))["stage.due_today"] == 1
    assert sweep(D(2026, 3, 30))["stage.overdue"] == 0
    assert sweep(D(2026, 3, 31))["stage.overdue"] == 1
    # Overdue every day after, but reminded once for this visit.
    assert sweep(D(2026, 4, 1))["stage.overdue"] == 0
    assert sweep(D(2026, 4, 8))["stage.overdue"] == 0
    assert [n.recipient for n in rows("stage.overdue")] == [scoping.analyst]
    assert rows("stage.due_today").count() == 1


def test_stage_escalates_to_ops_after_the_margin_in_working_days(world, scoping):
    # 10 working days after 30 March, skipping Good Friday (3 April) and Easter Monday (6 April).
    assert sweep(D(2026, 4, 14))["stage.escalated"] == 0
    assert sweep(D(2026, 4, 15))["stage.escalated"] == 1
    (escalation,) = rows("stage.escalated")
    assert escalation.recipient == world.ops
    assert "Escalation" in escalation.subject
    assert "16 days overdue" in escalation.body  # calendar days, said plainly


def test_a_sweep_run_twice_sends_nothing_twice(world, scoping):
    for day in (D(2026, 3, 23), D(2026, 3, 30), D(2026, 3, 31), D(2026, 4, 15)):
        first = sweep(day)
        again = sweep(day, hour=11)
        assert sum(first.values()) >= 1
        assert sum(again.values()) == 0
    assert Notification.objects.filter(kind__startswith="stage.").count() == 4
    # The beat's task is the same sweep: at the last moment, nothing new.
    with travel(D(2026, 4, 15), hour=12):
        assert send_reminders.run() == dict.fromkeys(reminders.REMINDERS, 0)


def test_a_resumed_stage_is_reminded_as_a_new_visit_on_its_cumulative_due_date(world):
    app = history(world, [("submit", 0), ("request_changes", 1), ("resubmit", 2)])
    analyst = app.analyst
    # Scoping used one working day (Monday to Tuesday) before the request for changes; again
    # from Thursday 5 March its clock resumes with 19 working days left: due on 1 April.
    assert add_workdays(D(2026, 3, 5), 19) == D(2026, 4, 1)
    sweep(D(2026, 3, 26))
    sweep(D(2026, 4, 1))
    keys = set(rows("stage.due_today", analyst).values_list("dedupe_key", flat=True))
    assert len(keys) == 1
    (key,) = keys
    assert key.startswith(f"stage.due_today:application:{app.pk}:scoping@")


def test_changes_requested_reminds_the_research_team_and_never_escalates(world):
    app = history(world, [("submit", 0), ("request_changes", 0)])
    due = add_workdays(MONDAY, 20)
    sweep(due - datetime.timedelta(days=1))
    sweep(due)
    sweep(due + datetime.timedelta(days=60))
    assert {n.recipient for n in rows("stage.due_soon")} == {world.pi, world.colleague}
    assert {n.recipient for n in rows("stage.due_today")} == {world.pi, world.colleague}
    assert {n.recipient for n in rows("stage.overdue")} == {world.pi, world.colleague}
    assert "your answers" in rows("stage.due_today").first().subject
    assert not rows("stage.escalated").exists()
    assert app.reference in rows("stage.overdue").first().subject


def test_internal_review_reminds_reviewers_and_approved_reminds_ops(world):
    other_reviewer = make_user("reviewer")
    history(world, [("submit", 0), ("complete_scoping", 0)])
    history(world, [("submit", 0), ("complete_scoping", 0), ("refer", 0), ("decide_all", 0)])
    sweep(add_workdays(MONDAY, 5))  # both internal review and granting access are due
    review = rows("stage.due_today").filter(subject__contains="internal review")
    grant = rows("stage.due_today").filter(subject__contains="granting access")
    assert {n.recipient for n in review} == {world.reviewer, other_reviewer}
    assert [n.recipient for n in grant] == [world.ops]


def test_a_stage_without_an_analyst_reminds_ops(world):
    app = history(world, [("submit", 0)])
    # Nobody named is available any more: the application waits for ops to assign someone.
    type(app).objects.filter(pk=app.pk).update(analyst=None)
    sweep(SCOPING_DUE)
    assert [n.recipient for n in rows("stage.due_today")] == [world.ops]


# --- review tracks -----------------------------------------------------------------------------


@pytest.fixture
def in_review(world):
    """Referred on Monday 2 March: the IGRP is due in 19 days (21 March), the owner's sign-off
    in 10 working days (16 March)."""
    return history(world, [("submit", 0), ("complete_scoping", 0), ("refer", 0)])


def test_tracks_get_their_due_dates_from_the_targets(in_review):
    due = {t.kind: t.due_date for t in in_review.tracks.all()}
    assert due == {TrackKind.IGRP: D(2026, 3, 21), TrackKind.OWNER_SIGNOFF: D(2026, 3, 16)}


def test_track_targets_set_by_ops_apply_to_tracks_opened_after(world):
    StageTarget.objects.filter(stage="igrp").update(days=42)
    app = history(world, [("submit", 0), ("complete_scoping", 0), ("refer", 0)])
    assert app.tracks.get(kind=TrackKind.IGRP).due_date == D(2026, 4, 13)


def test_track_due_soon_today_and_overdue_go_to_those_who_decide(world, in_review):
    sweep(D(2026, 3, 9))  # owner sign-off due in 5 working days: not yet (3 before)
    assert not rows("track.due_soon").exists()
    sweep(D(2026, 3, 11))  # owner due in 3 working days
    assert [n.recipient for n in rows("track.due_soon")] == [world.owner]
    sweep(D(2026, 3, 16))  # owner due today; the IGRP due in 5 days
    assert [n.recipient for n in rows("track.due_today")] == [world.owner]
    # The IGRP's members who have not voted, and its chair, who closes the vote.
    igrp_people = {world.panel, world.lay, world.expert}
    assert {n.recipient for n in rows("track.due_soon")} == {world.owner, *igrp_people}
    with travel(D(2026, 3, 20)):  # one member votes: they are not reminded any more
        igrp = in_review.tracks.get(kind=TrackKind.IGRP)
        reviews_services.vote_cast(track=igrp, by=world.expert, choice=Outcome.APPROVED)
    sweep(D(2026, 3, 22))  # both overdue
    assert {n.recipient for n in rows("track.overdue")} == {world.owner, world.panel, world.lay}
    assert rows("track.overdue", world.panel).first().url.startswith("/reviews/tracks/")


def test_a_decided_track_is_not_reminded(world, in_review):
    with travel(D(2026, 3, 10)):
        track = in_review.tracks.get(kind=TrackKind.OWNER_SIGNOFF)
        reviews_services.review_track_decide(track=track, by=world.owner, outcome=Outcome.APPROVED)
    sweep(D(2026, 3, 16))
    sweep(D(2026, 3, 17))
    assert not rows("track.due_today", world.owner).exists()
    assert not rows("track.overdue", world.owner).exists()


def test_track_escalates_to_ops_after_its_margin(world, in_review):
    # IGRP: due 21 March, margin 7 calendar days → 28 March. Owner: 16 March + 5 working → 23.
    sweep(D(2026, 3, 22))
    assert not rows("track.escalated").exists()
    sweep(D(2026, 3, 23))
    assert rows("track.escalated").count() == 1
    sweep(D(2026, 3, 28))
    assert rows("track.escalated").count() == 2
    assert {n.recipient for n in rows("track.escalated")} == {world.ops}
    sweep(D(2026, 3, 28), hour=12)
    assert rows("track.escalated").count() == 2


def test_staff_on_the_team_are_not_reminded_of_their_own_application(world):
    world.panel_colleague = make_user("panel_member", "researcher")
    members = [
        *world.content()["members"],
        {"user": world.panel_colleague, "project_role": "researcher"},
    ]
    history(world, [("submit", 0), ("complete_scoping", 0), ("refer", 0)], members=members)
    sweep(D(2026, 3, 22))
    assert rows("track.overdue", world.panel).exists()
    assert not rows("track.overdue", world.panel_colleague).exists()


# --- a year open -------------------------------------------------------------------------------


def test_an_application_open_a_year_alerts_ops_once(world, scoping):
    year = datetime.timedelta(days=settings.TURNAROUND_OPEN_ALERT_DAYS)
    sweep(MONDAY + year - datetime.timedelta(days=1))
    assert not rows("application.open_too_long").exists()
    sweep(MONDAY + year)
    sweep(MONDAY + year + datetime.timedelta(days=30))
    (alert,) = rows("application.open_too_long")
    assert alert.recipient == world.ops
    assert "365 days" in alert.subject


def test_a_closed_application_raises_no_year_alert(world):
    history(world, [("submit", 0), ("withdraw", 1)])
    sweep(MONDAY + datetime.timedelta(days=400))
    assert not rows("application.open_too_long").exists()


# --- expiry sources (plugged in by the accreditation and access work) ---------------------------


@pytest.fixture
def expiring(world):
    """A fake source per expiry kind: one item due on 1 July 2026."""
    item = Expiring(
        recipients=[world.pi],
        about="accreditation:1",
        due_on=D(2026, 7, 1),
        url="/api/v1/accreditations/1/",
        label="Safe researcher training of Priya Investigator",
    )
    calls = []

    def source(first, last):
        calls.append((first, last))
        return [item] if first <= item.due_on <= last else []

    previous = dict(reminders.EXPIRY_SOURCES)
    reminders.EXPIRY_SOURCES.update(dict.fromkeys(reminders.EXPIRY_THRESHOLDS, source))
    yield calls
    reminders.EXPIRY_SOURCES.update(previous)


@pytest.mark.parametrize(
    ("kind", "thresholds"),
    [
        ("accreditation.expiring", (90, 30, 7)),
        ("access.expiring", (90, 30, 7)),
        ("condition.due", (14, 7, 1)),
    ],
)
def test_expiry_reminders_at_each_threshold_once(world, expiring, kind, thresholds):
    due = D(2026, 7, 1)
    sent = []
    for days_left in range(thresholds[0] + 5, -2, -1):
        result = sweep(due - datetime.timedelta(days=days_left))
        if result[kind]:
            sent.append(days_left)
    assert sent == list(thresholds)
    keys = sorted(rows(kind).values_list("dedupe_key", flat=True))
    assert keys == sorted(f"{kind}:accreditation:1:2026-07-01:{t}d" for t in thresholds)
    assert rows(kind).first().recipient == world.pi


def test_expiry_first_seen_late_gets_only_the_nearest_reminder(world, expiring):
    sweep(D(2026, 7, 1) - datetime.timedelta(days=20))
    assert [n.dedupe_key.rsplit(":", 1)[1] for n in rows("accreditation.expiring")] == ["30d"]
    assert "20 days" in rows("accreditation.expiring").first().subject


def test_expiry_sources_are_asked_only_for_the_window_ahead(world, expiring):
    sweep(D(2026, 5, 1))
    assert (D(2026, 5, 1), D(2026, 7, 30)) in expiring


def test_a_failing_source_does_not_stop_the_other_kinds(world, scoping, caplog, monkeypatch):
    def broken(first, last):
        raise RuntimeError("the accreditation table is locked")

    monkeypatch.setitem(reminders.EXPIRY_SOURCES, "accreditation.expiring", broken)
    result = sweep(SCOPING_DUE)
    assert result["accreditation.expiring"] == 0
    assert result["stage.due_today"] == 1
    assert "accreditation.expiring failed" in caplog.text


def test_every_expiry_kind_has_its_source():
    assert set(reminders.EXPIRY_SOURCES) == set(reminders.EXPIRY_THRESHOLDS)


def test_every_reminder_kind_is_registered_once():
    assert set(reminders.REMINDERS) == {
        "stage.due_soon",
        "stage.due_today",
        "stage.overdue",
        "stage.escalated",
        "track.due_soon",
        "track.due_today",
        "track.overdue",
        "track.escalated",
        "application.open_too_long",
        "accreditation.expiring",
        "access.expiring",
        "condition.due",
        "output_check.overdue",
        "output_check.escalated",
        "sitting.papers_unread",
        "consultation.unanswered",
        "consultation.escalated",
        "report.due_soon",
        "report.escalated",
        "renewal.due",
        "closure.chase",
        "affiliation.waiting",
        "amendment.track_overdue",
        "amendment.track_escalated",
        "amendment.signature_needed",
    }
    with pytest.raises(RuntimeError):
        reminders.reminder("stage.due_soon", subject="", body="")(lambda clock: [])


def test_the_sweep_is_on_the_beat_schedule_in_utc():
    from config.celery import app

    entry = app.conf.beat_schedule["workflow-send-reminders"]
    assert entry["task"] == "workflow.tasks.send_reminders"
    assert settings.CELERY_TIMEZONE == "UTC"


def test_the_sweeps_queries_follow_its_batches_not_the_items_due(world):
    """At national scale the sweep must cost what is due, not what is open: items are
    selected through the open visits' index and raised a batch at a time, so 2 or 6 overdue
    applications (each reminding its analyst and escalating to ops) take the same queries,
    and applications that are not due add none."""

    def queries_on(day: datetime.date) -> tuple[int, dict[str, int]]:
        Notification.objects.all().delete()
        with travel(day), CaptureQueriesContext(connection) as queries:
            raised = reminders_sweep()
        return len(queries), raised

    due = [history(world, [("submit", 0)]) for _ in range(2)]
    # Submitted three weeks later: open, but not due on 15 April.
    history(world, [("submit", 0)], start=T0 + datetime.timedelta(days=21))
    few, raised_few = queries_on(D(2026, 4, 15))
    assert raised_few["stage.overdue"] == 2
    assert raised_few["stage.escalated"] == 2
    due += [history(world, [("submit", 0)]) for _ in range(4)]
    many_, raised_many = queries_on(D(2026, 4, 15))
    assert raised_many["stage.overdue"] == 6
    assert raised_many["stage.escalated"] == 6
    assert many_ == few


def test_people_waiting_for_their_organisation_are_reminded_to_its_vouchers_once():
    from access.identity import services as identity
    from access.models import OrganisationMembership
    from tests.factories.access import OrganisationFactory, make_signatory

    organisation = OrganisationFactory(name="Aberystwyth University", slug="aber")
    signatory = make_signatory(organisation, full_name="Sam Signatory")
    manager = make_user(full_name="Uma Manager")
    OrganisationMembership.objects.create(
        user=manager,
        organisation=organisation,
        capacity=OrganisationMembership.Capacity.USER_MANAGER,
    )
    person = make_user("researcher", full_name="Nia Newcomer", origin="registration")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        identity.affiliation_request(person=person, organisation=organisation, by=person)
    days = settings.AFFILIATION_REMINDER_DAYS
    early = reminders_sweep(now=start + datetime.timedelta(days=days - 1))
    assert early["affiliation.waiting"] == 0
    late = start + datetime.timedelta(days=days, hours=1)
    assert reminders_sweep(now=late)["affiliation.waiting"] == 2
    assert reminders_sweep(now=late)["affiliation.waiting"] == 0
    told = Notification.objects.filter(kind="affiliation.waiting")
    assert {n.recipient for n in told} == {signatory, manager}
    assert "Nia Newcomer is waiting for Aberystwyth University" in told.first().subject


def test_an_unanswered_consultation_is_reminded_to_the_consumer_panel_then_ops_once(world):
    """A team asked the consumer panel; nobody answers: its members are reminded after
    CONSULTATION_REMINDER_DAYS, ops after CONSULTATION_ESCALATION_DAYS, each once; an answered
    consultation is reminded to nobody."""
    from access.models import Role
    from workflow.involvement import services as involvement
    from workflow.models import Panel, PanelMembership, State

    panel = Panel.objects.create(
        name="Consumer Panel", slug="consumer-panel", track_kind="consumer_panel", quorum=1
    )
    carys = make_user(Role.PANEL_MEMBER, full_name="Carys Consumer")
    dai = make_user(Role.PANEL_MEMBER, full_name="Dai Public")
    gone = make_user(Role.PANEL_MEMBER, full_name="Gwen Gone")
    for person in (carys, dai, gone):
        PanelMembership.objects.create(panel=panel, user=person, is_independent=True, is_lay=True)
    app = world.at(State.IN_REVIEW)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        consultation = involvement.consultation_request(
            application=app, by=world.pi, question="Is our summary clear?"
        )
    PanelMembership.objects.filter(user=gone).update(left_on=timezone.localdate())
    first = settings.CONSULTATION_REMINDER_DAYS
    later = settings.CONSULTATION_ESCALATION_DAYS
    assert first < later
    early = reminders_sweep(now=start + datetime.timedelta(days=first - 1))
    assert early["consultation.unanswered"] == 0
    due = start + datetime.timedelta(days=first, hours=1)
    assert reminders_sweep(now=due)["consultation.unanswered"] == 2
    assert reminders_sweep(now=due)["consultation.unanswered"] == 0
    told = rows("consultation.unanswered")
    assert {n.recipient for n in told} == {carys, dai}
    assert f"{app.reference}: a consultation waits for the Consumer Panel" == told.first().subject
    assert "Is our summary clear?" in told.first().body
    assert rows("consultation.escalated").count() == 0
    overdue = reminders_sweep(now=start + datetime.timedelta(days=later, hours=1))
    assert overdue["consultation.escalated"] == 1
    assert {n.recipient for n in rows("consultation.escalated")} == {world.ops}
    assert overdue["consultation.unanswered"] == 0  # once per consultation

    # Answered: nobody is reminded of the next one until it too has waited.
    with time_machine.travel(start + datetime.timedelta(days=later, hours=2), tick=False):
        involvement.consultation_answer(
            consultation=consultation, by=carys, feedback="Say nobody is identified."
        )
    Notification.objects.all().delete()
    swept = reminders_sweep(now=start + datetime.timedelta(days=later * 3))
    assert swept["consultation.unanswered"] == swept["consultation.escalated"] == 0


def test_a_reminders_words_and_link_are_the_templates(world):
    """Exactly what the analyst and ops read: the reference, the step, the dates, the target,
    the resumed clock after a request for changes and the days overdue (the sweep reads the
    application as values; the words are the same as from the application)."""
    app = history(world, [("submit", 0), ("request_changes", 1), ("resubmit", 2)])
    sweep(D(2026, 4, 2))
    (overdue,) = rows("stage.overdue")
    assert overdue.recipient == app.analyst
    assert overdue.subject == f"{app.reference}: scoping is overdue"
    assert overdue.body == (
        f"Application {app.reference} has been waiting for scoping since 5 March 2026. The "
        "target is 20 working days, counting the time it spent in scoping before the request "
        "for changes, so it is due on Wednesday 1 April 2026."
    )
    assert overdue.url == f"/applications/{app.pk}/"
    sweep(D(2026, 4, 20))
    (escalated,) = rows("stage.escalated")
    assert escalated.recipient == world.ops
    assert escalated.subject == f"Escalation: {app.reference} is overdue in scoping"
    assert escalated.body == overdue.body + " It is 19 days overdue."


def test_the_sweeps_queries_for_tracks_follow_its_batches_not_the_tracks_due(world):
    """Who decides each track due (its panel's members who have not voted, its data owners)
    is read for a batch of tracks at once: 1 or 3 applications in review, each with its panel
    and its owner's tracks overdue, take the same queries, and each track still reminds only
    those who can decide it."""

    def queries_on(day: datetime.date) -> tuple[int, dict[str, int]]:
        Notification.objects.all().delete()
        with travel(day), CaptureQueriesContext(connection) as queries:
            raised = reminders_sweep()
        return len(queries), raised

    first = history(world, [("submit", 0), ("complete_scoping", 0), ("refer", 0)])
    with travel(D(2026, 3, 20)):  # a member votes on the first: not reminded of it any more
        igrp = first.tracks.get(kind=TrackKind.IGRP)
        reviews_services.vote_cast(track=igrp, by=world.expert, choice=Outcome.APPROVED)
    few, raised_few = queries_on(D(2026, 3, 22))
    assert raised_few["track.overdue"] == 3  # the owner; the IGRP's chair and lay member
    for _ in range(2):
        history(world, [("submit", 0), ("complete_scoping", 0), ("refer", 0)])
    many_, raised_many = queries_on(D(2026, 3, 22))
    assert raised_many["track.overdue"] == 3 + 2 * 4  # and the IGRP's expert on the others
    assert many_ == few
    told = {n.recipient for n in rows("track.overdue").filter(about=f"application:{first.pk}")}
    assert told == {world.owner, world.panel, world.lay}


def test_the_consultations_reminders_ask_the_same_queries_for_one_or_three(world):
    """The consumer panel's members are read once per panel and each application's team a
    batch at a time: one unanswered consultation or three take the same queries."""
    from access.models import Role
    from workflow.involvement import services as involvement
    from workflow.models import Panel, PanelMembership, State

    panel = Panel.objects.create(
        name="Consumer Panel", slug="consumer-panel", track_kind="consumer_panel", quorum=1
    )
    for name in ("Carys Consumer", "Dai Public"):
        PanelMembership.objects.create(
            panel=panel,
            user=make_user(Role.PANEL_MEMBER, full_name=name),
            is_independent=True,
            is_lay=True,
        )
    start = timezone.now()

    def ask() -> None:
        with time_machine.travel(start, tick=False):
            involvement.consultation_request(
                application=world.at(State.IN_REVIEW), by=world.pi, question="Is it clear?"
            )

    def queries() -> tuple[int, dict[str, int]]:
        Notification.objects.all().delete()
        later = start + datetime.timedelta(days=settings.CONSULTATION_ESCALATION_DAYS, hours=1)
        with CaptureQueriesContext(connection) as captured:
            raised = reminders_sweep(now=later)
        return len(captured), raised

    ask()
    one, raised_one = queries()
    assert raised_one["consultation.unanswered"] == 2
    assert raised_one["consultation.escalated"] == 1
    ask()
    ask()
    three, raised_three = queries()
    assert raised_three["consultation.unanswered"] == 6
    assert raised_three["consultation.escalated"] == 3
    assert three == one
