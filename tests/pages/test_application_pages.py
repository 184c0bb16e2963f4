"""The research team's pages and an application's own pages, through Django's test client:
who may open them, and how each kind of domain error reaches the page."""

from __future__ import annotations

import re

import pytest

from catalogue.models import Dataset
from workflow.models import Application, FeedbackItem, LegalGateway, State
from workflow.route import services as route_services

pytestmark = pytest.mark.django_db


def _body(response) -> str:
    return response.content.decode()


def test_my_applications_lists_only_the_team_s_own_with_what_to_do_next(page_client, world):

    mine = world.draft()
    route_services.application_create(by=world.outsider, data={"title": "Someone else's"})
    body = _body(page_client(world.pi).get("/applications/"))
    assert mine.reference in body
    assert body.count("Complete each section") == 1
    assert page_client(world.analyst).get("/applications/").status_code == 403


def test_start_an_application_creates_a_draft_and_opens_its_task_list(page_client, world):
    client = page_client(world.pi)
    response = client.post("/applications/new/", {"title": "A new idea"})
    application = Application.objects.get(title="A new idea")
    assert response["Location"] == f"/applications/{application.pk}/"
    body = _body(client.get(response["Location"]))
    assert "govuk-task-list" in body
    assert "Not yet started" in body
    missing = client.post("/applications/new/", {"title": ""})
    assert missing.status_code == 400
    assert page_client(world.analyst).post("/applications/new/", {"title": "x"}).status_code == 403


def test_application_of_another_team_is_not_found(page_client, world):
    application = world.draft()
    client = page_client(world.outsider)
    for path in ("", "sections/summary/", "timeline/", "submit/", "feedback/"):
        assert client.get(f"/applications/{application.pk}/{path}").status_code == 404


def test_section_saves_and_returns_to_the_task_list(page_client, world):
    application = world.draft()
    response = page_client(world.pi).post(
        f"/applications/{application.pk}/sections/research_question/",
        {"research_question": "A sharper question?"},
    )
    assert response["Location"] == f"/applications/{application.pk}/"
    application.refresh_from_db()
    assert application.research_question == "A sharper question?"


def test_section_saved_with_htmx_stays_on_the_page_with_a_confirmation(page_client, world):
    application = world.draft()
    response = page_client(world.pi, htmx=True).post(
        f"/applications/{application.pk}/sections/public_benefit/",
        {"public_benefit": "More benefit."},
    )
    assert response.status_code == 200
    assert "Public benefit: saved." in _body(response)


def test_section_error_from_the_service_goes_against_its_input(page_client, world):
    application = world.draft()
    response = page_client(world.pi).post(
        f"/applications/{application.pk}/sections/dates/",
        {"start_date": "2028-01-01", "end_date": "2027-01-01", "funder": ""},
    )
    assert response.status_code == 400
    body = _body(response)
    assert "<title>Error: Dates and funding" in body
    assert 'href="#id_end_date"' in body
    assert 'id="id_end_date-error"' in body


def test_unknown_section_is_not_found_and_a_submitted_application_is_not_editable(
    page_client, world
):
    application = world.at(State.SCOPING)
    client = page_client(world.pi)
    assert client.get(f"/applications/{application.pk}/sections/nonsense/").status_code == 404
    response = client.post(
        f"/applications/{application.pk}/sections/summary/", {"title": "Changed"}
    )
    assert response.status_code == 302  # back, with the reason in an error summary
    body = _body(client.get(response["Location"]))
    assert "can only be edited as a draft" in body
    assert "govuk-error-summary" in body
    assert "<title>Error:" in body


def test_htmx_request_that_meets_a_409_is_sent_back_by_the_client(page_client, world):
    application = world.at(State.SCOPING)
    response = page_client(world.pi, htmx=True).post(
        f"/applications/{application.pk}/sections/summary/", {"title": "Changed"}
    )
    assert response.status_code == 200
    assert response["HX-Redirect"].endswith(f"/applications/{application.pk}/")


