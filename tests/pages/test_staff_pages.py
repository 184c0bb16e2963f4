"""Analysts, reviewers, panels, owners and ops through their pages."""

from __future__ import annotations

import datetime

import pytest

from catalogue.models import PreApprovedCategory
from notifications.models import Notification
from tests.factories import make_category
from workflow.models import Application, Outcome, State, TrackKind, Vote

pytestmark = pytest.mark.django_db


def _body(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("pi", "/scoping/"),
        ("pi", "/reviews/internal/"),
        ("pi", "/reviews/panels/"),
        ("pi", "/owner/sign-off/"),
        ("pi", "/owner/"),
        ("analyst", "/ops/"),
        ("reviewer", "/scoping/"),
    ],
)
def test_queues_are_for_their_role_only(page_client, world, who, path):
    response = page_client(getattr(world, who)).get(path)
    assert response.status_code == 403
    assert "You cannot see this page" in _body(response)


def test_signed_out_person_is_sent_to_sign_in(page_client, world):
    response = page_client().get("/scoping/")
    assert response["Location"].startswith("/login/?next=/scoping/")


def test_scoping_queue_workspace_and_complete(page_client, world):
    application = world.at(State.SCOPING)
    analyst = Application.objects.get(pk=application.pk).analyst
    client = page_client(analyst)
    assert application.reference in _body(client.get("/scoping/"))
    workspace = _body(client.get(f"/scoping/{application.pk}/"))
    assert "Record that the project is feasible" in workspace
    assert "education.postcode (can identify a person)" in workspace
    ids = [str(v.pk) for v in (world.year, world.grade)]
    saved = client.post(
        f"/scoping/{application.pk}/",
        {"scoped_variables": ids, "feasible": "yes", "feasibility_notes": "Fine."},
    )
    assert saved.status_code == 302, saved.content.decode()[-3000:]
    done = client.post(f"/applications/{application.pk}/steps/complete-scoping/")
    assert done.status_code == 302
    application.refresh_from_db()
    assert application.state == State.INTERNAL_REVIEW
    # Again, now the state is wrong: a banner, not an error page.
    again = client.post(
        f"/applications/{application.pk}/steps/complete-scoping/",
        HTTP_REFERER=f"http://testserver/applications/{application.pk}/",
    )
    assert "You cannot complete scoping now" in _body(client.get(again["Location"]))
    assert page_client(world.outsider).get(f"/scoping/{application.pk}/").status_code == 404


def test_composer_adds_rows_refuses_no_points_and_sends_all_at_once(page_client, world):
    application = world.at(State.SCOPING)
    client = page_client(Application.objects.get(pk=application.pk).analyst)
    url = f"/applications/{application.pk}/request-changes/"
    grown = client.post(url, {"rows": "1", "add": "1", "item_0_text": "Keep me"})
    assert grown.status_code == 200
    assert 'name="item_1_text"' in _body(grown)
    assert "Keep me" in _body(grown)
    empty = client.post(url, {"rows": "2", "send": "1"})
    assert empty.status_code == 400
    assert "Give at least one point" in _body(empty)
    partial = client.post(
        url,
        {
            "rows": "2",
            "item_0_section": "team",
            "item_0_text": "Add a statistician.",
            "item_1_text": "?",
        },
    )
    assert partial.status_code == 400
    assert 'id="id_item_1_section-error"' in _body(partial)
    sent = client.post(
        url,
        {
            "rows": "2",
            "summary": "Two things.",
            "item_0_section": "team",
            "item_0_text": "Add a statistician.",
            "item_1_section": "data",
            "item_1_text": "Fewer variables.",
        },
    )
    assert sent.status_code == 302
    application.refresh_from_db()
    assert application.state == State.CHANGES_REQUESTED
    assert application.feedback_requests.get().items.count() == 2


def test_a_step_the_person_may_not_take_is_403(page_client, world):
    application = world.at(State.INTERNAL_REVIEW)
    response = page_client(world.colleague).post(
        f"/applications/{application.pk}/steps/refer-to-panels/"
    )
    assert response.status_code == 403
    assert (
        page_client(world.reviewer)
        .get(f"/applications/{application.pk}/steps/nonsense/")
        .status_code
        == 404
    )


