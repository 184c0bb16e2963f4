"""The lifecycle pages for each role, without a browser: the team answers a report, ops ask for
more and accept, ops change the settings (specific messages on bad input), the PI closes the
project and the signatory countersigns. The browser journey is in tests/functional/."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.support.lifecycle import Project
from workflow.models import Closure, LifecycleSettings, State

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


REPORT = {
    "action": "submit",
    "outputs": "A paper",
    "team_changes": "No changes",
    "incidents": "None",
    "data_still_needed": "yes",
}


def test_a_report_answered_asked_for_more_and_accepted_through_the_pages():
    p = Project()
    report = p.first_report()
    pi, ops = browser(p.pi), browser(p.ops)
    page = f"/progress-reports/{report.pk}/"
    overview = pi.get(f"/applications/{p.project.pk}/").content.decode()
    assert f"/applications/{p.project.pk}/progress-reports/" in overview
    listing = pi.get(f"/applications/{p.project.pk}/progress-reports/").content.decode()
    assert "Progress report 1" in listing
    assert "amendments/new/?type=extend_end_date" in listing
    assert "Close the project" in listing

    missing = pi.post(page, {"action": "submit"})
    assert missing.status_code == 400
    assert "Enter the outputs and publications since the last report" in missing.content.decode()
    assert pi.post(page, REPORT).status_code == 302
    assert browser(p.outsider).get(page).status_code == 404

    queue = ops.get("/ops/progress-reports/").content.decode()
    assert f"{p.project.reference}: report 1" in queue
    assert (
        ops.post(page, {"action": "request_more", "points": "Which paper?\nIts DOI?"}).status_code
        == 302
    )
    text = pi.get(page).content.decode()
    assert "Your answer to: Which paper?" in text
    assert "Your answer to: Its DOI?" in text
    answered = {**REPORT, "action": "resubmit", "point_0": "Lancet", "point_1": "10.1/x"}
    assert pi.post(page, answered).status_code == 302
    assert ops.post(page, {"action": "accept", "note": ""}).status_code == 302
    report.refresh_from_db()
    assert report.state == "accepted"


def test_ops_change_the_settings_with_specific_messages():
    p = Project()
    ops = browser(p.ops)
    assert ops.get("/ops/lifecycle/").status_code == 200
    assert browser(p.pi).get("/ops/lifecycle/").status_code == 403
    bad = ops.post(
        "/ops/lifecycle/",
        {
            "report_period_months": "12",
            "grace_days": "45",
            "report_reminder_days": "thirty",
            "escalate_after_days": "1",
            "renewal_reminder_days": "90,30,14",
            "accepted_by": "ops",
        },
    )
    assert bad.status_code == 400
    assert "Enter days as numbers separated by commas" in bad.content.decode()
    good = ops.post(
        "/ops/lifecycle/",
        {
            "report_period_months": "6",
            "grace_days": "45",
            "report_reminder_days": "14,30",
            "escalate_after_days": "2",
            "renewal_reminder_days": "60,7",
            "accepted_by": "igrp",
        },
    )
    assert good.status_code == 302
    current = LifecycleSettings.current()
    assert (current.report_period_months, current.grace_days, current.accepted_by) == (
        6,
        45,
        "igrp",
    )
    assert current.report_reminder_days == "30,14"


def test_the_pi_closes_and_the_signatory_countersigns_through_the_pages():
    p = Project()
    pi, signatory = browser(p.pi), browser(p.signatory)
    assert browser(p.colleague).post(f"/applications/{p.project.pk}/close-out/").status_code == 403
    response = pi.post(f"/applications/{p.project.pk}/close-out/")
    closure = Closure.objects.get(application=p.project)
    page = f"/closures/{closure.pk}/"
    assert response["Location"] == page
    refused = pi.post(page, {"action": "submit", "outputs": "None"})
    assert refused.status_code == 400
    assert "Attest that every copy of the data outside the TRE has been destroyed" in (
        refused.content.decode()
    )
    assert signatory.get(page).status_code == 404
    form = {
        "action": "submit",
        "outputs": "Final report https://example.org/report",
        "destruction_details": "No copy left the TRE.",
        "destroyed_on-day": "1",
        "destroyed_on-month": "11",
        "destroyed_on-year": "2026",
        "destruction_attested": "on",
    }
    assert pi.post(page, form).status_code == 302
    text = signatory.get(page).content.decode()
    assert "Countersign and close the project" in text
    assert signatory.post(page, {"action": "countersign"}).status_code == 302
    assert p.refresh().state == State.CLOSED
    assert "By Sian Signatory" in pi.get(page).content.decode()


def test_the_igrp_accepts_on_the_same_pages_when_ops_set_it_so():
    from workflow.lifecycle import services

    p = Project()
    services.lifecycle_settings_update(by=p.ops, data={"accepted_by": "igrp"})
    report = p.first_report()
    services.report_submit(
        report=report,
        by=p.pi,
        data={
            "outputs": "A paper",
            "team_changes": "No changes",
            "incidents": "None",
            "data_still_needed": True,
        },
    )
    panel = browser(p.panel)
    assert (
        f"{p.project.reference}: report 1" in panel.get("/ops/progress-reports/").content.decode()
    )
    page = f"/progress-reports/{report.pk}/"
    assert "Accept the report" in panel.get(page).content.decode()
    assert "Accept the report" not in browser(p.ops).get(page).content.decode()
    assert panel.post(page, {"action": "accept", "note": ""}).status_code == 302
    report.refresh_from_db()
    assert report.state == "accepted"


def test_ops_change_the_settings_in_the_admin_too():
    from tests.factories import make_user

    p = Project()
    from access.models import Role

    admin = make_user(Role.OPS, full_name="Ada Admin")  # the service still asks for ops
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = browser(admin)
    assert client.get("/admin/workflow/lifecyclesettings/add/").status_code == 200
    saved = client.post(
        "/admin/workflow/lifecyclesettings/add/",
        {
            "report_period_months": "12",
            "grace_days": "60",
            "report_reminder_days": "30,14,1",
            "escalate_after_days": "1",
            "renewal_reminder_days": "90,30,14",
            "accepted_by": "ops",
        },
    )
    assert saved.status_code == 302
    current = LifecycleSettings.current()
    assert current.grace_days == 60
    assert current.updated_by == admin
    bad = client.post(
        "/admin/workflow/lifecyclesettings/1/change/",
        {
            "report_period_months": "12",
            "grace_days": "60",
            "report_reminder_days": "soon",
            "escalate_after_days": "1",
            "renewal_reminder_days": "90,30,14",
            "accepted_by": "ops",
        },
    )
    assert bad.status_code == 200  # the form again, with the message
    assert "Enter days as numbers separated by commas" in bad.content.decode()
    assert p.project.pk  # the project exists alongside; nothing else changed
