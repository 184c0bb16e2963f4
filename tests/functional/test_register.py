"""The public data-use register in the browser: no login, filters, bad filters, an entry page;
outputs are not linked before the project has access."""

from __future__ import annotations

from tests.functional.builders import plasc_application, to_in_review
from workflow.management.history import decide_as_panel
from workflow.models import Outcome, State


def test_register_public_filters_entry_and_outputs(demo, visitor):
    application = to_in_review(plasc_application(demo, title="On the public register"), demo)
    for track in application.tracks.filter(superseded=False, state="open"):
        decide_as_panel(track, Outcome.APPROVED)
    application.refresh_from_db()
    assert application.state == State.APPROVED

    public = visitor()
    public.visit("/")
    public.link("Data-use register")
    assert "On the public register" in public.text()
    public.link("On the public register")
    assert "Datasets used" in public.text()
    assert application.reference in public.text()

    public.visit("/register/")
    public.select("Status", "Declined")
    public.click("Apply filters")
    assert "No entries match" in public.text()

    public.visit("/register/?year=nineteen", status=400)
    assert public.page.title().startswith("Error: ")

    # Outputs are linked once the project has access: not while it is only approved.
    rhian = visitor(javascript=False)
    rhian.login("rhian.researcher")
    rhian.visit(f"/applications/{application.pk}/outputs/", status=403)
    public.visit(f"/register/{application.reference}/")
    assert "has not linked any outputs yet" in public.text()