def test_reviewer_queue_reject_needs_a_reason(page_client, world):
    application = world.at(State.INTERNAL_REVIEW)
    client = page_client(world.reviewer)
    assert application.reference in _body(client.get("/reviews/internal/"))
    overview = _body(client.get(f"/applications/{application.pk}/"))
    assert "Refer to the panels and data owners" in overview
    refused = client.post(f"/applications/{application.pk}/steps/reject/", {"reason": ""})
    assert refused.status_code == 400
    assert "Give the reason for rejecting." in _body(refused)
    client.post(f"/applications/{application.pk}/steps/reject/", {"reason": "No benefit."})
    application.refresh_from_db()
    assert application.state == State.REJECTED


def test_panel_member_votes_sees_the_tally_then_chair_closes(page_client, world):
    application = world.at(State.IN_REVIEW)
    track = application.tracks.get(kind=TrackKind.IGRP)
    member = page_client(world.lay)
    assert application.reference in _body(member.get("/reviews/panels/"))
    before = _body(member.get(f"/reviews/tracks/{track.pk}/"))
    assert "Cast my vote" in before
    assert "The votes" not in before
    member.post(
        f"/reviews/tracks/{track.pk}/",
        {"form": "vote", "vote-choice": Outcome.APPROVED, "vote-rationale": ""},
    )
    after = _body(member.get(f"/reviews/tracks/{track.pk}/"))
    assert "The votes" in after
    assert "Change my vote" in after
    member.post(
        f"/reviews/tracks/{track.pk}/",
        {"form": "vote", "vote-choice": Outcome.REJECTED, "vote-rationale": "On reflection, no."},
    )
    assert Vote.objects.get(track=track, member=world.lay).choice == Outcome.REJECTED
    chair = page_client(world.panel)
    wrong = chair.post(
        f"/reviews/tracks/{track.pk}/",
        {"form": "close", "close-outcome": Outcome.APPROVED, "close-rationale": ""},
    )
    assert wrong.status_code == 400
    assert "the chair records the panel" in _body(wrong)
    chair.post(
        f"/reviews/tracks/{track.pk}/",
        {
            "form": "close",
            "close-outcome": Outcome.REJECTED,
            "close-rationale": "The panel says no.",
        },
    )
    track.refresh_from_db()
    assert track.outcome == Outcome.REJECTED


def test_conflict_declared_from_its_page(page_client, world):
    application = world.at(State.IN_REVIEW)
    track = application.tracks.get(kind=TrackKind.IGRP)
    client = page_client(world.expert)
    assert client.post(f"/reviews/tracks/{track.pk}/conflict/", {"reason": ""}).status_code == 400
    client.post(f"/reviews/tracks/{track.pk}/conflict/", {"reason": "I supervise the PI."})
    assert application.conflicts.filter(user=world.expert).exists()
    queue = _body(client.get("/reviews/panels/"))
    assert "Conflict declared" in queue


def test_owner_signs_off_from_the_queue(page_client, world):
    application = world.at(State.IN_REVIEW)
    track = application.tracks.get(kind=TrackKind.OWNER_SIGNOFF)
    client = page_client(world.owner)
    assert application.reference in _body(client.get("/owner/sign-off/"))
    page = _body(client.get(f"/owner/sign-off/{track.pk}/"))
    assert "Why this was not signed off automatically" in page
    assert client.get(f"/reviews/tracks/{track.pk}/").status_code == 403
    needs_reason = client.post(f"/owner/sign-off/{track.pk}/", {"outcome": Outcome.REJECTED})
    assert needs_reason.status_code == 400
    client.post(f"/owner/sign-off/{track.pk}/", {"outcome": Outcome.APPROVED})
    track.refresh_from_db()
    assert track.outcome == Outcome.APPROVED
    igrp = application.tracks.get(kind=TrackKind.IGRP)
    assert client.get(f"/owner/sign-off/{igrp.pk}/").status_code in (403, 404)


