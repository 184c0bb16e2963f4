"""Who is told of what: for every notice kind, exactly who gets it when a service ends, and
that each of them gets it once.

The notices are computed from the state *after* the change (``notifications.notices``): a
referral tells the members of each opened panel and each owner whose sign-off is needed, with a
link to their track; a resubmission into review tells the deciders of every reopened track. The
actor is never told of what they did themselves.
"""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
import time_machine
from django.utils import timezone

from access.identity import services as identity
from access.models import AccessGrant, Accreditation, OrganisationMembership, Role
from access.safe_people import services as safe_people
from notifications.models import Notification
from notifications.notices import KINDS, recipients_of
from tests.factories import make_user
from tests.factories.access import accredit
from tests.factories.catalogue import DatasetFactory, VariableFactory
from tests.factories.workflow import World
from workflow.models import Application, LegalGateway, Outcome, State, TrackKind
from workflow.reviews import services as reviews_services
from workflow.route import services as route_services

pytestmark = pytest.mark.django_db

# Every kind the matrix below covers; a kind declared and not covered fails the last test.
COVERED: set[str] = set()


def told(action) -> dict[str, set[str]]:
    """Run ``action`` and return who got which notice kind (full names), checking that nobody
    got the same notice about the same thing twice."""
    before = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    action()
    rows = list(
        Notification.objects.filter(pk__gt=before).values_list(
            "kind", "recipient__full_name", "about", "url"
        )
    )
    repeated = [row for row, n in Counter(rows).items() if n > 1]
    assert not repeated, f"told twice: {repeated}"
    out: dict[str, set[str]] = {}
    for kind, name, _about, _url in rows:
        out.setdefault(kind, set()).add(name)
    COVERED.update(out)
    return out


@pytest.fixture
def world() -> World:
    return World()


def names(*people) -> set[str]:
    return {p.full_name for p in people}


def reload(application: Application) -> Application:
    return Application.objects.get(pk=application.pk)


def test_submission_tells_the_team_and_the_analyst(world):
    app = world.draft()
    assert told(lambda: route_services.application_submit(application=app, by=world.pi)) == {
        "application.submitted": names(world.colleague, world.analyst)
    }


def test_submission_without_an_analyst_asks_ops_to_assign_one(world):
    lonely = DatasetFactory(slug="lonely", provider=world.provider)
    VariableFactory(dataset=lonely, name="x")
    app = world.draft(
        datasets=[
            {
                "dataset": lonely,
                "legal_gateway": LegalGateway.PUBLIC_TASK,
                "justification": "Why",
                "variables": [{"variable": "x"}],
            }
        ]
    )
    assert told(lambda: route_services.application_submit(application=app, by=world.pi)) == {
        "application.submitted": names(world.colleague, world.ops),
        "application.analyst_assigned": names(world.ops),
    }


def test_a_member_without_the_accreditation_a_project_needs_is_told_once(world):
    newcomer = make_user(Role.RESEARCHER, full_name="Nia Newcomer")
    app = world.draft(
        members=[
            {"user": world.pi, "project_role": "principal_investigator"},
            {"user": newcomer, "project_role": "researcher"},
        ]
    )
    result = told(lambda: route_services.application_submit(application=app, by=world.pi))
    assert result["accreditation.needed"] == names(newcomer)
    # Told once per person, requirement and application, however often it is resubmitted.
    route_services.application_request_changes(
        application=reload(app),
        by=world.analyst,
        items=[{"section": "data", "text": "Fewer variables"}],
    )
    for item in reload(app).feedback_requests.get().items.all():
        reviews_services.feedback_item_respond(item=item, by=world.pi, response="Done.")
    again = told(lambda: route_services.application_resubmit(application=reload(app), by=world.pi))
    assert "accreditation.needed" not in again


def test_changes_and_resubmission_at_scoping(world):
    app = world.at(State.SCOPING)
    analyst = app.analyst
    assert told(
        lambda: route_services.application_request_changes(
            application=app, by=analyst, items=[{"section": "data", "text": "Fewer"}]
        )
    ) == {"application.changes_requested": names(world.pi, world.colleague)}
    for item in reload(app).feedback_requests.get().items.all():
        reviews_services.feedback_item_respond(item=item, by=world.pi, response="Done.")
    assert told(
        lambda: route_services.application_resubmit(application=reload(app), by=world.pi)
    ) == {"application.resubmitted": names(world.colleague, analyst)}


