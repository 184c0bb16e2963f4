"""A project's life after access in the browser, each page checked with axe at 1280 and 375
px: a progress report overdue past the grace period suspends the project automatically; the PI
submits it, ops accept it and access is reinstated; then the PI closes the project with the
attestation that the data were destroyed, the lead organisation's signatory countersigns, and
the public register shows the project closed with its output."""

from __future__ import annotations

import pytest

from tests.support.lifecycle import Project
from workflow.lifecycle.services import lifecycle_sweep
from workflow.management.demo_data import DEMO_PASSWORD
from workflow.models import Closure, LifecycleSettings, ProgressReport, State


@pytest.mark.timeout(300)
def test_overdue_report_suspends_acceptance_reinstates_then_a_countersigned_close_out(
    transactional_db, visitor
):
    p = Project()
    for person in (p.pi, p.ops, p.signatory):
        person.set_password(DEMO_PASSWORD)
        person.save()
    reference = p.project.reference
    report = p.first_report()
    lifecycle_sweep(today=p.day(LifecycleSettings.current().grace_days + 1))
    assert p.refresh().state == State.SUSPENDED

    pi = visitor()
    pi.login(p.pi.username)
    pi.visit(f"/applications/{p.project.pk}/")
    assert "Suspended" in pi.text()
    assert "Access is suspended because progress report 1 is overdue" in pi.text()
    pi.link("Progress reports, renewal and closure")
    pi.link("Progress report 1")
    assert "Access is suspended until this report is accepted" in pi.text()
    pi.click("Submit the report")  # empty: each question says what is missing
    assert "Enter the outputs and publications since the last report." in pi.error_summary()
    pi.fill("Outputs and publications since the last report", "Paper in BMJ Open, May 2027")
    pi.fill("Changes to the team", "No changes")
    pi.fill("Incidents or breaches", "None")
    pi.choose("Yes")
    pi.click("Submit the report")
    assert "you will hear when it is accepted" in pi.banner()

    ops = visitor()
    ops.login(p.ops.username)
    ops.visit("/ops/progress-reports/")
    ops.link(f"{reference}: report 1")
    assert "Paper in BMJ Open" in ops.text()
    ops.click("Accept the report")
    assert "Report accepted" in ops.banner()
    report.refresh_from_db()
    assert report.state == "accepted"
    assert p.refresh().state == State.ACTIVE

    pi.visit(f"/applications/{p.project.pk}/progress-reports/")
    pi.click("Close the project")
    assert "complete the form" in pi.banner()
    pi.fill("The project's outputs", "Final report https://example.org/final-report")
    pi.fill("How were the copies outside the TRE destroyed?", "No copy left the TRE.")
    pi.fill_date("When were they destroyed?", "2026-11-30")
    pi.click("Submit for countersignature")  # not yet attested
    assert (
        "Attest that every copy of the data outside the TRE has been destroyed."
        in pi.error_summary()
    )
    pi.choose("I attest that every copy of the data held outside the TRE has been destroyed")
    pi.click("Submit for countersignature")
    assert "the signatory is asked to countersign" in pi.banner()

    closure = Closure.objects.get(application=p.project)
    signatory = visitor()
    signatory.login(p.signatory.username)
    signatory.link("Agreements to sign")
    signatory.link(f"Close-out of {reference}")
    assert signatory.page.url.endswith(f"/closures/{closure.pk}/")
    assert "every copy of the data outside the TRE has been destroyed" in signatory.text()
    signatory.click("Countersign and close the project")
    assert "the project is closed" in signatory.banner()
    assert p.refresh().state == State.CLOSED
    assert ProgressReport.objects.filter(application=p.project).count() == 1

    public = visitor()
    public.visit(f"/register/{reference}/")
    assert "Closed" in public.text()
    assert "Final report" in public.text()