def test_team_add_by_email_and_remove(page_client, world):
    application = world.draft(
        members=[{"user": world.pi, "project_role": "principal_investigator"}]
    )
    client = page_client(world.pi)
    url = f"/applications/{application.pk}/sections/team/"
    # An address with no account is invited (issue 22), and shows on the team as invited.
    unknown = client.post(url, {"email": "nobody@example.org", "project_role": "researcher"})
    assert unknown.status_code == 302
    assert application.invitations.get().email == "nobody@example.org"
    team = _body(client.get(url))
    assert "nobody@example.org" in team
    assert "Invited" in team
    analyst = client.post(url, {"email": world.analyst.email, "project_role": "researcher"})
    assert analyst.status_code == 302  # not the analyst of this draft: allowed to join
    client.post(f"/applications/{application.pk}/team/{world.analyst.pk}/remove/")
    added = client.post(url, {"email": world.colleague.email, "project_role": "co_investigator"})
    assert added.status_code == 302
    assert application.members.filter(user=world.colleague).exists()
    client.post(f"/applications/{application.pk}/team/{world.colleague.pk}/remove/")
    assert not application.members.filter(user=world.colleague).exists()


def test_removing_yourself_is_refused_with_a_banner(page_client, world):
    application = world.draft()
    client = page_client(world.pi)
    response = client.post(
        f"/applications/{application.pk}/team/{world.pi.pk}/remove/",
        HTTP_REFERER=f"http://testserver/applications/{application.pk}/sections/team/",
    )
    assert response["Location"].endswith("/sections/team/")
    assert "You cannot remove yourself from the team." in _body(client.get(response["Location"]))


def test_dataset_add_edit_and_remove(page_client, world):
    application = world.draft(datasets=[])
    client = page_client(world.pi)
    response = client.post(
        f"/applications/{application.pk}/datasets/add/",
        {"dataset": "education", "legal_gateway": LegalGateway.PUBLIC_TASK, "justification": "x"},
    )
    assert response["Location"] == f"/applications/{application.pk}/datasets/education/"
    page = _body(client.get(response["Location"]))
    assert "Why do you need postcode?" in page  # identifying: its own reason
    # ... revealed under its own checkbox when chosen (hidden until then, with JavaScript).
    reveal = re.search(r'value="postcode"[^>]*data-aria-controls="(conditional-[^"]+)"', page)
    assert reveal, "the postcode checkbox controls its reason"
    hidden = f'govuk-checkboxes__conditional--hidden" id="{reveal.group(1)}"'
    assert hidden in page
    assert page.index(hidden) < page.index('id="id_why_postcode"')
    response = client.post(
        f"/applications/{application.pk}/datasets/education/",
        {
            "legal_gateway": LegalGateway.PUBLIC_TASK,
            "justification": "",
            "variables": ["grade", "postcode"],
            "why_postcode": "",
        },
    )
    # The identifying variable's reason is checked here, where it is entered.
    assert response.status_code == 400
    assert "Say why you need postcode: it can identify a person." in _body(response)
    assert 'href="#id_why_postcode"' in _body(response)
    response = client.post(
        f"/applications/{application.pk}/datasets/education/",
        {
            "legal_gateway": LegalGateway.PUBLIC_TASK,
            "justification": "",
            "variables": ["grade", "postcode"],
            "why_postcode": "To link pupils to their area.",
        },
    )
    assert response.status_code == 302
    datasets = _body(client.get(f"/applications/{application.pk}/sections/data/"))
    assert "grade" in datasets
    assert "Not within a pre-approved category" in datasets
    # Saved without a reason some other way (the API keeps drafts loose), submission names
    # the variable and links to its own reason box on the dataset's page.
    entry = {
        "dataset": Dataset.objects.get(slug="education"),
        "legal_gateway": LegalGateway.PUBLIC_TASK,
        "justification": "",
        "variables": [
            {"variable": "grade", "justification": "Attainment."},
            {"variable": "postcode", "justification": ""},
        ],
    }
    route_services.application_update(
        application=application, by=world.pi, data={"datasets": [entry]}
    )
    submit = client.post(f"/applications/{application.pk}/submit/")
    assert submit.status_code == 400
    body = _body(submit)
    assert "postcode can identify people: justify it on its own." in body
    assert f"/applications/{application.pk}/datasets/education/#id_why_postcode" in body
    client.post(f"/applications/{application.pk}/datasets/education/remove/")
    assert not application.requested_datasets.exists()
    assert client.get(f"/applications/{application.pk}/datasets/education/").status_code == 404