def test_completing_scoping_tells_the_team_and_the_reviewers(world):
    app = world.at(State.SCOPING)
    route_services.scoping_update(
        application=app,
        by=app.analyst,
        data={"feasible": True, "scoped_variables": [world.year, world.grade]},
    )
    assert told(
        lambda: route_services.application_complete_scoping(application=app, by=app.analyst)
    ) == {"application.scoping_completed": names(world.pi, world.colleague, world.reviewer)}


def test_referral_tells_every_decider_of_every_track_it_opened(world):
    world.add_health_provider()
    app = world.at(State.INTERNAL_REVIEW, datasets=world.both_datasets())
    result = told(
        lambda: route_services.application_refer_to_panels(application=app, by=world.reviewer)
    )
    assert result == {
        "application.referred": names(world.pi, world.colleague),
        "track.opened": names(world.panel, world.lay, world.expert, world.owner, world.owner2),
    }
    # Each decider is sent to their own track.
    links = dict(
        Notification.objects.filter(kind="track.opened").values_list("recipient__full_name", "url")
    )
    tracks = {
        t.kind if t.organisation_id is None else t.organisation_id: t
        for t in reload(app).tracks.all()
    }
    assert links[world.owner.full_name] == f"/owner/sign-off/{tracks[world.provider.pk].pk}/"
    assert links[world.owner2.full_name] == f"/owner/sign-off/{tracks[world.provider2.pk].pk}/"
    assert links[world.lay.full_name] == f"/reviews/tracks/{tracks[TrackKind.IGRP].pk}/"


def test_decisions_on_tracks_and_the_combined_outcome(world):
    app = world.at(State.IN_REVIEW)
    owner_track = app.tracks.get(kind=TrackKind.OWNER_SIGNOFF)
    igrp = app.tracks.get(kind=TrackKind.IGRP)
    assert told(
        lambda: reviews_services.review_track_decide(
            track=owner_track, by=world.owner, outcome=Outcome.APPROVED
        )
    ) == {"track.decided": names(world.reviewer)}
    # The IGRP's quorum is one: the first vote lets the chair close.
    assert told(
        lambda: reviews_services.vote_cast(track=igrp, by=world.lay, choice=Outcome.APPROVED)
    ) == {"track.ready_to_close": names(world.panel)}
    assert told(
        lambda: reviews_services.panel_track_close(
            track=igrp, by=world.panel, outcome=Outcome.APPROVED
        )
    ) == {
        "track.decided": names(world.reviewer),
        "application.approved": names(world.pi, world.colleague, app.analyst, world.ops),
        "agreement.requested": names(world.pi, world.colleague, world.signatory),
    }


def test_a_revision_reopens_only_the_tracks_that_asked_and_tells_their_deciders(world):
    app = world.at(State.IN_REVIEW)
    owner_track = app.tracks.get(kind=TrackKind.OWNER_SIGNOFF)
    world.decide(owner_track, Outcome.APPROVED)
    igrp = app.tracks.get(kind=TrackKind.IGRP)
    reviews_services.vote_cast(
        track=igrp, by=world.lay, choice=Outcome.REVISE_AND_RESUBMIT, rationale="Clarify."
    )
    assert told(
        lambda: reviews_services.panel_track_close(
            track=igrp, by=world.panel, outcome=Outcome.REVISE_AND_RESUBMIT, rationale="Clarify."
        )
    ) == {
        "track.decided": names(world.reviewer),
        "application.changes_requested": names(world.pi, world.colleague),
    }
    for item in reload(app).feedback_requests.get(resolved_at__isnull=True).items.all():
        reviews_services.feedback_item_respond(item=item, by=world.pi, response="Clarified.")
    assert told(
        lambda: route_services.application_resubmit(application=reload(app), by=world.pi)
    ) == {
        "application.resubmitted": names(world.colleague),
        # Only the IGRP reopened: the owner's approval stands, so the owner is not asked again.
        "track.reopened": names(world.panel, world.lay, world.expert),
    }


