"""The README's browser walk, row by row, as the README writes it.

The table under "Using it in the browser" is read from README.md when the test runs: who signs
in (the names in backticks), where they land, and the actions in bold, which are the names of
the buttons and links pressed, or the words the page must say. Each row has one step below,
in the same order, and the test first checks that the README's rows are still the ones the
steps take, so the README cannot drift from what the site does without this test failing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from tests.functional.conftest import ROOT
from workflow.models import Application, State

LAY_SUMMARY = (
    "We will look at how often people are admitted to hospital in Wales and how long they "
    "stay, to help plan hospital beds."
)
TITLE = "Hospital stays and bed planning"


@dataclass(frozen=True)
class Row:
    who: tuple[str, ...]
    lands_on: str
    actions: tuple[str, ...]
    text: str

    @property
    def landing(self) -> str:
        """The page's name, without the README's note in brackets."""
        return self.lands_on.split(" (")[0].strip()

    def action(self, start: str) -> str:
        """The bold action that begins with ``start`` (its exact README words)."""
        matches = [a for a in self.actions if a.startswith(start)]
        assert matches, f"the README row for {self.who} has no bold action {start!r}: {self.text}"
        return matches[0]


def readme_walk() -> list[Row]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Using it in the browser", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        who, lands_on, actions = (cell.strip() for cell in line.strip().strip("|").split("|"))
        rows.append(
            Row(
                who=tuple(re.findall(r"`([a-z]+\.[a-z]+)`", who)),
                lands_on=lands_on,
                actions=tuple(re.findall(r"\*\*(.+?)\*\*", actions)),
                text=line,
            )
        )
    return rows


@dataclass
class Walk:
    """What the walk carries from row to row: the people signed in and the application."""

    visitor: Callable
    people: dict = field(default_factory=dict)
    app_id: int = 0

    @property
    def overview(self) -> str:
        return f"/applications/{self.app_id}/"

    def sign_in(self, username: str, row: Row):
        """Sign ``username`` in (once) and check where the README says they land."""
        if username in self.people:
            return self.people[username]
        person = self.visitor()
        person.login(username)
        self.people[username] = person
        if row.landing != "the application":
            h1 = person.page.locator("h1").first.inner_text()
            in_main = person.page.locator("main").get_by_role("link", name=row.landing)
            assert row.landing in h1 or in_main.count(), (
                f"{username} should land on {row.landing!r}; the page says {h1!r}"
            )
        return person

    def open_application(self, person):
        person.visit(self.overview)


def _application_id(page) -> int:
    return int(re.search(r"/applications/(\d+)/", page.url).group(1))


# --- one function per row of the README's table, in its order ----------------------------------


def researcher_applies(walk: Walk, row: Row):
    rhian = walk.sign_in("rhian.researcher", row)
    rhian.link(row.action("Start a new application"))
    rhian.fill("What is your project called?", TITLE)
    rhian.click("Start the application")
    walk.app_id = app_id = _application_id(rhian.page)
    # The task list says what is done, and checking and submitting waits for every section.
    assert re.search(r"You have completed [0-7] of 8 sections", rhian.text())
    assert "Cannot start yet" in rhian.text()
    assert "You need to complete every section" in rhian.banner()

    rhian.link("Title and summary")
    rhian.fill("Lay summary", LAY_SUMMARY)
    rhian.click("Save")  # HTMX: saved in place
    assert "Title and summary: saved" in rhian.banner()
    rhian.visit(walk.overview)
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
    rhian.fill_date("Start date", "2027-01-01")
    rhian.fill_date("End date", "2028-06-30")
    rhian.fill("Funder", "Health and Care Research Wales")
    rhian.click("Save")

    team = "tomos.price@cardiff-university.example"
    assert team in row.text
    rhian.visit(f"/applications/{app_id}/sections/team/")
    rhian.fill("Email address", team)
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
    for name in ("admis_dt", "spell_dur", "alf_pe"):
        assert f"`{name}`" in row.text
    rhian.choose("admis_dt")
    rhian.choose("spell_dur")
    # The identifying variable's reason is revealed under it once it is chosen (GOV.UK's
    # conditional reveal).
    assert not rhian.page.get_by_label("Why do you need alf_pe?").is_visible()
    rhian.choose("alf_pe (can identify a person)")
    assert rhian.page.get_by_label("Why do you need alf_pe?").is_visible()
    rhian.fill("Why do you need alf_pe?", "To count people, not episodes.")
    rhian.click("Save")
    assert "admis_dt" in rhian.text()

    rhian.visit(walk.overview)
    # Safeguards not done yet: checking and submitting still cannot start.
    assert "You have completed 7 of 8 sections" in rhian.text()
    assert "Cannot start yet" in rhian.text()
    rhian.link(row.action("Safeguards"))
    rhian.fill("Research ethics committee", "Wales Research Ethics Committee 3")
    rhian.fill("Ethics approval reference", "REC 26/WA/0042")
    rhian.fill_date("Date of the ethics approval", "2026-06-01")
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

    rhian.visit(walk.overview)
    assert "You have completed 8 of 8 sections" in rhian.text()
    rhian.link(row.action("Check and submit"))
    rhian.click("Submit the application")
    assert "Submitted" in rhian.banner()
    application = Application.objects.get(pk=app_id)
    assert application.state == State.SCOPING
    assert application.analyst.username == "aled.analyst"


def analyst_asks_for_changes(walk: Walk, row: Row):
    aled = walk.sign_in("aled.analyst", row)
    aled.link(TITLE)
    assert "You need to scope this application" in aled.banner()
    aled.link(row.action("Request changes"))
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


def researcher_answers_feedback(walk: Walk, row: Row):
    rhian = walk.sign_in("rhian.researcher", row)
    walk.open_application(rhian)
    assert "You need to answer 3 points of feedback" in rhian.banner()
    rhian.link(row.action("Answer the feedback"))
    # Every box typed before one save: nothing typed is lost (the walk's bug B2).
    for n in range(1, 4):
        rhian.fill(f"Your answer to point {n}", f"Done: answer {n}.", exact=True)
    rhian.click(row.action("Save your answers"))
    assert "3 answers saved" in rhian.banner()
    assert "0 points still to answer" in rhian.text()
    rhian.link(row.action("Check your answers and resubmit"))
    rhian.click(row.action("Resubmit the application"))
    assert Application.objects.get(pk=walk.app_id).state == State.SCOPING


def analyst_completes_scoping(walk: Walk, row: Row):
    aled = walk.sign_in("aled.analyst", row)
    aled.visit("/scoping/")
    aled.link(TITLE)
    for name in ("pedw.admis_dt", "pedw.spell_dur", "pedw.alf_pe (can identify a person)"):
        aled.choose(name)
    aled.fill("Feasibility notes", "All three are complete from 2010.")
    aled.choose("Yes, it is feasible")
    aled.click("Save the scoping record")
    aled.link(row.action("Complete scoping"))
    aled.click(row.action("Complete scoping"))
    assert Application.objects.get(pk=walk.app_id).state == State.INTERNAL_REVIEW


def reviewer_refers(walk: Walk, row: Row):
    gwen = walk.sign_in("gwen.reviewer", row)
    gwen.link(TITLE)
    gwen.link("Versions")
    assert "What changed from version 1 to version 2" in gwen.text()
    assert "research_question" not in gwen.text()
    walk.open_application(gwen)
    gwen.link(row.action("Refer to the panels and data owners"))
    gwen.click("Refer for review")
    assert Application.objects.get(pk=walk.app_id).state == State.IN_REVIEW


def member_gets_accredited(walk: Walk, row: Row):
    tomos = walk.sign_in("tomos.researcher", row)
    tomos.link(TITLE)
    assert row.action("You need to") in tomos.banner()
    tomos.link(row.action("Apply for accreditation"))
    tomos.link("Apply for safe researcher training")
    tomos.fill("Who awarded it?", "ONS Safe Researcher Training")
    tomos.fill("Certificate number", "SRT-2026-5521")
    tomos.fill_date("Date issued", timezone.localdate().isoformat())
    tomos.click("Send for a decision")
    assert "with the accreditation officer" in tomos.banner()


def accreditation_officer_accredits(walk: Walk, row: Row):
    nia = walk.sign_in("nia.accreditation", row)
    nia.link("Tomos Price")
    nia.choose(row.action("Accredit"))
    nia.click("Record the decision")
    assert "Tomos Price is accredited" in nia.banner()


def panel_votes_and_chair_closes(walk: Walk, row: Row):
    assert row.who == ("david.panel", "gareth.panel", "elin.panel")
    for member in row.who:
        person = walk.sign_in(member, row)
        person.link(TITLE)
        person.choose("Approved")
        person.fill("Your reasons", "Clear public benefit; minimal data.", exact=True)
        person.click("Cast my vote")
        assert "Your vote is recorded" in person.banner()
        if member == "elin.panel":
            person.fill("Reasons", "Clear public benefit; minimal data.", exact=True)
            person.click(row.action("Close the vote"))
            assert "The vote is closed" in person.banner()


def owner_signs_off(walk: Walk, row: Row):
    carys = walk.sign_in("carys.dhcw", row)
    carys.link("Sign-off")
    carys.link(TITLE)
    assert "Why this was not signed off automatically" in carys.text()
    carys.choose("Sign off")
    carys.click("Record my decision")
    assert Application.objects.get(pk=walk.app_id).state == State.APPROVED


def team_reads_letter_and_signs(walk: Walk, row: Row):
    for member in row.who:
        person = walk.sign_in(member, row)
        walk.open_application(person)
        if member == "rhian.researcher":
            person.link(row.action("Read the decision letter"))
            letter = person.text()
            assert "Approved" in letter
            assert "Clear public benefit; minimal data." in letter
            assert "Independent Governance Review Panel" in letter
            assert "Data owner sign-off: Digital Health and Care Wales" in letter
            assert "What happens next" in letter
            walk.open_application(person)
        assert row.action("You need to sign") in person.banner()
        person.link(row.action("Read and sign the agreement"))
        person.click(row.action("I accept the agreement"))
        assert "You have signed" in person.banner()


def signatory_signs(walk: Walk, row: Row):
    dylan = walk.sign_in("dylan.signatory", row)
    dylan.link(TITLE)
    dylan.click(row.action("Sign for Swansea University"))
    assert "You have signed" in dylan.banner()


def ops_grants_access(walk: Walk, row: Row):
    owain = walk.sign_in("owain.ops", row)
    walk.open_application(owain)
    owain.link(row.action("Grant access"), exact=True)
    owain.click(row.action("Grant access"))
    assert "Access is granted" in owain.banner()
    assert Application.objects.get(pk=walk.app_id).state == State.ACTIVE
    rhian = walk.people["rhian.researcher"]
    rhian.visit(f"/applications/{walk.app_id}/timeline/")
    assert "Access granted" in rhian.text()
    rhian.visit(walk.overview)
    assert "How to reach the data" in rhian.text()


STEPS: tuple[tuple[tuple[str, ...], Callable[[Walk, Row], None]], ...] = (
    (("rhian.researcher",), researcher_applies),
    (("aled.analyst",), analyst_asks_for_changes),
    (("rhian.researcher",), researcher_answers_feedback),
    (("aled.analyst",), analyst_completes_scoping),
    (("gwen.reviewer",), reviewer_refers),
    (("tomos.researcher",), member_gets_accredited),
    (("nia.accreditation",), accreditation_officer_accredits),
    (("david.panel", "gareth.panel", "elin.panel"), panel_votes_and_chair_closes),
    (("carys.dhcw",), owner_signs_off),
    (("rhian.researcher", "tomos.researcher"), team_reads_letter_and_signs),
    (("dylan.signatory",), signatory_signs),
    (("owain.ops",), ops_grants_access),
)


def test_readme_walk_has_one_step_per_row():
    rows = readme_walk()
    assert [row.who for row in rows] == [who for who, _ in STEPS], (
        "README.md's browser walk changed: update tests/functional/test_route.py to match"
    )


# Thirteen people, some sixty pages each checked with axe and photographed: several minutes on
# a busy CI machine, beyond the suite's default two-minute limit.
@pytest.mark.timeout(600)
def test_readme_walk_from_idea_to_access(demo, visitor):
    walk = Walk(visitor=visitor)
    rows = readme_walk()
    assert [row.who for row in rows] == [who for who, _ in STEPS]
    for row, (_, step) in zip(rows, STEPS, strict=True):
        step(walk, row)