def test_dea_gateway_for_health_data_is_refused_against_the_gateway(page_client, world):
    world.add_health_provider()
    application = world.draft()
    response = page_client(world.pi).post(
        f"/applications/{application.pk}/datasets/add/",
        {"dataset": "admissions", "legal_gateway": LegalGateway.DEA_RESEARCH},
    )
    assert response.status_code == 400
    body = _body(response)
    assert 'id="id_legal_gateway-error"' in body
    assert "health-service functions" in body


def test_submit_shows_every_problem_linked_to_its_section(page_client, world):
    application = world.draft(lay_summary="", datasets=[], start_date=None)
    response = page_client(world.pi).post(f"/applications/{application.pk}/submit/")
    assert response.status_code == 400
    body = _body(response)
    assert f"/applications/{application.pk}/sections/summary/#id_lay_summary" in body
    assert f"/applications/{application.pk}/sections/dates/#id_start_date" in body
    assert f"/applications/{application.pk}/datasets/add/#id_dataset" in body
    assert (
        page_client(world.outsider).post(f"/applications/{application.pk}/submit/").status_code
        == 404
    )


def test_submit_then_answer_feedback_one_by_one_and_resubmit(page_client, world):
    application = world.draft()
    client = page_client(world.pi)
    assert client.post(f"/applications/{application.pk}/submit/").status_code == 302
    application = world.at(State.CHANGES_REQUESTED)
    item = FeedbackItem.objects.get(request__application=application)
    body = _body(client.get(f"/applications/{application.pk}/"))
    assert "1 of 1 point still to answer" in body
    early = client.post(f"/applications/{application.pk}/submit/")
    assert "Answer every point before resubmitting" in _body(early)
    assert f'href="/applications/{application.pk}/feedback/"' in _body(early)
    empty = client.post(
        f"/applications/{application.pk}/feedback/{item.pk}/", {f"item-{item.pk}-response": ""}
    )
    assert empty.status_code == 400
    answered = client.post(
        f"/applications/{application.pk}/feedback/{item.pk}/",
        {f"item-{item.pk}-response": "Dropped two variables."},
    )
    assert answered["Location"].endswith(f"/feedback/#item-{item.pk}")
    htmx = page_client(world.pi, htmx=True).post(
        f"/applications/{application.pk}/feedback/{item.pk}/",
        {f"item-{item.pk}-response": "Dropped two variables, really."},
    )
    assert htmx.status_code == 200
    assert "Your answer is saved." in _body(htmx)
    assert client.post(f"/applications/{application.pk}/submit/").status_code == 302
    application.refresh_from_db()
    assert application.state == State.SCOPING


def test_timeline_versions_and_letter(page_client, world):
    application = world.at(State.APPROVED)
    client = page_client(world.pi)
    assert "Approved" in _body(client.get(f"/applications/{application.pk}/timeline/"))
    letter = _body(client.get(f"/applications/{application.pk}/decision-letter/"))
    assert "Independent Governance Review Panel" in letter
    versions = _body(client.get(f"/applications/{application.pk}/versions/"))
    assert "Version 1" in versions
    draft = world.draft()
    assert "There is no decision" in _body(client.get(f"/applications/{draft.pk}/decision-letter/"))


def test_data_owner_sees_only_their_part_and_not_the_whole_letter(page_client, world):
    application = world.at(State.APPROVED)
    client = page_client(world.owner)
    overview = _body(client.get(f"/applications/{application.pk}/"))
    assert "the part of this application that concerns your organisation" in overview
    assert client.get(f"/applications/{application.pk}/decision-letter/").status_code == 403
    assert client.get(f"/applications/{application.pk}/versions/").status_code == 403
    assert client.get(f"/applications/{application.pk}/pre-approval/").status_code == 200