def test_rejection_at_internal_review(world):
    app = world.at(State.INTERNAL_REVIEW)
    assert told(
        lambda: route_services.application_reject(
            application=app, by=world.reviewer, reason="No benefit."
        )
    ) == {"application.rejected": names(world.pi, world.colleague, app.analyst)}


def test_granting_suspending_reinstating_and_closing_access(world):
    app = world.at(State.APPROVED)
    assert told(lambda: route_services.application_grant_access(application=app, by=world.ops)) == {
        "application.access_granted": names(world.pi, world.colleague)
    }
    # Each member hears of their own grant; ops (who acted) are not told of what they did.
    assert told(
        lambda: route_services.application_suspend(
            application=reload(app), by=world.ops, reason="Breach."
        )
    ) == {
        "application.suspended": names(world.pi, world.colleague),
        "access_grant.suspended": names(world.pi, world.colleague),
    }
    assert told(
        lambda: route_services.application_reinstate(application=reload(app), by=world.ops)
    ) == {
        "application.reinstated": names(world.pi, world.colleague),
        "access_grant.reinstated": names(world.pi, world.colleague),
    }
    assert told(
        lambda: route_services.application_close(application=reload(app), by=world.ops)
    ) == {
        "application.closed": names(world.pi, world.colleague),
        "access_grant.ended": names(world.pi, world.colleague),
    }


def test_affiliations_tell_the_organisations_vouchers_then_the_person(world):
    """Asking tells the organisation's signatories and user managers (not the person); the
    decision tells the person; a lapse also suspends their live access, which tells them and
    ops (who did not act)."""
    manager = make_user(full_name="Uma Manager")
    OrganisationMembership.objects.create(
        user=manager,
        organisation=world.university,
        capacity=OrganisationMembership.Capacity.USER_MANAGER,
    )
    newcomer = make_user(Role.RESEARCHER, full_name="Nia Newcomer", origin="registration")
    box: dict = {}

    def ask():
        box["a"] = identity.affiliation_request(
            person=newcomer, organisation=world.university, by=newcomer
        )

    assert told(ask) == {"affiliation.requested": names(world.signatory, manager)}
    assert told(lambda: identity.affiliation_confirm(affiliation=box["a"], by=world.signatory)) == {
        "affiliation.confirmed": names(newcomer)
    }
    other = identity.affiliation_request(
        person=world.outsider, organisation=world.university, by=world.outsider
    )
    assert told(
        lambda: identity.affiliation_decline(
            affiliation=other, by=manager, reason="Not known here."
        )
    ) == {"affiliation.declined": names(world.outsider)}

    # An invitation accepted tells the team (not the newcomer, who acted). The draft's team is
    # the PI and their colleague.
    draft = world.draft()
    invitation = route_services.team_member_invite(
        application=draft, email="ines@elsewhere.example", project_role="researcher", by=world.pi
    )
    invitee = make_user(Role.RESEARCHER, full_name="Ines Invitee", email="ines@elsewhere.example")
    from access.identity import tokens

    token = tokens.make(tokens.INVITATION, invitation.pk, invitation.email)
    assert told(lambda: route_services.invitation_accept(token=token, by=invitee)) == {
        "application.invitation_accepted": names(world.pi, world.colleague)
    }

    # The PI of a live project leaves: their grant is suspended with its notice.
    app = world.at(State.APPROVED)
    route_services.application_grant_access(application=app, by=world.ops)
    pi_affiliation = identity.affiliation_request(
        person=world.pi, organisation=world.university, by=world.pi
    )
    identity.affiliation_confirm(affiliation=pi_affiliation, by=world.signatory)
    assert told(
        lambda: identity.affiliation_lapse(
            affiliation=pi_affiliation, by=world.signatory, reason="Left on 31 October."
        )
    ) == {
        "affiliation.lapsed": names(world.pi),
        "access_grant.suspended": names(world.pi, world.ops),
    }


def test_withdrawal_tells_those_who_held_it_and_a_draft_tells_nobody(world):
    draft = world.draft()
    assert told(lambda: route_services.application_withdraw(application=draft, by=world.pi)) == {}
    app = world.at(State.SCOPING)
    assert told(lambda: route_services.application_withdraw(application=app, by=world.pi)) == {
        "application.withdrawn": names(app.analyst, world.reviewer)
    }


