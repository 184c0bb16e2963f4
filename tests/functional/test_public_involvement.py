"""A project of high public interest goes through a consultation of the consumer panel, whose
feedback the IGRP reads beside the public-benefit assessment; the IGRP votes in a blind first
round with a lay member, and the public register says that one lay member took part."""

from __future__ import annotations

import datetime

from django.utils import timezone

from tests.functional.builders import plasc_application, to_in_review
from workflow.models import Application, State

TITLE = "Free school meals and progression (public involvement)"
FEEDBACK = "Say plainly that no pupil is identified and that schools never see the linked records."


def test_high_public_interest_consumer_panel_igrp_and_the_register(demo, visitor):
    application = to_in_review(plasc_application(demo, title=TITLE), demo)
    base = f"/applications/{application.pk}/public-involvement/"

    # A reviewer requires public involvement: the project is of high public interest.
    gwen = visitor()
    gwen.login("gwen.reviewer")
    gwen.visit(base)
    gwen.link("Require public involvement")
    gwen.click("Require public involvement")
    assert gwen.error_summary() == ["Say what public involvement you expect, and why."]
    gwen.fill("What public involvement do you expect", "Ask parents and pupils.")
    gwen.click("Require public involvement")
    assert "Public involvement is now required" in gwen.banner()

    # The team records a workshop and asks the consumer panel.
    rhian = visitor()
    rhian.login("rhian.researcher")
    rhian.visit(base)
    assert "public involvement is required" in rhian.text()
    rhian.link("Record public involvement done or planned")
    rhian.choose("Yes, it is done")
    held = timezone.localdate() - datetime.timedelta(days=14)
    rhian.fill_date("When did it take place, or when is it planned?", held.isoformat())
    rhian.fill("Who took part?", "Parents' forum of a Swansea primary school")
    rhian.fill("What did you ask or discuss?", "Whether linking meals to results is acceptable.")
    rhian.fill("What changed in the project as a result?", "We report by region, not school.")
    rhian.click("Record the involvement")
    assert "The involvement is recorded" in rhian.banner()
    rhian.link("Ask the consumer panel for a consultation")
    rhian.fill("What would you like the consumer panel's view on?", "Is our summary clear?")
    rhian.click("Send the request")
    assert "sent to the consumer panel" in rhian.banner()

    # Siân, a lay member who chairs the consumer panel, gives its feedback.
    sian = visitor()
    sian.login("sian.panel")
    sian.visit("/reviews/panels/")
    sian.link("the teams' requests for consultation")
    sian.link(TITLE)
    assert "Is our summary clear?" in sian.text()
    sian.fill("The consumer panel's feedback", FEEDBACK)
    sian.click("Give the panel's feedback")
    assert "attached to the project" in sian.banner()

    # The IGRP's chair reads it beside the public-benefit assessment.
    elin = visitor()
    elin.login("elin.panel")
    elin.visit(f"/applications/{application.pk}/public-benefit/")
    beside = elin.text()
    assert "Public involvement" in beside
    assert FEEDBACK in beside
    assert "We report by region, not school." in beside
    elin.close()

    # The IGRP votes in a blind first round; Gareth is a lay member.
    for username in ("gareth.panel", "mair.panel", "elin.panel"):
        person = visitor()
        person.login(username)
        person.visit("/reviews/panels/")
        person.link(TITLE)
        assert FEEDBACK in person.text()
        if username == "elin.panel":
            assert "cast your own vote before you close the vote" in person.text()
        person.choose("Approved")
        person.click("Cast my vote")
        assert "Your vote is recorded" in person.banner()
        if username == "gareth.panel":
            assert "the tally opens when the quorum has voted" in person.text()
        if username == "elin.panel":
            assert "1 from lay members" in person.text()
            person.click("Close the vote")
            assert "The vote is closed" in person.banner()
        person.close()

    application = Application.objects.get(pk=application.pk)
    assert application.state == State.APPROVED
    public = visitor()
    public.visit(f"/register/{application.reference}/")
    assert "Independent Governance Review Panel" in public.text()
    assert "3 votes, 1 lay member took part" in public.text()


def test_ops_read_the_panels_and_set_the_igrps_rule(demo, visitor):
    owain = visitor()
    owain.login("owain.ops")
    owain.visit("/ops/")
    owain.link("Panels and their rules")
    assert "Consumer Panel" in owain.text()
    owain.link("Change the rule of the Independent Governance Review Panel")
    owain.fill("Votes that must come from lay members", "3")
    owain.click("Save the rule")
    assert owain.error_summary() == ["The panel has 2 lay members; it cannot need 3 lay votes."]
    owain.fill("Votes that must come from lay members", "2")
    owain.click("Save the rule")
    assert "the rule is saved" in owain.banner()
    assert "at least 1 from independent members and 2 from lay members" in owain.text()
