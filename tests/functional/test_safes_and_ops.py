"""The second pass's pages in the browser, each checked with axe: the Five Safes view with a
reviewer's verdict, conditions (evidence without JavaScript, verification), and the ops pages
(stage targets, the turnaround dashboard with its charts and filters)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from tests.functional.builders import plasc_application, to_in_review, to_internal_review
from workflow.models import Condition


# Six people and the demo's history (about 15 seconds to build): beyond the default limit on a
# busy machine.
@pytest.mark.timeout(300)
def test_five_safes_verdict_conditions_and_the_ops_dashboard(demo, visitor):
    application = to_internal_review(plasc_application(demo, title="Five Safes in the browser"))
    base = f"/applications/{application.pk}"

    gwen = visitor()
    gwen.login("gwen.reviewer")
    gwen.visit(f"{base}/five-safes/")
    assert "Automated checks" in gwen.text()
    outputs = gwen.page.locator("#safe-outputs")
    outputs.get_by_label("Met with conditions", exact=True).check()
    outputs.get_by_label("Reasons for the verdict on safe outputs").fill("Outputs are aggregate.")
    outputs.get_by_text("Conditions, if met with conditions").click()
    outputs.get_by_label("Conditions on safe outputs", exact=False).fill("Name the output checker")
    gwen.click("Record the verdict on safe outputs")
    assert "Safe outputs: your verdict is recorded" in gwen.banner()
    condition = Condition.objects.get(application=application)

    # The team gives evidence with JavaScript off: an empty answer is refused in the summary.
    rhian = visitor(javascript=False)
    rhian.login("rhian.researcher")
    rhian.visit(f"{base}/conditions/")
    rhian.click("Give evidence")
    assert rhian.page.title().startswith("Error: ")
    assert "Say how the condition is met." in rhian.error_summary()
    rhian.fill("How is it met?", "Ann Smith checks every output.")
    rhian.click("Give evidence")
    assert "Your evidence is recorded" in rhian.banner()

    gwen.visit(f"{base}/conditions/")
    gwen.click("Verify as met")
    assert "verified as met" in gwen.banner()
    condition.refresh_from_db()
    assert condition.state == "met"

    # Public benefit: the team answers the framework; a panel member scores it on their own.
    draft = plasc_application(demo, title="Public benefit in the browser")
    writer = visitor()
    writer.login("rhian.researcher")
    writer.visit(f"/applications/{draft.pk}/public-benefit/")
    writer.page.get_by_role("group", name="PU-1:").get_by_label("Met", exact=True).check()
    writer.click("Save the assessment")
    assert "Public-benefit assessment: saved" in writer.banner()
    reviewing = to_in_review(plasc_application(demo, title="Scored in the browser"), demo)
    david = visitor()
    david.login("david.panel")
    david.visit(f"/applications/{reviewing.pk}/public-benefit/score/")
    david.page.get_by_role("group", name="1.1:").get_by_label("4", exact=True).check()
    david.click("Record my scores")
    assert "Your scores are recorded" in david.banner()
    assert "Everyone's scores" in david.text()

    # Ops: a stage target, then the dashboard (on the demo's year and a half of history, so
    # every chart has data for axe to check); no page asks for the GOV.UK fonts.
    call_command("demo_history", stdout=StringIO())
    owain = visitor()
    missing: list[str] = []
    owain.page.on("response", lambda r: r.status == 404 and missing.append(r.url))
    owain.login("owain.ops")
    owain.link("Turnaround")
    assert "Work in progress by stage" in owain.text()
    assert owain.page.locator("svg[role=img]").count() == 5
    owain.link("Stage targets")
    owain.link("Change the target of scoping (analyst)")
    owain.fill("Target", "0")
    owain.click("Save the target")
    assert owain.page.title().startswith("Error: ")
    owain.fill("Target", "15")
    owain.click("Save the target")
    # A new version, from now: what started before keeps the target it started under.
    assert "the new target applies to stages and tracks that start now" in owain.banner()
    assert "those already started keep theirs" in owain.banner()
    owain.visit("/ops/turnaround/")
    owain.select("Route", "Digital Economy Act (DEA panel)")
    owain.click("Show the figures")
    assert "route=dea" in owain.page.url
    assert owain.page.locator("figure.tre-chart").count() == 5
    assert not missing, missing