def test_withdrawal_in_review_tells_the_open_tracks_people_nothing_more_is_needed(world):
    app = world.at(State.IN_REVIEW)
    got = told(lambda: route_services.application_withdraw(application=app, by=world.pi))
    assert got["track.closed"] == names(world.panel, world.lay, world.expert, world.owner)


def test_reassigning_the_analyst_tells_the_new_and_the_previous(world):
    app = world.at(State.SCOPING)
    other = world.analyst2 if app.analyst == world.analyst else world.analyst
    assert told(
        lambda: route_services.application_assign_analyst(
            application=app, by=world.ops, analyst=other
        )
    ) == {"application.analyst_assigned": names(other, app.analyst)}


def test_accreditation_decisions_tell_the_officers_then_the_researcher(world):
    newcomer = make_user(Role.RESEARCHER, full_name="Nia Newcomer")
    applied: list[Accreditation] = []
    assert told(
        lambda: applied.append(
            safe_people.accreditation_apply(
                by=newcomer,
                kind="safe_researcher",
                issuer="ONS",
                certificate_number="A1",
                issued_on=timezone.localdate(),
            )
        )
    ) == {"accreditation.applied": names(world.officer)}
    award = applied[0]
    assert told(
        lambda: safe_people.accreditation_accredit(accreditation=award, by=world.officer)
    ) == {"accreditation.accredited": names(newcomer)}
    for name, kind in (
        ("suspend", "suspended"),
        ("reinstate", "reinstated"),
        ("revoke", "revoked"),
    ):
        call = getattr(safe_people, f"accreditation_{name}")
        assert told(
            lambda call=call: call(accreditation=award, by=world.officer, reason="Because.")
        ) == {f"accreditation.{kind}": names(newcomer)}
    refused = accredit(newcomer, "dea_full", state="applied")
    assert told(
        lambda: safe_people.accreditation_refuse(
            accreditation=refused, by=world.officer, reason="No certificate."
        )
    ) == {"accreditation.refused": names(newcomer)}
    expiring = accredit(
        newcomer,
        "dea_full",
        issued_on=datetime.date(2020, 1, 1),
        expires_on=datetime.date(2026, 6, 30),
    )
    with time_machine.travel(datetime.datetime(2026, 7, 2, 2, 0, tzinfo=datetime.UTC)):
        assert told(lambda: safe_people.accreditation_expire_due()) == {
            "accreditation.expired": names(newcomer)
        }
    assert Accreditation.objects.get(pk=expiring.pk).state == "expired"


def test_a_grant_given_tells_machines_not_people(world):
    # The team hears of going live from application.access_granted; access_grant.granted is
    # for the watchers that tell the secure environment (workflow/provisioning/notices.py).
    app = world.at(State.ACTIVE)
    for grant in AccessGrant.objects.filter(application=app):
        assert recipients_of("access_grant.granted", grant) == []
    COVERED.add("access_grant.granted")


def test_output_checks_tell_the_checkers_and_the_team(settings, tmp_path):
    from tests.support.outputs import FAILING_TABLE, Outputs, upload
    from workflow.output_checks import services as outputs

    settings.MEDIA_ROOT = tmp_path / "media"
    o = Outputs()
    request = outputs.output_request_create(application=o.project, by=o.pi, title="Tables")
    outputs.output_file_add(
        output_request=request, by=o.pi, upload=upload("t.csv", FAILING_TABLE), description="T"
    )
    checkers = names(o.checker1, o.checker2, o.checker3)  # never the checker on the team
    team = names(o.pi, o.colleague)
    assert told(lambda: outputs.output_request_submit(output_request=request, by=o.pi)) == {
        "output.submitted": checkers
    }
    file_id = request.files.get().pk

    def review(checker, decision="changes"):
        return lambda: outputs.output_review_submit(
            output_request=request,
            by=checker,
            verdicts=[{"file": file_id, "decision": decision, "comment": "Band it."}],
        )

    assert told(review(o.checker1)) == {}
    assert told(review(o.checker2)) == {"output.consolidation_opened": names(o.checker1)}
    assert told(
        lambda: outputs.output_request_consolidate(
            output_request=request,
            by=o.checker1,
            decisions=[{"file": file_id, "decision": "changes", "comment": "Band it."}],
        )
    ) == {"output.changes_requested": team}
    assert told(
        lambda: outputs.output_request_resubmit(
            output_request=request, by=o.colleague, answers={file_id: "Banded."}
        )
    ) == {"output.resubmitted": checkers}
    review(o.checker1, "approve")()
    review(o.checker3, "approve")()
    assert told(
        lambda: outputs.output_request_consolidate(
            output_request=request,
            by=o.checker3,
            decisions=[{"file": file_id, "decision": "approve"}],
        )
    ) == {"output.released": team}
    rejected = outputs.output_request_create(application=o.project, by=o.pi, title="Other")
    outputs.output_file_add(
        output_request=rejected, by=o.pi, upload=upload("u.csv", FAILING_TABLE), description="U"
    )
    outputs.output_request_submit(output_request=rejected, by=o.pi)
    other = rejected.files.get().pk
    for checker in (o.checker1, o.checker2):
        outputs.output_review_submit(
            output_request=rejected,
            by=checker,
            verdicts=[{"file": other, "decision": "reject", "comment": "Too small."}],
        )
    assert told(
        lambda: outputs.output_request_consolidate(
            output_request=rejected,
            by=o.checker2,
            decisions=[{"file": other, "decision": "reject", "comment": "Too small."}],
        )
    ) == {"output.rejected": team}


