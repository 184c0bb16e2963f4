"""The amendment pages as each role uses them: the PI asks for one kind of change at a time and
sees where it goes and why before submitting; the reviewer it affects decides on the page; a
new member signs; everyone can read the routing table; a renewal reminder's link preselects
"extend the end date"."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from access.models import AccessGrant
from tests.support.amendments import Amendments
from workflow.models import Amendment

pytestmark = pytest.mark.django_db


@pytest.fixture
def a() -> Amendments:
    return Amendments()


def test_the_renewal_link_preselects_extend_the_end_date(a, page_client):
    url = reverse("workflow:amendment-new", args=[a.project.pk]) + "?type=extend_end_date"
    page = page_client(a.pi).get(url)
    assert page.status_code == 200
    assert "Extend the end date" in page.content.decode()
    assert 'name="end_date-day"' in page.content.decode()


def test_pi_adds_a_colleague_from_the_same_university_on_the_pages(a, page_client):
    pi = page_client(a.pi)
    listing = pi.get(f"/applications/{a.project.pk}/amendments/").content.decode()
    assert "Request an amendment" in listing
    chooser = pi.get(f"/applications/{a.project.pk}/amendments/new/")
    assert "What do you want to change?" in chooser.content.decode()
    saved = pi.post(
        f"/applications/{a.project.pk}/amendments/new/?type=add_member",
        {
            "type": "add_member",
            "email": a.newcomer.email,
            "project_role": "researcher",
            "reason": "Nia joins.",
        },
    )
    amendment = Amendment.objects.get()
    assert saved.status_code == 302
    page = pi.get(saved["Location"]).content.decode()
    assert "Where it goes and why" in page
    assert "No review track" in page
    assert "Swansea University is already on the project" in page
    submitted = pi.post(saved["Location"], {"action": "submit"})
    assert submitted.status_code == 302
    amendment.refresh_from_db()
    assert amendment.state == "approved"
    # The newcomer signs on the amendment's page and has access at once (already trained).
    newcomer = page_client(a.newcomer)
    assert "Sign the data access agreement" in newcomer.get(saved["Location"]).content.decode()
    newcomer.post(saved["Location"], {"action": "sign"})
    assert AccessGrant.objects.filter(person=a.newcomer, state="active").exists()


def test_an_unknown_email_is_refused_on_the_field(a, page_client):
    answer = page_client(a.pi).post(
        f"/applications/{a.project.pk}/amendments/new/?type=add_member",
        {"type": "add_member", "email": "nobody@example.org", "project_role": "researcher"},
    )
    assert answer.status_code == 400
    assert "No one with that email address has an account here" in answer.content.decode()
    assert not Amendment.objects.exists()


def test_ops_decide_an_extension_from_their_queue(a, page_client):
    new_end = a.project.end_date + datetime.timedelta(days=90)
    pi = page_client(a.pi)
    saved = pi.post(
        f"/applications/{a.project.pk}/amendments/new/?type=extend_end_date",
        {
            "type": "extend_end_date",
            "end_date-day": new_end.day,
            "end_date-month": new_end.month,
            "end_date-year": new_end.year,
        },
    )
    assert saved.status_code == 302, saved.content.decode()
    pi.post(saved["Location"], {"action": "submit"})
    ops = page_client(a.ops)
    queue = ops.get("/amendments/").content.decode()
    assert "Operations" in queue
    page = ops.get(saved["Location"]).content.decode()
    assert "Record your decision" in page
    track = Amendment.objects.get().tracks.get()
    decided = ops.post(
        saved["Location"],
        {"action": f"decide:{track.pk}", f"decide-{track.pk}-outcome": "approved"},
    )
    assert decided.status_code == 302
    a.project.refresh_from_db()
    assert a.project.end_date == new_end
    assert "Decision letter" in pi.get(saved["Location"]).content.decode()


def test_the_routing_table_is_readable_and_ops_see_turnaround(a, page_client):
    researcher = page_client(a.pi).get("/amendments/routing/").content.decode()
    assert "The routing table" in researcher
    assert "Amendment turnaround by kind of change" not in researcher
    ops = page_client(a.ops).get("/amendments/routing/").content.decode()
    assert "Amendment turnaround by kind of change" in ops


def test_the_turnaround_dashboard_shows_amendments_beside_the_route(a, page_client):
    page = page_client(a.ops).get("/ops/turnaround/")
    assert page.status_code == 200
    assert "Amendment turnaround by kind of change" in page.content.decode()


def test_ops_switch_a_rule_on_and_new_amendments_follow_it(a, page_client):
    from workflow.models import RouteRule

    rule = RouteRule.objects.get(change_type="change_question", reviewer="analyst")
    assert page_client(a.pi).get(f"/amendments/routing/{rule.pk}/").status_code == 403
    ops = page_client(a.ops)
    assert "Change" in ops.get("/amendments/routing/").content.decode()
    answer = ops.post(
        f"/amendments/routing/{rule.pk}/", {"active": "on", "target_days": "7", "note": ""}
    )
    assert answer.status_code == 302
    rule.refresh_from_db()
    assert rule.active is True
    assert rule.target_days == 7
    refused = ops.post(f"/amendments/routing/{rule.pk}/", {"target_days": "999"})
    assert refused.status_code == 400


def test_a_panel_member_votes_on_the_page_and_the_chair_then_decides(a, page_client):
    from workflow.amendments import services

    draft = services.amendment_create(
        application=a.project,
        by=a.pi,
        changes=[{"type": "change_question", "research_question": "On the page?"}],
    )
    services.amendment_submit(amendment=draft, by=a.pi)
    track = draft.tracks.get()
    url = f"/applications/{a.project.pk}/amendments/{draft.pk}/"
    chair = page_client(a.chair)
    early = chair.post(
        url, {"action": f"decide:{track.pk}", f"decide-{track.pk}-outcome": "approved"}
    )
    assert early.status_code == 400
    assert "0 of the 1 votes needed" in early.content.decode()
    lay = page_client(a.world.lay)
    assert "Record your vote" in lay.get(url).content.decode()
    voted = lay.post(url, {"action": f"vote:{track.pk}", f"vote-{track.pk}-choice": "approved"})
    assert voted.status_code == 302
    # Having voted, the member reads the votes; the chair always does.
    assert "<strong>Lee Lay</strong>: Approved" in lay.get(url).content.decode()
    assert "<strong>Lee Lay</strong>: Approved" in chair.get(url).content.decode()
    decided = chair.post(
        url, {"action": f"decide:{track.pk}", f"decide-{track.pk}-outcome": "approved"}
    )
    assert decided.status_code == 302
    draft.refresh_from_db()
    assert draft.state == "approved"


def test_on_a_blind_first_round_the_page_hides_the_votes_and_says_why(a, page_client):
    from workflow.amendments import services

    a.world.igrp.quorum = 2
    a.world.igrp.decision_rule = "unanimous"
    a.world.igrp.blind_first_round = True
    a.world.igrp.save()
    draft = services.amendment_create(
        application=a.project,
        by=a.pi,
        changes=[{"type": "change_question", "research_question": "Blind?"}],
    )
    services.amendment_submit(amendment=draft, by=a.pi)
    track = draft.tracks.get()
    url = f"/applications/{a.project.pk}/amendments/{draft.pk}/"
    lay, expert, chair = page_client(a.world.lay), page_client(a.world.expert), page_client(a.chair)
    lay.post(url, {"action": f"vote:{track.pk}", f"vote-{track.pk}-choice": "approved"})
    page = lay.get(url).content.decode()
    assert "the tally opens when the quorum has voted" in page
    assert "<strong>Lee Lay</strong>: Approved" not in page
    # The chair, who has not voted, may not decide: said on the form.
    early = chair.post(
        url, {"action": f"decide:{track.pk}", f"decide-{track.pk}-outcome": "approved"}
    )
    assert early.status_code == 400
    assert "vote yourself before you close the vote" in early.content.decode()
    expert.post(
        url,
        {
            "action": f"vote:{track.pk}",
            f"vote-{track.pk}-choice": "rejected",
            f"vote-{track.pk}-rationale": "Too broad.",
        },
    )
    page = lay.get(url).content.decode()
    assert "<strong>Eve Expert</strong>: Rejected. Too broad." in page
    assert "The rule is unanimity and the members disagree." in page


def test_the_history_page_shows_the_amendments(page_client):
    a = Amendments()
    a.amend_and_decide()
    page = page_client(a.pi).get(f"/applications/{a.project.pk}/timeline/").content.decode()
    assert "Amendment 1 approved" in page
    assert "Amendment 1 asked for" in page
    # Newest first: the approval before the asking.
    assert page.index("Amendment 1 approved") < page.index("Amendment 1 asked for")
