"""What the type checking made explicit: the acting person of an API view, what a person sees of
an application loaded for them, the version in force of a category, the panel of a panel track.
Each says what it needs instead of failing on a None further on."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from access.api.authentication import signed_in_user
from access.models import User
from catalogue.models import PreApprovedCategory, PreApprovedCategoryVersion
from notifications.selectors import notifications_visible_to
from tests.factories.workflow import World
from workflow.models import Panel, ReviewTrack, State, TrackKind
from workflow.route.policies import visible_view
from workflow.route.selectors import WHOLE


def _request(user) -> Request:
    request = Request(APIRequestFactory().get("/api/v1/me/"))
    request.user = user
    return request


def test_signed_in_user_is_the_person_making_the_request():
    person = User(username="rhian", is_active=True)
    assert signed_in_user(_request(person)) is person


def test_signed_in_user_refuses_someone_signed_out():
    with pytest.raises(NotAuthenticated):
        signed_in_user(_request(AnonymousUser()))


def test_category_current_is_the_version_in_force():
    version = PreApprovedCategoryVersion(version=2, title="Service planning")
    assert PreApprovedCategory(current_version=version).current is version


def test_category_without_a_version_says_so():
    with pytest.raises(RuntimeError, match="no version in force"):
        _ = PreApprovedCategory().current


def test_voting_panel_is_a_panel_tracks_panel():
    panel = Panel(slug="igrp", name="IGRP")
    assert ReviewTrack(kind=TrackKind.IGRP, panel=panel).voting_panel is panel


def test_owner_sign_off_has_no_voting_panel():
    with pytest.raises(ValueError, match="owner's sign-off"):
        _ = ReviewTrack(kind=TrackKind.OWNER_SIGNOFF).voting_panel


@pytest.mark.django_db
def test_visible_view_is_what_the_person_sees_and_404_for_anyone_else():
    world = World()
    application = world.at(State.SCOPING)
    assert visible_view(world.pi, application) == WHOLE
    with pytest.raises(Http404):
        visible_view(world.outsider, application)


@pytest.mark.django_db
def test_signed_out_inbox_is_empty_without_a_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert list(notifications_visible_to(AnonymousUser())) == []