def test_a_blind_round_tells_those_who_voted_when_the_quorum_has_voted(world):
    world.igrp.quorum = 2
    world.igrp.blind_first_round = True
    world.igrp.save()
    app = world.at(State.IN_REVIEW)
    igrp = app.tracks.get(kind=TrackKind.IGRP)

    def cast(member):
        return lambda: reviews_services.vote_cast(track=igrp, by=member, choice=Outcome.APPROVED)

    assert "track.tally_opened" not in told(cast(world.expert))
    # The second vote makes the quorum: the first voter may now read the votes (the chair has
    # not voted, so stays blind and is told only that the vote can be closed).
    assert told(cast(world.lay)) == {
        "track.tally_opened": names(world.expert),
        "track.ready_to_close": names(world.panel),
    }
    # Told once: a later voter is the actor, and the others already know.
    assert "track.tally_opened" not in told(cast(world.panel))


def _consumer_panel(world):
    from workflow.models import Panel, PanelMembership

    panel = Panel.objects.create(
        name="Consumer Panel", slug="consumer-panel", track_kind="consumer_panel", quorum=1
    )
    carys = make_user(Role.PANEL_MEMBER, full_name="Carys Consumer")
    dai = make_user(Role.PANEL_MEMBER, full_name="Dai Public")
    for person in (carys, dai):
        PanelMembership.objects.create(panel=panel, user=person, is_independent=True, is_lay=True)
    return carys, dai


def test_public_involvement_tells_the_other_side_the_consumer_panel_and_the_panels(world):
    from workflow.involvement import services as involvement

    carys, dai = _consumer_panel(world)
    app = world.at(State.IN_REVIEW)
    # The team flags: the reviewers hear; a reviewer flags: the team hears.
    assert told(
        lambda: involvement.public_interest_flag(
            application=app, by=world.pi, high=True, reason="Children's data."
        )
    ) == {"involvement.flagged": names(world.reviewer)}
    assert told(
        lambda: involvement.public_interest_flag(
            application=app, by=world.reviewer, high=True, reason="Children's data."
        )
    ) == {"involvement.flagged": names(world.pi, world.colleague)}
    assert told(
        lambda: involvement.public_involvement_require(
            application=app, by=world.reviewer, reason="Consult young people."
        )
    ) == {"involvement.required": names(world.pi, world.colleague)}
    consultation = None

    def ask():
        nonlocal consultation
        consultation = involvement.consultation_request(
            application=app, by=world.pi, question="Is our summary clear?"
        )

    assert told(ask) == {"consultation.requested": names(carys, dai)}
    # The feedback: the team, the reviewers and the members of the panels reviewing it now
    # (the IGRP's: its chair, Lee and Eve), never the consumer panel member who gave it.
    assert told(
        lambda: involvement.consultation_answer(
            consultation=consultation, by=carys, feedback="Say nobody is identified."
        )
    ) == {
        "consultation.answered": names(
            world.pi, world.colleague, world.reviewer, world.panel, world.lay, world.expert
        )
    }


