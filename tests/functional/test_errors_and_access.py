"""Form errors in an error summary, every data-changing form working without JavaScript,
and pages a person may not see."""

from __future__ import annotations

from tests.functional.builders import plasc_application, to_in_review
from workflow.models import Application, State, Vote


def test_errors_in_summary_without_javascript(demo, visitor):
    """With JavaScript off: an over-long lay summary saves but stops submission, and the
    error summary links to it; the composer refuses no points, adds rows and sends."""
    application = plasc_application(demo, title="Too long a summary")
    rhian = visitor(javascript=False)
    rhian.login("rhian.researcher")
    rhian.visit(f"/applications/{application.pk}/sections/summary/")
    rhian.fill("Lay summary", " ".join(["word"] * 400))
    rhian.click("Save")
    assert "Title and summary: saved" in rhian.banner()
    rhian.visit(f"/applications/{application.pk}/submit/")
    rhian.click("Submit the application")
    assert rhian.page.title().startswith("Error: ")
    errors = rhian.error_summary()
    assert any("400 words" in e for e in errors), errors
    link = rhian.page.locator(".govuk-error-summary__list a", has_text="400 words")
    assert link.get_attribute("href").endswith("/sections/summary/#id_lay_summary")
    rhian.visit(f"/applications/{application.pk}/sections/summary/")
    rhian.fill("Lay summary", "Short and plain.")
    rhian.click("Save")
    rhian.visit(f"/applications/{application.pk}/submit/")
    rhian.click("Submit the application")
    application.refresh_from_db()
    assert application.state == State.SCOPING

    analyst = visitor(javascript=False)
    analyst.login(application.analyst.username)
    analyst.visit(f"/applications/{application.pk}/request-changes/")
    analyst.click("Send all points to the team")
    assert analyst.page.title().startswith("Error: ")
    assert "Give at least one point for the applicant to address." in analyst.error_summary()
    analyst.click("Add another point")
    analyst.select("Point 1: section", "Research question")
    analyst.fill("Point 1: what needs to change", "Narrow the question.")
    analyst.fill("Point 2: what needs to change", "No section chosen for this one.")
    analyst.click("Send all points to the team")
    assert "Choose the section this point is about." in analyst.error_summary()
    analyst.select("Point 2: section", "Public benefit")
    analyst.click("Send all points to the team")
    assert "2 points went to the team together" in analyst.banner()
    application.refresh_from_db()
    assert application.state == State.CHANGES_REQUESTED


def test_vote_without_javascript(demo, visitor):
    application = to_in_review(plasc_application(demo, title="Voting without scripts"), demo)
    david = visitor(javascript=False)
    david.login("david.panel")
    david.link("Voting without scripts")
    david.choose("Rejected")
    david.click("Cast my vote")
    assert "Give your reasons (required for anything but approve)." in david.error_summary()
    david.choose("Approved with conditions")
    david.fill("Your reasons", "Sound, with one safeguard.")
    david.fill("Conditions you propose", "No small-number outputs below 10.")
    david.click("Cast my vote")
    assert "Your vote is recorded" in david.banner()
    vote = Vote.objects.get(track__application=application, member__username="david.panel")
    assert vote.proposed_conditions == ["No small-number outputs below 10."]
    # The demo's IGRP votes blind: the tally opens when the quorum has voted, not before.
    assert "the tally opens when the quorum has voted" in david.text()


def test_pages_a_person_may_not_see(demo, visitor):
    application = plasc_application(demo, title="Rhian's own project")
    tomos = visitor()
    tomos.login("tomos.researcher")
    tomos.visit(f"/applications/{application.pk}/", status=404)
    assert "Page not found" in tomos.text()
    tomos.visit("/scoping/", status=403)
    assert "You cannot see this page" in tomos.text()
    anonymous = visitor()
    anonymous.visit("/applications/", status=200)  # sent to sign in
    assert "/login/" in anonymous.page.url
    assert Application.objects.filter(pk=application.pk).exists()
