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

from access.models import AccessGrant, Accreditation, Role
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