def test_a_sitting_tells_its_panel_and_the_teams_on_its_agenda(world):
    from workflow.models import PanelMode
    from workflow.sittings import services as sittings

    world.igrp.mode = PanelMode.SITTING
    world.igrp.save()
    world.at(State.IN_REVIEW)
    day = timezone.localdate() + datetime.timedelta(days=5)
    sitting = sittings.sitting_create(
        panel=world.igrp, by=world.ops, date=day, cut_off=day - datetime.timedelta(days=3)
    )
    panel = names(world.panel, world.lay, world.expert)
    team = names(world.pi, world.colleague)
    # Published by ops (the secretariat): the whole panel; the team of each item, with a link
    # to their application (the sitting's page is the panel's).
    assert told(lambda: sittings.agenda_publish(sitting=sitting, by=world.ops)) == {
        "sitting.agenda_published": panel,
        "sitting.application_listed": team,
    }
    # Papers issued by the chair: the other members (the team never reads the panel's papers).
    assert told(lambda: sittings.papers_issue(sitting=sitting, by=world.panel)) == {
        "sitting.papers_ready": names(world.lay, world.expert)
    }
    item = sitting.items.get()
    moment = datetime.datetime.combine(day, datetime.time(10), tzinfo=datetime.UTC)
    with time_machine.travel(moment, tick=False):
        sittings.attendance_record(sitting=sitting, by=world.panel, present=[world.panel.pk])
        decided = told(
            lambda: sittings.item_decide(item=item, by=world.panel, outcome=Outcome.APPROVED)
        )
        sittings.sitting_close(sitting=sitting, by=world.panel)
    # The item's decision is the track's: the same notices as a rolling panel's close.
    assert decided == {"track.decided": names(world.reviewer)}
    assert told(
        lambda: sittings.minutes_publish(sitting=sitting, by=world.panel, minutes="One approval.")
    ) == {"sitting.minutes_published": names(world.lay, world.expert) | team}


def test_progress_reports_and_closure_tell_who_must_act(world):
    from tests.support.lifecycle import ANSWERS, Project
    from workflow.lifecycle import services as lifecycle
    from workflow.models import LifecycleSettings

    p = Project(world)
    report = p.first_report()
    team = names(p.pi, p.colleague)
    assert told(lambda: lifecycle.report_submit(report=report, by=p.pi, data=ANSWERS)) == {
        "report.submitted": names(p.ops)
    }
    assert told(
        lambda: lifecycle.report_request_more(report=report, by=p.ops, points=["Which paper?"])
    ) == {"report.more_requested": team}
    assert told(
        lambda: lifecycle.report_resubmit(
            report=report, by=p.colleague, data={**ANSWERS, "point_answers": ["Lancet"]}
        )
    ) == {"report.resubmitted": names(p.ops)}
    assert told(lambda: lifecycle.report_accept(report=report, by=p.ops)) == {
        "report.accepted": team
    }
    # The second report, overdue past the grace period: the team is told access is suspended,
    # ops why; accepting it tells the team (and reinstates).
    grace = LifecycleSettings.current().grace_days
    import datetime

    from workflow.lifecycle.selectors import add_months

    second_due = add_months(p.granted_on, 24)
    # A project running long enough for a second report (not yet at its end date).
    Application.objects.filter(pk=p.project.pk).update(end_date=add_months(p.granted_on, 48))
    lifecycle.lifecycle_sweep(today=second_due - datetime.timedelta(days=1))
    second = reload(p.project).progress_reports.get(number=2)
    before = Notification.objects.order_by("-pk").values_list("pk", flat=True).first()
    lifecycle.lifecycle_sweep(today=second_due + datetime.timedelta(days=grace + 1))
    got: dict[str, set[str]] = {}
    for kind, name in Notification.objects.filter(pk__gt=before).values_list(
        "kind", "recipient__full_name"
    ):
        got.setdefault(kind, set()).add(name)
    COVERED.update(got)
    # Each member's grant is suspended by the system, so ops hear of each (one per person).
    assert got == {
        "application.suspended": team,
        "report.project_suspended": names(p.ops),
        "access_grant.suspended": team | names(p.ops),
    }
    lifecycle.report_submit(report=second, by=p.pi, data=ANSWERS)
    assert told(lambda: lifecycle.report_accept(report=second, by=p.ops)) == {
        "report.accepted": team,
        "application.reinstated": team,
        "access_grant.reinstated": team,
    }
    # Closure: the PI is asked for the form when ops start it, the signatory to countersign,
    # the PI when it is sent back; the team and ops when it is countersigned.
    assert told(lambda: lifecycle.closure_start(application=p.project, by=p.ops)) == {
        "closure.started": names(p.pi)
    }
    closure = reload(p.project).closure
    form = {
        "outputs": "None",
        "destruction_attested": True,
        "destruction_details": "No copies were made.",
        "destroyed_on": datetime.date(2026, 1, 1),
    }
    assert told(lambda: lifecycle.closure_submit(closure=closure, by=p.pi, data=form)) == {
        "closure.submitted": names(p.signatory)
    }
    assert told(
        lambda: lifecycle.closure_send_back(closure=closure, by=p.signatory, reason="Date?")
    ) == {"closure.returned": names(p.pi)}
    lifecycle.closure_submit(closure=closure, by=p.pi, data={})
    assert told(lambda: lifecycle.closure_countersign(closure=closure, by=p.signatory)) == {
        "closure.countersigned": team | names(p.ops),
        "application.closed": team,
        "access_grant.ended": team,
    }


