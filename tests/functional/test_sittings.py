"""A panel sitting in the browser, each page checked with axe at 1280 and 375 px: an application
that needs the IGRP and the DEA panel goes through both at once; the DEA panel reviews on a
rolling basis (three votes, the chair closes), while the IGRP meets: its chair plans a sitting
(a cut-off after the date is refused), publishes the agenda, issues the papers, a lay member
reads them, the chair takes the attendance, is refused a decision without the quorum (named),
decides once the lay member is there, closes the sitting and publishes the minutes, which
anyone reads without a name in them. The application is approved by the combined outcome."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from tests.factories.workflow import World
from workflow.management.demo_data import DEMO_PASSWORD
from workflow.models import Application, LegalGateway, Outcome, PanelMode, Sitting, State, TrackKind


@pytest.mark.timeout(300)
def test_an_application_through_a_sitting_panel_while_the_dea_panel_reviews_on_a_rolling_basis(
    transactional_db, visitor
):
    world = World()
    world.igrp.mode = PanelMode.SITTING
    world.igrp.quorum = 2
    world.igrp.min_independent_votes = 1
    world.igrp.save()
    for person in (world.panel, world.lay, world.expert):
        person.set_password(DEMO_PASSWORD)
        person.save()
    datasets = world.content()["datasets"]
    datasets[0]["legal_gateway"] = LegalGateway.DEA_RESEARCH
    app = world.at(State.IN_REVIEW, datasets=datasets)
    world.decide(app.tracks.get(kind=TrackKind.OWNER_SIGNOFF), Outcome.APPROVED)
    today = timezone.localdate()

    # The DEA panel, rolling: three members vote, one independent; the chair closes.
    dea = app.tracks.get(kind=TrackKind.DEA_PANEL)
    for member in (world.expert, world.lay, world.panel):
        person = visitor()
        person.login(member.username)
        person.visit(f"/reviews/tracks/{dea.pk}/")
        person.choose("Approved")
        person.click("Cast my vote")
        assert "Your vote is recorded" in person.banner()
        if member == world.panel:
            person.click("Close the vote")
            assert "The vote is closed" in person.banner()
        person.close()

    # The IGRP sits: its track page says so.
    chair = visitor()
    chair.login(world.panel.username)
    igrp = app.tracks.get(kind=TrackKind.IGRP)
    chair.visit(f"/reviews/tracks/{igrp.pk}/")
    assert "decides at its sittings" in chair.text()
    assert "Close the vote" not in chair.text()

    chair.visit("/reviews/sittings/")
    chair.fill_date("Date of the sitting", today.isoformat())
    chair.fill_date("Cut-off", (today + datetime.timedelta(days=1)).isoformat())
    chair.click("Plan the sitting")
    assert "The cut-off must be on or before the date of the sitting" in " ".join(
        chair.error_summary()
    )
    chair.fill_date("Cut-off", today.isoformat())
    chair.click("Plan the sitting")
    assert "Sitting planned" in chair.banner()
    assert app.reference in chair.text()
    sitting = Sitting.objects.get()
    chair.click("Publish the agenda")
    assert "Agenda published" in chair.banner()
    chair.click("Issue the papers")
    assert "Papers issued" in chair.banner()

    lay = visitor()
    lay.login(world.lay.username)
    lay.visit(f"/reviews/sittings/{sitting.pk}/")
    lay.link(f"Read the papers for {app.reference}")
    assert "Five Safes checks" in lay.text()
    assert "Public-benefit assessment" in lay.text()

    # At the sitting: only the chair is there, so no quorum; the lay member arrives.
    chair.visit(f"/reviews/sittings/{sitting.pk}/")
    chair.page.get_by_label("Pat Panel (chair)").check()
    chair.click("Record attendance")
    assert "Quorum not present" in chair.text()
    assert "0 of the 1 independent members needed present" in chair.text()
    chair.page.get_by_text("Record the panel's decision").first.click()
    chair.choose("Approved")
    chair.click(f"Record the decision on {app.reference}")
    assert "The quorum is not present" in chair.banner()
    chair.page.get_by_label("Lee Lay (independent)").check()
    chair.click("Record attendance")
    assert "Quorum present" in chair.text()
    chair.page.get_by_text("Record the panel's decision").first.click()
    chair.choose("Approved")
    chair.click(f"Record the decision on {app.reference}")
    assert "Decision recorded" in chair.banner()
    chair.click("Close the sitting")
    assert "held" in chair.banner()
    chair.fill("Minutes", "Lee Lay asked about the linkage.")
    chair.click("Publish the minutes")
    assert "no personal data" in " ".join(chair.error_summary())
    chair.fill("Minutes", "The panel approved the one application before it.")
    chair.click("Publish the minutes")
    assert "Minutes published" in chair.banner()

    public = visitor()
    public.visit("/sittings/minutes/")
    public.link(f"{world.igrp.name}, {today:%-d %B %Y}")
    text = public.text()
    assert app.reference in text
    assert "Approved" in text
    assert "2 members attended, 1 of them independent, 0 lay" in text
    for person in (world.panel, world.lay, world.expert, world.pi):
        assert person.full_name not in text

    assert Application.objects.get(pk=app.pk).state == State.APPROVED


@pytest.mark.timeout(300)
def test_ops_switch_the_igrp_to_sittings_and_back_once_the_chair_defers_with_a_reason(
    transactional_db, visitor
):
    """Ops switch the IGRP to sittings on its panels page; with a sitting's papers issued and
    an item listed, switching back is refused on the page; the chair defers the item with a
    reason, shown on the agenda; then the panel goes back to rolling."""
    from workflow.sittings import services as sittings

    world = World()
    for person in (world.ops, world.panel):
        person.set_password(DEMO_PASSWORD)
        person.save()
    app = world.at(State.IN_REVIEW)

    ops = visitor()
    ops.login(world.ops.username)
    ops.visit("/ops/panels/")
    ops.link(f"Change how the {world.igrp.name} decides")
    ops.choose("At sittings")
    ops.click("Save how the panel decides")
    assert "the panel now decides at sittings" in ops.banner()

    day = timezone.localdate() + datetime.timedelta(days=7)
    sitting = sittings.sitting_create(
        panel=world.igrp, by=world.panel, date=day, cut_off=timezone.localdate()
    )
    sittings.agenda_publish(sitting=sitting, by=world.panel)
    sittings.papers_issue(sitting=sitting, by=world.panel)

    ops.visit(f"/ops/panels/{world.igrp.pk}/mode/")
    assert "1 item still listed" in ops.text()
    ops.choose("On a rolling basis")
    ops.click("Save how the panel decides")
    assert any("has its papers issued" in e for e in ops.error_summary())

    chair = visitor()
    chair.login(world.panel.username)
    chair.visit(f"/reviews/sittings/{sitting.pk}/")
    chair.page.get_by_text("Defer to a later sitting").first.click()
    chair.fill(f"Why is {app.reference} deferred? (optional)", "Awaiting a letter from the owner.")
    chair.click(f"Defer {app.reference}")
    assert "Item deferred to the next sitting" in chair.banner()
    assert "Awaiting a letter from the owner." in chair.text()

    ops.visit(f"/ops/panels/{world.igrp.pk}/mode/")
    ops.choose("On a rolling basis")
    ops.click("Save how the panel decides")
    assert "the panel now decides on a rolling basis" in ops.banner()
    world.igrp.refresh_from_db()
    assert world.igrp.mode == PanelMode.ROLLING
