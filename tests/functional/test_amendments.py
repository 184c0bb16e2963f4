"""Amendments in the browser, each page checked with axe at both widths: the PI adds a colleague
from the same university (no panel: the newcomer signs and has access), asks to extend the end
date (ops alone decide, from their queue), and adds DEA data (its owner and the DEA panel's
chair decide; the IGRP is not asked); everyone can read the routing table."""

from __future__ import annotations

import datetime

import pytest

from access.models import AccessGrant
from tests.support.amendments import Amendments
from workflow.management.demo_data import DEMO_PASSWORD
from workflow.models import Amendment, RouteRule


def decide_on_the_page(person) -> None:
    """Approve the first track the person decides (a chair also sees the vote form above it)."""
    decision = person.page.get_by_role("group", name="Your decision").first
    decision.get_by_label("Approved", exact=True).check()
    person.click("Record your decision")


@pytest.mark.timeout(300)
def test_each_role_takes_an_amendment_through_its_route(transactional_db, visitor):
    a = Amendments()
    for person in (a.pi, a.newcomer, a.ops, a.ons_owner, a.chair):
        person.set_password(DEMO_PASSWORD)
        person.save()
    project = a.project

    # The PI adds a colleague from the same university: the route is shown before submitting.
    pi = visitor()
    pi.login(a.pi.username)
    pi.visit(f"/applications/{project.pk}/")
    pi.link("Amendments")
    pi.link("Request an amendment")
    pi.choose("Add a team member")
    pi.click("Continue")
    pi.fill("Their email address", a.newcomer.email)
    pi.choose("Researcher")
    pi.fill("Why does the project need this change?", "Nia joins the analysis.")
    pi.click("Save and see the route")
    assert "Draft saved" in pi.banner()
    assert "No review track" in pi.text()
    assert "Swansea University is already on the project" in pi.text()
    pi.click("Submit the amendment")
    assert "took effect at once" in pi.banner()
    first = Amendment.objects.get()
    assert first.state == "approved"

    # The newcomer signs the agreement on the amendment's page and has access at once.
    nia = visitor()
    nia.login(a.newcomer.username)
    nia.visit(f"/applications/{project.pk}/amendments/{first.pk}/")
    nia.click("Sign the data access agreement")
    assert "Your access has started" in nia.banner()
    assert AccessGrant.objects.filter(person=a.newcomer, state="active").exists()

    # The PI asks to extend the end date (the renewal link preselects it): ops alone decide.
    new_end = project.end_date + datetime.timedelta(days=120)
    pi.visit(f"/applications/{project.pk}/amendments/new/?type=extend_end_date")
    pi.fill_date("New end date", new_end.isoformat())
    pi.click("Save and see the route")
    assert "Operations" in pi.text()
    pi.click("Submit the amendment")
    assert "reviewers it affects are asked" in pi.banner()
    ops = visitor()
    ops.login(a.ops.username)
    ops.visit("/amendments/")
    ops.link(f"{project.reference} amendment 2")
    ops.choose("Approved")
    ops.click("Record your decision")
    assert "Your decision is recorded" in ops.banner()
    assert "Decision letter" in ops.text()
    project.refresh_from_db()
    assert project.end_date == new_end

    # DEA data: the owner and the DEA panel's chair decide; the IGRP is not asked.
    pi.visit(f"/applications/{project.pk}/amendments/new/?type=add_dataset")
    pi.select("Which dataset?", "Census 2021")
    pi.select(
        "The legal gateway it is shared under", "Digital Economy Act 2017 research power (s.64)"
    )
    pi.fill("Variables", "household_size")
    pi.fill("Why the project needs it", "Household size is a confounder.")
    pi.click("Save and see the route")
    assert "The DEA accreditation panel" in pi.text()
    assert "Office for National Statistics" in pi.text()
    pi.click("Submit the amendment")
    third = Amendment.objects.get(number=3)
    assert sorted(t.reviewer for t in third.tracks.all()) == ["data_owner", "dea_panel"]
    # The DEA panel's other members vote (the API's tests drive voting); the chair decides.
    a.panel_votes(third.tracks.get(reviewer="dea_panel"))
    for person in (a.ons_owner, a.chair):
        reviewer = visitor()
        reviewer.login(person.username)
        reviewer.visit("/amendments/")
        reviewer.link(f"{project.reference} amendment 3")
        decide_on_the_page(reviewer)
        assert "Your decision is recorded" in reviewer.banner()
    third.refresh_from_db()
    assert third.state == "approved"

    # Data a pre-approved category covers: no owner track, the category cited; done at once.
    pi.visit(f"/applications/{project.pk}/amendments/new/?type=add_dataset")
    pi.select("Which dataset?", "Birth records")
    pi.select(
        "The legal gateway it is shared under",
        "Public task (UK GDPR Art 6(1)(e)) with Art 9 research condition",
    )
    pi.fill("Variables", "birth_weight")
    pi.fill("Why the project needs it", "Birth weight is the outcome.")
    pi.click("Save and see the route")
    citation = a.category.current_version.citation
    assert f"Pre-approved: {citation}" in pi.text()
    pi.click("Submit the amendment")
    assert "took effect at once" in pi.banner()
    assert citation in pi.text()  # the decision letter cites it

    # A new research question goes to the IGRP (and, now the project uses DEA data, the DEA
    # panel); its chair decides both.
    pi.visit(f"/applications/{project.pk}/amendments/new/?type=change_question")
    pi.fill("The new research question", "Does attainment predict wellbeing at 30?")
    pi.click("Save and see the route")
    assert "The Independent Governance Review Panel (IGRP)" in pi.text()
    pi.click("Submit the amendment")
    for track in Amendment.objects.get(number=5).tracks.all():
        a.panel_votes(track)
    chair = visitor()
    chair.login(a.chair.username)
    for _ in range(2):
        chair.visit("/amendments/")
        chair.link(f"{project.reference} amendment 5")
        decide_on_the_page(chair)
    project.refresh_from_db()
    assert project.research_question == "Does attainment predict wellbeing at 30?"

    # The routing table, for everyone; ops see turnaround per kind of change beside it.
    pi.visit("/amendments/routing/")
    assert "The routing table" in pi.text()
    ops.visit("/amendments/routing/")
    assert "Amendment turnaround by kind of change" in ops.text()
    # Ops change a rule on its own page: the analyst scopes new questions from now on.
    rule = RouteRule.objects.get(change_type="change_question", reviewer="analyst")
    ops.visit(f"/amendments/routing/{rule.pk}/")
    ops.page.get_by_label("Use this rule").check()
    ops.click("Save the rule")
    assert "new amendments are routed by it" in ops.banner()
    ops.visit("/ops/turnaround/")
    assert "Amendment turnaround by kind of change" in ops.text()