def test_ops_dashboard_reassign_and_grant(page_client, world):
    application = world.at(State.SCOPING)
    client = page_client(world.ops)
    body = _body(client.get("/ops/"))
    assert application.reference in body
    assert "Analyst load" in body
    url = f"/ops/applications/{application.pk}/analyst/"
    refused = client.post(url, {"analyst": world.pi.pk})
    assert refused.status_code == 400  # not an analyst: the form's choices refuse it
    client.post(url, {"analyst": world.analyst2.pk})
    application.refresh_from_db()
    assert application.analyst == world.analyst2
    approved = world.at(State.APPROVED)
    assert "Grant access" in _body(client.get(f"/applications/{approved.pk}/"))
    client.post(f"/applications/{approved.pk}/steps/grant-access/")
    approved.refresh_from_db()
    assert approved.state == State.ACTIVE
    suspend = client.post(f"/applications/{approved.pk}/steps/suspend/", {"reason": ""})
    assert suspend.status_code == 400


def test_owner_manages_categories_with_versions(page_client, world):
    client = page_client(world.owner)
    assert world.dataset.title in _body(client.get("/owner/"))
    url = f"/owner/datasets/{world.dataset.slug}/categories/new/"
    terms = {
        "title": "Education policy",
        "description": "Policy research on attainment.",
        "permitted_purposes": ["public_policy"],
        "max_sensitivity": "pseudonymised",
        "variables_mode": "listed",
        "permitted_variables": [],
        "outputs_allowed": "aggregate_only",
        "valid_from": "2025-01-01",
    }
    refused = client.post(url, terms)
    assert refused.status_code == 400
    assert "List the permitted variables" in _body(refused)
    created = client.post(url, {**terms, "permitted_variables": ["grade"]})
    category = PreApprovedCategory.objects.get(dataset=world.dataset)
    assert created["Location"] == f"/owner/categories/{category.pk}/"
    client.post(
        f"/owner/categories/{category.pk}/revise/",
        {**terms, "variables_mode": "all", "conditions": "Acknowledge the source."},
    )
    detail = _body(client.get(f"/owner/categories/{category.pk}/"))
    assert "Version 2 (current)" in detail
    assert "Version 1" in detail
    assert (
        client.post(f"/owner/categories/{category.pk}/retire/", {"reason": ""}).status_code == 400
    )
    client.post(f"/owner/categories/{category.pk}/retire/", {"reason": "Superseded."})
    category.refresh_from_db()
    assert category.is_retired
    world.add_health_provider()
    assert page_client(world.owner2).get(f"/owner/categories/{category.pk}/").status_code == 404
    assert page_client(world.owner2).get(url).status_code == 404


def test_dataset_page_explains_a_category_in_plain_words(page_client, world):
    make_category(
        dataset=world.dataset,
        by=world.owner,
        title="Education policy",
        permitted_purposes=["public_policy"],
        all_non_identifying_variables=True,
        valid_from=datetime.date(2020, 1, 1),
    )
    body = _body(page_client().get(f"/catalogue/{world.dataset.slug}/"))
    assert "Any variable of the dataset that cannot identify a person." in body
    assert "evidence for public policy decision-making" in body


def test_notifications_inbox_open_read_all_and_preference(page_client, world):
    application = world.at(State.SCOPING)
    client = page_client(world.colleague)
    inbox = _body(client.get("/notifications/"))
    assert f"{application.reference} was submitted for scoping" in inbox
    notification = Notification.objects.filter(recipient=world.colleague).first()
    assert notification.url == f"/applications/{application.pk}/"
    opened = client.post(f"/notifications/{notification.pk}/open/")
    assert opened["Location"] == notification.url
    notification.refresh_from_db()
    assert notification.is_read
    assert page_client(world.pi).post(f"/notifications/{notification.pk}/open/").status_code == 404
    client.post("/notifications/read-all/")
    assert not Notification.objects.filter(recipient=world.colleague, read_at__isnull=True).exists()
    client.post("/notifications/preferences/", {"email_mode": "daily_digest"})
    assert "one email a day" in _body(client.get("/notifications/"))
