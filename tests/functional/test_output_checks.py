"""Safe outputs in the browser, each page checked with axe: the team asks for a failing and a
passing table to be released, two checkers review blind and agree a decision, the team answers
and replaces the failing table, a second round releases both, and the team downloads them."""

from __future__ import annotations

import pytest

from tests.support.outputs import FAILING_TABLE, FIXED_TABLE, PASSING_TABLE, Outputs
from workflow.management.demo_data import DEMO_PASSWORD
from workflow.models import OutputRequest


def review(person, *, verdicts: dict[str, tuple[str, str]], prefix: str = "", button: str):
    page = person.page
    for name, (decision, comment) in verdicts.items():
        page.get_by_role("group", name=f"{prefix}{name}").get_by_label(decision, exact=True).check()
        if comment:
            page.get_by_label(f"Comment on {name}").fill(comment)
    person.click(button)


@pytest.mark.timeout(300)
def test_a_request_through_two_blind_checkers_a_changes_round_and_the_release(
    transactional_db, visitor, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    o = Outputs()
    for person in (o.pi, o.checker1, o.checker2):
        person.set_password(DEMO_PASSWORD)
        person.save()
    tables = tmp_path / "tables"
    tables.mkdir()
    for name, content in (
        ("ages.csv", FAILING_TABLE),
        ("regions.csv", PASSING_TABLE),
        ("ages-banded.csv", FIXED_TABLE),
    ):
        (tables / name).write_bytes(content)

    pi = visitor()
    pi.login(o.pi.username)
    pi.visit("/output-checks/")
    pi.link(f"New output request for {o.project.reference}")
    pi.fill("What are these outputs for?", "Tables for paper 1")
    pi.click("Start the request")
    assert "add its files" in pi.banner()
    for name, text in (("ages.csv", "Admissions by age and sex"), ("regions.csv", "By region")):
        pi.page.get_by_label("File", exact=True).set_input_files(str(tables / name))
        pi.choose("Output to release")
        pi.fill("Describe what it shows", text)
        pi.click("Add the file")
    assert "3 is below the minimum cell count of 10" in pi.text()
    pi.click("Submit for checking")
    assert "two output checkers will review it" in pi.banner()
    request = OutputRequest.objects.get()
    page = f"/output-checks/{request.pk}/"

    cara, dewi = visitor(), visitor()
    cara.login(o.checker1.username)
    cara.visit("/output-checks/")
    cara.link("Tables for paper 1")
    review(
        cara,
        verdicts={
            "ages.csv": ("Request changes", "Band the ages."),
            "regions.csv": ("Approve", ""),
        },
        button="Submit your review",
    )
    assert "Your review is submitted" in cara.banner()
    dewi.login(o.checker2.username)
    dewi.visit(page)
    assert "Cara Checker's verdicts" not in dewi.text()  # blind
    review(
        dewi,
        verdicts={"ages.csv": ("Reject", "Too small."), "regions.csv": ("Approve", "")},
        button="Submit your review",
    )
    assert "Cara Checker's verdicts" in dewi.text()
    assert "The checkers disagree on 1 file" in dewi.text()
    review(
        dewi,
        prefix="Decision on ",
        verdicts={
            "ages.csv": ("Request changes", "Band the ages."),
            "regions.csv": ("Approve", ""),
        },
        button="Record the decision",
    )
    assert "Changes requested" in dewi.text()

    pi.visit(page)
    pi.fill("Your answer about ages.csv", "Ages banded; no cell under 10.")
    pi.page.get_by_label("Changed file for ages.csv (optional)").set_input_files(
        str(tables / "ages-banded.csv")
    )
    pi.click("Resubmit")
    assert "a new round of checks has started" in pi.banner()

    for checker in (cara, dewi):
        checker.visit(page)
        review(checker, verdicts={"ages-banded.csv": ("Approve", "")}, button="Submit your review")
    review(
        dewi,
        prefix="Decision on ",
        verdicts={"ages-banded.csv": ("Approve", "")},
        button="Record the decision",
    )
    assert "Released" in dewi.text()

    pi.visit(page)
    with pi.page.expect_download() as downloaded:
        pi.page.get_by_role("link", name="Download ages-banded.csv").click()
    assert downloaded.value.suggested_filename == "ages-banded.csv"
    assert pi.page.get_by_role("link", name="Download regions.csv").count() == 1