def test_amendments_tell_only_the_reviewers_they_affect_and_the_team():
    from tests.support.amendments import Amendments
    from workflow.amendments import services as amendments

    a = Amendments()
    # The team is DEA-accredited, so the added DEA data suspends nobody's access.
    for person in (a.pi, a.colleague):
        accredit(person, "dea_full")
    dea = amendments.amendment_create(
        application=a.project,
        by=a.pi,
        changes=[
            {
                "type": "add_dataset",
                "dataset": "census",
                "legal_gateway": "dea_research",
                "justification": "A confounder.",
                "variables": ["household_size"],
            }
        ],
    )
    # The owner of the added data and the DEA panel's chair; never the IGRP's other members.
    assert told(lambda: amendments.amendment_submit(amendment=dea, by=a.pi)) == {
        "amendment.submitted": names(a.colleague, a.ons_owner, a.chair)
    }
    owner_track, panel_track = dea.tracks.order_by("reviewer")
    a.panel_votes(panel_track)
    assert told(
        lambda: amendments.amendment_track_decide(track=panel_track, by=a.chair, outcome="approved")
    ) == {"amendment.track_decided": names(a.pi, a.colleague)}
    told_at_approval = told(
        lambda: amendments.amendment_track_decide(
            track=owner_track, by=a.ons_owner, outcome="approved"
        )
    )
    assert told_at_approval == {
        "amendment.track_decided": names(a.pi, a.colleague),
        "amendment.approved": names(a.pi, a.colleague, a.chair),
    }

    question = amendments.amendment_create(
        application=a.project,
        by=a.pi,
        changes=[{"type": "change_question", "research_question": "Another question?"}],
    )
    amendments.amendment_submit(amendment=question, by=a.pi)
    assert told(lambda: amendments.amendment_withdraw(amendment=question, by=a.pi)) == {
        "amendment.withdrawn": names(a.colleague, a.chair)
    }
    again = amendments.amendment_create(
        application=a.project,
        by=a.ops,
        changes=[{"type": "change_question", "research_question": "Another question?"}],
    )
    amendments.amendment_submit(amendment=again, by=a.ops)
    # The project now uses DEA data: the IGRP and the DEA panel both decide a new question.
    first, last = again.tracks.order_by("id")
    a.panel_votes(first)
    a.panel_votes(last, "rejected")
    amendments.amendment_track_decide(track=first, by=a.chair, outcome="approved")
    assert told(
        lambda: amendments.amendment_track_decide(
            track=last, by=a.chair, outcome="rejected", rationale="Out of scope."
        )
    ) == {
        "amendment.track_decided": names(a.pi, a.colleague),
        "amendment.rejected": names(a.pi, a.colleague),
    }


def test_every_declared_notice_kind_is_covered_by_this_matrix():
    # Runs last in this module (pytest keeps file order): every kind a service can raise has
    # its exact audience pinned above.
    assert set(KINDS) <= COVERED, sorted(set(KINDS) - COVERED)
