"""The admin for panels: once a panel exists, its rule and mode are read-only there, with links
to the ops pages whose services check them (the rule against the panel as seated, the mode's 409
while a sitting has its papers issued); a member removed in the admin that leaves the rule beyond
the panel is warned of with the rule check's own words."""

from __future__ import annotations

import pytest

from access.models import Role
from tests.factories import make_user
from tests.factories.workflow import World
from workflow.models import Panel, PanelMembership, PanelMode

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return World()


@pytest.fixture
def admin_client(client):
    client.force_login(make_user(Role.OPS, is_staff=True, is_superuser=True))
    return client


def _change_form(panel: Panel, **overrides) -> dict[str, str]:
    """What the admin's change form posts: the panel's own fields and its membership inline."""
    seats = list(panel.memberships.order_by("id"))
    data = {
        "name": panel.name,
        "slug": panel.slug,
        "track_kind": panel.track_kind,
        "description": panel.description,
        "is_active": "on" if panel.is_active else "",
        "memberships-TOTAL_FORMS": str(len(seats)),
        "memberships-INITIAL_FORMS": str(len(seats)),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for n, seat in enumerate(seats):
        data.update(
            {
                f"memberships-{n}-id": str(seat.pk),
                f"memberships-{n}-panel": str(panel.pk),
                f"memberships-{n}-user": str(seat.user_id),
                f"memberships-{n}-is_chair": "on" if seat.is_chair else "",
                f"memberships-{n}-is_independent": "on" if seat.is_independent else "",
                f"memberships-{n}-is_lay": "on" if seat.is_lay else "",
                f"memberships-{n}-left_on": seat.left_on.isoformat() if seat.left_on else "",
            }
        )
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""}


def test_the_rule_and_mode_are_read_only_in_the_admin_with_links_to_the_ops_pages(
    world, admin_client
):
    url = f"/admin/workflow/panel/{world.igrp.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert f'href="/ops/panels/{world.igrp.pk}/rule/"' in page
    assert f'href="/ops/panels/{world.igrp.pk}/mode/"' in page
    for name in ("quorum", "min_lay_votes", "mode", "decision_rule"):
        assert f'name="{name}"' not in page

    # Posted anyway (an old form, a script): the rule and the mode stay as they were.
    saved = admin_client.post(
        url,
        _change_form(
            world.igrp, quorum="2", min_lay_votes="2", mode=PanelMode.SITTING, description="New."
        ),
    )
    assert saved.status_code == 302, saved.content.decode()[:2000]
    world.igrp.refresh_from_db()
    assert world.igrp.description == "New."
    assert (world.igrp.quorum, world.igrp.min_lay_votes, world.igrp.mode) == (
        1,
        0,
        PanelMode.ROLLING,
    )


def test_a_member_removed_in_the_admin_that_leaves_the_rule_unmeetable_is_warned_of(
    world, admin_client
):
    PanelMembership.objects.filter(panel=world.igrp, user=world.lay).update(is_lay=True)
    Panel.objects.filter(pk=world.igrp.pk).update(min_lay_votes=1)
    world.igrp.refresh_from_db()
    form = _change_form(world.igrp)
    lay = next(k for k, v in form.items() if v == str(world.lay.pk) and k.endswith("-user"))
    form[lay.replace("-user", "-is_lay")] = ""
    form = {k: v for k, v in form.items() if v != ""}
    response = admin_client.post(
        f"/admin/workflow/panel/{world.igrp.pk}/change/", form, follow=True
    )
    text = response.content.decode()
    assert "The panel has 0 lay members; it cannot need 1 lay votes." in text
    assert f'href="/ops/panels/{world.igrp.pk}/rule/"' in text


def test_a_new_panel_takes_its_first_rule_in_the_admin_within_the_database_constraints(
    world, admin_client
):
    refused = admin_client.post(
        "/admin/workflow/panel/add/",
        {
            "name": "Second DEA panel",
            "slug": "dea-2",
            "track_kind": "dea_panel",
            "quorum": "2",
            "decision_rule": "majority",
            "min_independent_votes": "0",
            "min_lay_votes": "0",
            "mode": PanelMode.ROLLING,
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
        },
    )
    assert refused.status_code == 200  # the form again, with the constraint's message
    assert "The DEA panel needs at least three votes, one from an independent member." in (
        refused.content.decode()
    )
    assert not Panel.objects.filter(slug="dea-2").exists()