def test_feedback_page_saves_every_typed_answer_in_one_form_and_links_each_point_to_its_section(
    page_client, world
):
    application = world.at(State.CHANGES_REQUESTED)
    first = FeedbackItem.objects.get(request__application=application)
    second = FeedbackItem.objects.create(
        request=first.request, section="research_question", text="Say which admissions."
    )
    third = FeedbackItem.objects.create(request=first.request, section="general", text="Any more?")
    url = f"/applications/{application.pk}/feedback/"
    client = page_client(world.pi)
    page = _body(client.get(url))
    assert page.count("<form") - page.count('action="/logout') >= 1
    assert "Your answer to point 1" in page
    assert "Your answer to point 3" in page
    assert f'href="/applications/{application.pk}/sections/research_question/"' in page

    blank = client.post(url, {f"item-{i.pk}-response": "" for i in (first, second, third)})
    assert blank.status_code == 400
    assert "Write your answer to this point." in _body(blank)

    # Two typed, one left blank: both typed answers are saved, the blank one stays open, and
    # (with HTMX) the page that comes back still holds every box's text.
    htmx = page_client(world.pi, htmx=True).post(
        url,
        {
            f"item-{first.pk}-response": "Dropped two variables.",
            f"item-{second.pk}-response": "Emergency admissions only.",
            f"item-{third.pk}-response": "",
        },
    )
    assert htmx.status_code == 200
    body = _body(htmx)
    assert "2 answers saved." in body
    assert "Dropped two variables." in body
    assert "Emergency admissions only." in body
    first.refresh_from_db()
    second.refresh_from_db()
    third.refresh_from_db()
    assert (first.response, second.response, third.response) == (
        "Dropped two variables.",
        "Emergency admissions only.",
        "",
    )
    plain = client.post(url, {f"item-{third.pk}-response": "None."})
    assert plain.status_code == 302
    assert plain["Location"].endswith("/feedback/")
    assert "0 points still to answer" in _body(client.get(url))
    assert page_client(world.outsider).post(url, {}).status_code == 404


def test_check_and_submit_cannot_start_until_every_section_safeguards_included_is_done(
    page_client, world
):
    application = world.draft(safeguards=False)
    client = page_client(world.pi)
    overview = _body(client.get(f"/applications/{application.pk}/"))
    assert "You have completed 7 of 8 sections." in overview
    assert "Cannot start yet" in overview
    assert f'href="/applications/{application.pk}/steps/submit/"' not in overview
    assert "You need to complete every section of the application" in overview
    refused = client.post(f"/applications/{application.pk}/submit/")
    assert refused.status_code == 400
    body = _body(refused)
    assert "Safeguards:" in body
    assert f'href="/applications/{application.pk}/sections/safeguards/"' in body
    application.refresh_from_db()
    assert application.state == State.DRAFT

    ready = world.draft()
    overview = _body(client.get(f"/applications/{ready.pk}/"))
    assert "You have completed 8 of 8 sections." in overview
    assert f'href="/applications/{ready.pk}/submit/"' in overview
    assert "You need to check your answers and submit the application." in overview


def test_a_refused_upload_comes_back_as_an_error_summary_linking_to_the_file_input(
    page_client, world
):
    application = world.draft()
    client = page_client(world.pi)
    safeguards = f"/applications/{application.pk}/sections/safeguards/"
    refused = client.post(
        f"/applications/{application.pk}/ethics-letter/", {}, headers={"referer": safeguards}
    )
    assert refused.status_code == 302
    body = _body(client.get(refused["Location"]))
    assert "govuk-error-summary" in body
    assert '<a href="#id_file">Choose a file to upload.</a>' in body
    assert 'id="id_file"' in body
    assert "The file was not accepted." not in body
    assert "govuk-notification-banner" not in body.split("govuk-error-summary", 1)[1][:2000]


def test_my_applications_puts_what_waits_on_me_first_with_its_button(page_client, world):
    waiting = world.at(State.CHANGES_REQUESTED)
    world.at(State.SCOPING, title="Nothing for me to do")
    body = _body(page_client(world.pi).get("/applications/"))
    assert "Needs your action" in body
    banner = body.split("Needs your action", 1)[1].split("</ul>", 1)[0]
    assert f'href="/applications/{waiting.pk}/feedback/"' in banner
    assert "Answer the feedback" in banner
    assert "Nothing for me to do" not in banner
    assert body.index(waiting.title) < body.index("Nothing for me to do")


def test_the_person_holding_the_step_sees_you_need_to_and_nobody_else_does(page_client, world):
    application = world.at(State.SCOPING)
    url = f"/applications/{application.pk}/"
    holder = application.analyst
    body = _body(page_client(holder).get(url))
    assert "Your next step" in body
    assert "You need to scope this application" in body
    assert f'href="/scoping/{application.pk}/"' in body.split("Your next step", 1)[1][:1500]
    # The team is waiting on the analyst, not the other way round.
    assert "Your next step" not in _body(page_client(world.pi).get(url))
