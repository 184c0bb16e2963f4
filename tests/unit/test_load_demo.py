from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from access.models import Organisation, Role, RoleAssignment, User
from catalogue.models import Dataset, PreApprovedCategory, PreApprovedCategoryVersion, Variable

pytestmark = pytest.mark.django_db


def _load() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def _snapshot():
    return (
        Organisation.objects.count(),
        User.objects.count(),
        RoleAssignment.objects.count(),
        Dataset.objects.count(),
        Variable.objects.count(),
        PreApprovedCategory.objects.count(),
        PreApprovedCategoryVersion.objects.count(),
    )


def test_load_demo_twice_creates_the_same_rows_once():
    first_output = _load()
    first = _snapshot()
    second_output = _load()
    assert _snapshot() == first
    assert "this run created 12 datasets" in first_output
    assert "this run created 0 datasets, 0 variables, 0 categories" in second_output
    # The logins are printed every time.
    for output in (first_output, second_output):
        assert "demo-pass-2026" in output
        assert "carys.dhcw" in output
        assert "gareth.panel" in output
        assert "; independent" in output


def test_load_demo_creates_what_it_says():
    _load()
    assert Dataset.objects.count() == 12
    for dataset in Dataset.objects.prefetch_related("variables"):
        assert 5 <= len(dataset.variables.all()) <= 15, dataset.slug
    assert Dataset.objects.filter(dea_gateway_permitted=True).exists()
    assert Dataset.objects.filter(holder_has_health_service_functions=True).exists()
    assert not Dataset.objects.filter(
        dea_gateway_permitted=True, holder_has_health_service_functions=True
    ).exists()
    # Every person-level dataset carries the ALF pseudonym; WIMD is area-level only.
    assert Variable.objects.filter(is_identifying=True, name="alf_pe").count() == 11
    assert Dataset.objects.filter(primary_analyst__isnull=False).count() == 12

    categories = PreApprovedCategory.objects.select_related("current_version")
    assert categories.filter(retired_at__isnull=False).count() == 1
    assert any(c.current_version.version == 2 for c in categories)
    assert PreApprovedCategory.objects.offered_on().count() >= 3

    for role in Role:
        assert RoleAssignment.objects.filter(role=role).exists(), role
    assert RoleAssignment.objects.filter(role=Role.PANEL_MEMBER).count() == 5
    assert RoleAssignment.objects.filter(role=Role.RESEARCHER).count() >= 2
    assert RoleAssignment.objects.filter(role=Role.ANALYST).count() >= 2
    assert User.objects.get(username="admin").is_superuser


def test_load_demo_logins_work_with_the_printed_password():
    _load()
    assert authenticate(username="rhian.researcher", password="demo-pass-2026") is not None
    assert authenticate(username="sarah.patel@ons.example", password="demo-pass-2026") is not None
    assert authenticate(username="admin", password="demo-pass-2026").is_superuser


def test_load_demo_seats_both_panels_with_a_chair_and_independent_members():
    from workflow.models import Panel, PanelMembership

    _load()
    _load()
    igrp = Panel.objects.get(track_kind="igrp", is_active=True)
    dea = Panel.objects.get(track_kind="dea_panel", is_active=True)
    for panel in (igrp, dea):
        current = PanelMembership.objects.filter(panel=panel, left_on__isnull=True)
        assert current.filter(is_chair=True).count() == 1
        assert current.filter(is_independent=True).count() >= 1
        assert current.count() >= panel.quorum
    assert dea.quorum >= 3
    assert dea.min_independent_votes >= 1


def test_load_demo_has_lay_members_a_consumer_panel_and_a_blind_igrp():
    from workflow.models import Panel, PanelMembership

    _load()
    _load()
    igrp = Panel.objects.get(track_kind="igrp", is_active=True)
    assert igrp.min_lay_votes == 1
    assert igrp.blind_first_round
    lay = PanelMembership.objects.filter(panel=igrp, is_lay=True, left_on__isnull=True)
    assert sorted(lay.values_list("user__username", flat=True)) == ["gareth.panel", "sian.panel"]
    consumer = Panel.objects.get(track_kind="consumer_panel", is_active=True)
    seats = PanelMembership.objects.filter(panel=consumer, left_on__isnull=True)
    assert seats.count() == 2
    assert all(seat.is_lay for seat in seats)
    assert seats.get(is_chair=True).user.username == "sian.panel"


def test_load_demo_with_sittings_makes_the_igrp_sit_with_two_sittings_once():
    from workflow.models import Panel, PanelMode, Sitting

    for _ in range(2):
        call_command("load_demo", "--sittings", stdout=StringIO())
    igrp = Panel.objects.get(slug="igrp")
    assert igrp.mode == PanelMode.SITTING
    assert Panel.objects.get(slug="dea").mode == PanelMode.ROLLING
    assert Sitting.objects.filter(panel=igrp).count() == 2
    assert all(s.cut_off < s.date for s in Sitting.objects.all())
