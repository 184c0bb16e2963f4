"""A DEA project (both panels vote and close) and a pre-approved project (the owner does
nothing; the letter cites the category), in the browser."""

from __future__ import annotations

from catalogue.models import PreApprovedCategory
from tests.functional.builders import plasc_application, to_in_review, to_internal_review
from workflow.models import Application, State, TrackKind


def _vote(visitor, username: str, title: str, *, close: bool = False, panel: str = ""):
    person = visitor()
    person.login(username)
    person.visit("/reviews/panels/")
    row = person.page.get_by_role("row").filter(has_text=panel) if panel else None
    if row is not None:
        row.get_by_role("link", name=title).click()
        person.page.wait_for_load_state()
        person.check()
    else:
        person.link(title)
    person.choose("Approved")
    person.click("Cast my vote")
    assert "Your vote is recorded" in person.banner()
    if close:
        assert "The votes" in person.text()
        person.click("Close the vote")
        assert "The vote is closed" in person.banner()
    person.close()


def test_dea_project_both_panels_vote_and_close(demo, visitor):
    title = "School meals and progression (DEA)"
    application = to_internal_review(plasc_application(demo, gateway="dea_research", title=title))

    gwen = visitor()
    gwen.login("gwen.reviewer")
    gwen.visit(f"/applications/{application.pk}/")
    gwen.link("Refer to the panels and data owners")
    gwen.click("Refer for review")
    kinds = set(application.tracks.values_list("kind", flat=True))
    assert kinds == {TrackKind.IGRP, TrackKind.DEA_PANEL, TrackKind.OWNER_SIGNOFF}

    # IGRP: Elin chairs; the DEA panel: David chairs, Siân is independent.
    _vote(visitor, "gareth.panel", title)
    _vote(visitor, "mair.panel", title, panel="Independent Governance Review Panel")
    _vote(visitor, "elin.panel", title, close=True)
    _vote(visitor, "mair.panel", title, panel="DEA accreditation panel")
    _vote(visitor, "sian.panel", title, panel="DEA accreditation panel")
    _vote(visitor, "david.panel", title, panel="DEA accreditation panel", close=True)

    application.refresh_from_db()
    assert application.state == State.APPROVED
    rhian = visitor()
    rhian.login("rhian.researcher")
    rhian.visit(f"/applications/{application.pk}/decision-letter/")
    letter = rhian.text()
    assert "Independent Governance Review Panel" in letter
    assert "DEA accreditation panel" in letter


def test_pre_approved_project_owner_does_nothing_and_letter_cites_category(demo, visitor):
    title = "School meals and progression"
    application = to_in_review(plasc_application(demo, title=title), demo)
    owner_track = application.tracks.get(kind=TrackKind.OWNER_SIGNOFF)
    assert owner_track.automatic
    assert owner_track.outcome

    huw = visitor()
    huw.login("huw.welshgov")
    huw.visit("/owner/sign-off/")
    assert "Nothing is waiting for your sign-off" in huw.text()

    _vote(visitor, "david.panel", title)
    _vote(visitor, "gareth.panel", title)
    _vote(visitor, "elin.panel", title, close=True)
    assert Application.objects.get(pk=application.pk).state == State.APPROVED

    category = (
        PreApprovedCategory.objects.filter(
            dataset__slug="plasc", versions__title="Educational attainment and inequality"
        )
        .distinct()
        .get()
    )
    rhian = visitor()
    rhian.login("rhian.researcher")
    rhian.visit(f"/applications/{application.pk}/decision-letter/")
    letter = rhian.text()
    assert "Signed off automatically" in letter
    assert "Educational attainment and inequality" in letter
    assert category.current_version.citation in letter
