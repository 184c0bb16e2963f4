"""The whole SAIL route in the browser, each step taken by the person whose step it is."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from workflow.models import Application, State

LAY_SUMMARY = (
    "We will look at how often people are admitted to hospital in Wales and how long they "
    "stay, to help plan hospital beds."
)


def _application_id(page) -> int:
    return int(re.search(r"/applications/(\d+)/", page.url).group(1))


# Nine people, some forty pages each checked with axe and photographed: about two minutes alone,
# more on a busy CI machine, so beyond the suite's default two-minute limit.
@pytest.mark.timeout(360)
def test_route_from_idea_to_access(demo, visitor):
    # --- the researcher writes and submits the application, section by section -------------
    rhian = visitor()
    rhian.login("rhian.researcher")  # through the sign-in page
    assert rhian.page.url.endswith("/applications/")
    rhian.link("Start a new application")
    rhian.fill("What is your project called?", "Hospital stays and bed planning")
    rhian.click("Start the application")
    app_id = _application_id(rhian.page)
    overview = f"/applications/{app_id}/"

    rhian.link("Title and summary")
    rhian.fill("Lay summary", LAY_SUMMARY)
    rhian.click("Save")  # HTMX: saved in place
    assert "Title and summary: saved" in rhian.banner()
    rhian.visit(overview)
    rhian.link("Research question")
    rhian.fill("What is your research question?", "How long do emergency admissions last?")
    rhian.click("Save")
    rhian.visit(f"/applications/{app_id}/sections/public_benefit/")
    rhian.fill("How will the public benefit?", "Better planning of hospital beds in Wales.")
    rhian.click("Save")
    rhian.visit(f"/applications/{app_id}/sections/purpose/")
    rhian.choose("Evidence for public policy decision-making")
    rhian.click("Save")
    rhian.visit(f"/applications/{app_id}/sections/dates/")
    rhian.fill("Start date", "2027-01-01")
    rhian.fill("End date", "2028-06-30")
    rhian.fill("Funder", "Health and Care Research Wales")
    rhian.click("Save")

    rhian.visit(f"/applications/{app_id}/sections/team/")
    rhian.fill("Email address", "tomos.price@cardiff-university.example")
    rhian.choose("Co-investigator")
    rhian.click("Add to the team")
    assert "Tomos Price" in rhian.text()

    rhian.visit(f"/applications/{app_id}/sections/data/")
    rhian.link("Add a dataset")
    rhian.select(
        "Dataset", "Patient Episode Database for Wales (PEDW) (Digital Health and Care Wales)"
    )
    rhian.choose("Public task (UK GDPR Art 6(1)(e)) with Art 9 research condition")
    rhian.fill("Why does the project need this dataset?", "Admissions and length of stay.")
    rhian.click("Add and choose variables")
    for name in ("admis_dt", "spell_dur", "alf_pe (can identify a person)"):
        rhian.choose(name)
    rhian.fill("Why do you need alf_pe?", "To count people, not episodes.")
    rhian.click("Save")
    assert "admis_dt" in rhian.text()

    rhian.visit(overview)
    rhian.link("Safeguards: ethics, setting and outputs")
    rhian.fill("Research ethics committee", "Wales Research Ethics Committee 3")
    rhian.fill("Ethics approval reference", "REC 26/WA/0042")
    rhian.fill("Date of the ethics approval", "2026-06-01")
    rhian.page.get_by_role(
        "group", name="Will the team use the data only inside the TRE"
    ).get_by_label("Yes").check()
    rhian.fill(
        "What will the project take out of the TRE?",
        "Aggregate tables of admissions and stays for a planning report.",
    )
    rhian.choose("The team will not take out any result with a cell count below", exact=False)
    rhian.click("Save")
    assert "Safeguards: saved" in rhian.banner()

    rhian.visit(overview)
    rhian.link("Check and submit")
    rhian.click("Submit the application")
    assert "Submitted" in rhian.banner()
    application = Application.objects.get(pk=app_id)
    assert application.state == State.SCOPING
    assert application.analyst.username == "aled.analyst"

    # --- the analyst asks for three changes at once, with the composer ---------------------
    aled = visitor()
    aled.login("aled.analyst")
    assert aled.page.url.endswith("/scoping/")
    aled.link("Hospital stays and bed planning")
    aled.link("Request changes")
    aled.click("Add another point")
    aled.click("Add another point")
    points = [
        ("Research question", "Say which admissions: emergency only, or all?"),
        ("Datasets and variables", "Do you need alf_pe, or will counts of spells do?"),
        ("Public benefit", "Name who will use the results."),
    ]
    for n, (section, text) in enumerate(points, start=1):
        aled.select(f"Point {n}: section", section)
        aled.fill(f"Point {n}: what needs to change", text)
    aled.click("Send all points to the team")
    assert "3 points went to the team together" in aled.banner()

    # --- the researcher answers each point, then resubmits ---------------------------------
    rhian.visit(overview)
    rhian.link("Answer the feedback")
    # Every box typed before one save: nothing typed is lost (the walk's bug B2).
    for n in range(1, 4):
        rhian.fill(f"Your answer to point {n}", f"Done: answer {n}.", exact=True)
    rhian.click("Save your answers")
    assert "3 answers saved" in rhian.banner()
    assert "0 points still to answer" in rhian.text()
    rhian.link("check your answers and resubmit")
    rhian.click("Resubmit the application")
    assert Application.objects.get(pk=app_id).state == State.SCOPING

    # --- the analyst agrees the scope and completes scoping --------------------------------
    aled.visit(f"/scoping/{app_id}/")
    for name in ("pedw.admis_dt", "pedw.spell_dur", "pedw.alf_pe (can identify a person)"):
        aled.choose(name)
    aled.fill("Feasibility notes", "All three are complete from 2010.")
    aled.choose("Yes, it is feasible")
    aled.click("Save the scoping record")
    aled.link("Complete scoping")
    aled.click("Complete scoping")
    assert Application.objects.get(pk=app_id).state == State.INTERNAL_REVIEW

    # --- the reviewer refers it to the panels and the owner --------------------------------
    gwen = visitor()
    gwen.login("gwen.reviewer")
    assert gwen.page.url.endswith("/reviews/internal/")
    gwen.link("Hospital stays and bed planning")
    gwen.link("Versions")
    assert "What changed from version 1 to version 2" in gwen.text()
    gwen.visit(overview)
    gwen.link("Refer to the panels and data owners")
    gwen.click("Refer for review")
    assert Application.objects.get(pk=app_id).state == State.IN_REVIEW
    gwen.link("Five Safes")
    assert "Safe people" in gwen.text()

    # --- while the panels review it, Tomos gets his safe-researcher training accredited ------
    tomos = visitor()
    tomos.login("tomos.researcher")
    tomos.visit(overview)
    assert "Apply for accreditation" in tomos.text()
    tomos.link("Apply for accreditation")
    tomos.link("Apply for safe researcher training")
    tomos.fill("Who awarded it?", "ONS Safe Researcher Training")
    tomos.fill("Certificate number", "SRT-2026-5521")
    tomos.fill("Date issued", timezone.localdate().isoformat())
    tomos.click("Send for a decision")
    assert "with the accreditation officer" in tomos.banner()
    nia = visitor()
    nia.login("nia.accreditation")
    assert nia.page.url.endswith("/accreditation/decisions/")
    nia.link("Tomos Price")
    nia.choose("Accredit")
    nia.click("Record the decision")
    assert "Tomos Price is accredited" in nia.banner()

    # --- the IGRP votes; the chair sees the votes and closes --------------------------------
    for member, choice in (
        ("david.panel", "Approved"),
        ("gareth.panel", "Approved"),
        ("elin.panel", "Approved"),
    ):
        person = visitor()
        person.login(member)
        person.link("Hospital stays and bed planning")
        person.choose(choice)
        person.click("Cast my vote")
        assert "Your vote is recorded" in person.banner()
        if member == "elin.panel":
            person.fill("Reasons", "Clear public benefit; minimal data.", exact=True)
            person.click("Close the vote")
            assert "The vote is closed" in person.banner()
        person.close()

    # --- the data owner signs off ------------------------------------------------------------
    carys = visitor()
    carys.login("carys.dhcw")
    carys.link("Sign-off")
    carys.link("Hospital stays and bed planning")
    assert "Why this was not signed off automatically" in carys.text()
    carys.choose("Sign off")
    carys.click("Record my decision")
    assert Application.objects.get(pk=app_id).state == State.APPROVED

    # --- the researcher reads the decision letter -------------------------------------------
    rhian.visit(overview)
    rhian.link("Read the decision letter")
    letter = rhian.text()
    assert "Approved" in letter
    assert "Clear public benefit; minimal data." in letter
    assert "Independent Governance Review Panel" in letter
    assert "Data owner sign-off: Digital Health and Care Wales" in letter

    # --- each member and the university's signatory sign the agreement; ops grant access -------
    rhian.visit(overview)
    assert "When access is likely" not in rhian.text() or "Granting access" in rhian.text()
    rhian.link("Read and sign the agreement")
    rhian.click("I accept the agreement")
    assert "You have signed" in rhian.banner()
    tomos.visit(f"/applications/{app_id}/agreement/")
    tomos.click("I accept the agreement")
    dylan = visitor()
    dylan.login("dylan.signatory")
    assert dylan.page.url.endswith("/agreements/")
    dylan.link("Hospital stays and bed planning")
    dylan.click("Sign for Swansea University")
    assert "You have signed" in dylan.banner()

    owain = visitor()
    owain.login("owain.ops")
    owain.visit(overview)
    owain.link("Grant access")
    assert "Everything is in place" in owain.text(), owain.text()
    owain.click("Grant access")
    assert "Access is granted" in owain.banner()
    assert Application.objects.get(pk=app_id).state == State.ACTIVE
    rhian.visit(f"/applications/{app_id}/timeline/")
    assert "Access granted" in rhian.text()
