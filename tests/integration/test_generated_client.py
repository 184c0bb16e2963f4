"""The schema is a contract a generated client can trust: a typed Python client is generated
from the live server's own schema with ``openapi-python-client`` (no hand-written request
anywhere in this file) and drives the whole route with it, as each role, against a live server.

If the schema lies, this fails: a request body the client cannot express, a field the server
refuses or requires unannounced, a response the client's models cannot read (a missing
required field, an enum value it does not know, a list that comes back paginated or not), or an
``operationId`` that is not the one the code uses (tests/api/test_operation_ids.py keeps them).
The generator must also read the schema without a single warning: a warning means an operation
it left out or could not type.
"""

from __future__ import annotations

import datetime
import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from access.models import Role
from tests.factories import make_user
from tests.factories.workflow import World

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"  # tests/factories/access.py
GENERATOR_CONFIG = """\
package_name_override: tre_client
project_name_override: tre-client
post_hooks: []
content_type_overrides:
  application/zip: application/octet-stream
"""


@pytest.fixture(scope="session")
def generated(live_server, tmp_path_factory) -> ModuleType:
    """The client package, generated once per session from ``/api/schema/`` as the live
    server answers it, and imported."""
    where = tmp_path_factory.mktemp("generated-client")
    schema = httpx.get(f"{live_server.url}/api/schema/", params={"format": "json"}, timeout=60)
    assert schema.status_code == 200, schema.text[:500]
    (where / "schema.json").write_bytes(schema.content)
    (where / "config.yaml").write_text(GENERATOR_CONFIG)
    generator = Path(sys.executable).with_name("openapi-python-client")
    run = subprocess.run(  # noqa: S603 - our own virtualenv's generator, fixed arguments
        [
            str(generator),
            "generate",
            "--path",
            str(where / "schema.json"),
            "--output-path",
            str(where / "tre_client"),
            "--meta",
            "none",
            "--config",
            str(where / "config.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "Warning" not in output, output
    sys.path.insert(0, str(where))
    try:
        return importlib.import_module("tre_client")
    finally:
        sys.path.remove(str(where))


class Api:
    """The generated client's operations, by operationId (``api.applications_submit(...)``)
    for one signed-in person; every call must succeed and parse into the documented model."""

    def __init__(self, package: ModuleType, base_url: str, person) -> None:
        self.package = package
        login = self._operation("auth_token_create")
        with package.Client(base_url=base_url) as anonymous:
            token = login.sync_detailed(
                client=anonymous,
                body=self.model("TokenLoginRequest")(login=person.username, password=PASSWORD),
            )
        assert token.status_code == 200, token.content
        self.client = package.AuthenticatedClient(
            base_url=base_url, token=token.parsed.token, prefix="Token"
        )

    def close(self) -> None:
        self.client.get_httpx_client().close()

    def model(self, name: str) -> Any:
        return getattr(importlib.import_module("tre_client.models"), name)

    def _operation(self, operation_id: str) -> ModuleType:
        for tag in Path(self.package.__file__).parent.joinpath("api").iterdir():
            if (tag / f"{operation_id}.py").exists():
                return importlib.import_module(f"tre_client.api.{tag.name}.{operation_id}")
        raise AssertionError(f"The generated client has no operation {operation_id}")

    def call(self, operation_id: str, *args, expect: int = 200, **kwargs) -> Any:
        response = self._operation(operation_id).sync_detailed(*args, client=self.client, **kwargs)
        assert response.status_code == expect, (
            operation_id,
            response.status_code,
            response.content,
        )
        assert not isinstance(response.parsed, self.model("Error")), response.content
        return response.parsed

    def __getattr__(self, operation_id: str):
        return lambda *args, **kwargs: self.call(operation_id, *args, **kwargs)


@pytest.fixture
def people(settings):
    """A small TRE (tests/factories/workflow.py), and one newcomer to the team who is not yet
    accredited: the route waits for their accreditation."""
    # Ten people sign in from one address within the minute.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"login": "100/min"},
    }
    world = World()
    world.newcomer = make_user(
        Role.RESEARCHER, full_name="Nia Newcomer", affiliation=world.university
    )
    return world


@pytest.fixture
def as_(generated, live_server, people):
    """Each person of the route, signed in through the generated client."""
    signed_in = {
        who: Api(generated, live_server.url, getattr(people, who))
        for who in (
            "pi",
            "colleague",
            "newcomer",
            "analyst",
            "reviewer",
            "panel",
            "owner",
            "officer",
            "signatory",
            "ops",
        )
    }
    yield signed_in
    for api in signed_in.values():
        api.close()


def test_the_whole_route_through_the_generated_client_only(generated, people, as_):
    world = people
    m = lambda name: getattr(generated.models, name)  # noqa: E731 - the models, by name
    pi = as_["pi"]

    # The principal investigator starts the application with their team and data, then the
    # safeguards, and submits.
    me = pi.me_retrieve()
    created = pi.applications_create(
        expect=201,
        body=m("ApplicationInputRequest")(
            title="School attainment and later health",
            lay_summary="How results at school relate to health later in life.",
            research_question="Does attainment at 16 predict admissions at 30?",
            public_benefit="Evidence for early-years policy.",
            purpose=m("PurposeEnum").PUBLIC_POLICY,
            start_date=datetime.date(2027, 1, 1),
            end_date=datetime.date(2028, 12, 31),
            lead_organisation="swansea",
            members=[
                m("MemberInputRequest")(
                    user=me.id, project_role=m("ProjectRoleEnum").PRINCIPAL_INVESTIGATOR
                ),
                m("MemberInputRequest")(
                    email=world.colleague.email, project_role=m("ProjectRoleEnum").RESEARCHER
                ),
            ],
            datasets=[
                m("RequestedDatasetInputRequest")(
                    dataset="education",
                    legal_gateway=m("LegalGatewayEnum").PUBLIC_TASK,
                    justification="Attainment is the exposure.",
                    variables=[
                        m("RequestedVariableInputRequest")(variable="school_year"),
                        m("RequestedVariableInputRequest")(variable="grade"),
                    ],
                )
            ],
        ),
    )
    app_id = created.id
    assert created.state == m("ApplicationStateEnum").DRAFT
    # A newcomer joins the team: found by their exact email address, added by it.
    (found,) = pi.applications_people(app_id, email=world.newcomer.email.upper())
    assert (found.full_name, found.affiliation) == ("Nia Newcomer", "Swansea University")
    assert pi.applications_people(app_id, email="nia@example.org") == []
    team = pi.applications_update(
        app_id,
        body=m("PatchedApplicationInputRequest")(
            members=[
                m("MemberInputRequest")(
                    user=member.user.id, project_role=m("ProjectRoleEnum")(member.project_role)
                )
                for member in created.members
            ]
            + [
                m("MemberInputRequest")(
                    email=world.newcomer.email, project_role=m("ProjectRoleEnum").RESEARCHER
                )
            ]
        ),
    )
    assert found.id in {member.user.id for member in team.members}
    pi.applications_safeguards_update(
        app_id,
        body=m("PatchedSafeguardsInputRequest")(
            ethics_reference="REC 24/WA/0001",
            ethics_committee="Wales Research Ethics Committee 3",
            ethics_approved_on=datetime.date(2026, 1, 15),
            intended_outputs="Aggregate tables for a journal article.",
            access_inside_tre_only=True,
            acknowledge_disclosure_rules=True,
        ),
    )
    names = [t.name for t in pi.applications_transitions(app_id)]
    assert "submit" in names
    assert pi.applications_submit(app_id).state == m("ApplicationStateEnum").SCOPING

    # The analyst asks for changes, several points at once; the team answers each and
    # resubmits.
    analyst = as_["analyst"]
    asked = analyst.applications_request_changes(
        app_id,
        body=m("RequestChangesInputRequest")(
            summary="Two things before we go on.",
            items=[
                m("FeedbackItemInputRequest")(
                    section=m("SectionEnum").DATA, text="Justify each variable."
                ),
                m("FeedbackItemInputRequest")(
                    section=m("SectionEnum").SUMMARY, text="Say who benefits."
                ),
            ],
        ),
    )
    assert asked.state == m("ApplicationStateEnum").CHANGES_REQUESTED
    (round_one,) = pi.applications_feedback(app_id)
    assert [i.section for i in round_one.items] == [m("SectionEnum").DATA, m("SectionEnum").SUMMARY]
    for item in round_one.items:
        answered = pi.applications_feedback_respond(
            app_id, item.id, body=m("FeedbackResponseInputRequest")(response="Done.")
        )
        assert answered.response == "Done."
    pi.applications_update(
        app_id,
        body=m("PatchedApplicationInputRequest")(
            lay_summary="Families and schools in Wales benefit."
        ),
    )
    back = pi.applications_resubmit(app_id)
    assert (back.state, back.current_version) == (m("ApplicationStateEnum").SCOPING, 2)
    assert [v.number for v in pi.applications_versions(app_id)] == [1, 2]

    # Scoping: the analyst records the variables in scope and feasibility, and completes it.
    variables = {v.name: v.id for v in analyst.variables_list(dataset="education").results}
    scoping = analyst.applications_scoping_update(
        app_id,
        body=m("PatchedScopingInputRequest")(
            feasible=True,
            feasibility_notes="Linkable through the ALF.",
            scoped_variables=[variables["school_year"], variables["grade"]],
        ),
    )
    assert scoping.feasible is True
    assert analyst.applications_complete_scoping(app_id).state == (
        m("ApplicationStateEnum").INTERNAL_REVIEW
    )

    # The newcomer is told they need training, applies, and the officer accredits them.
    applied = as_["newcomer"].accreditations_create(
        expect=201,
        body=m("AccreditationApplyInputRequest")(
            kind=m("AccreditationKindEnum").SAFE_RESEARCHER,
            issuer="ONS Safe Researcher Training",
            certificate_number="SRT-2026-7",
            issued_on=datetime.date(2026, 11, 30),
        ),
    )
    accredited = as_["officer"].accreditations_accredit(
        applied.id, body=m("AccreditationDecisionInputRequest")(reason="Certificate checked.")
    )
    assert accredited.state == m("AccreditationStateEnum").ACCREDITED

    # Internal review refers it to the panels and the data owners, all at once.
    referred = as_["reviewer"].applications_refer_to_panels(
        app_id, body=m("NoteInputRequest")(reason="Ready for the panels.")
    )
    assert referred.state == m("ApplicationStateEnum").IN_REVIEW
    tracks = {t.kind: t for t in referred.tracks}
    assert set(tracks) == {"igrp", "owner_signoff"}

    # The panel member votes; once voted they see the tally; the chair closes the vote.
    panel = as_["panel"]
    igrp = tracks["igrp"].id
    vote = panel.review_tracks_votes_create(
        igrp,
        expect=201,
        body=m("VoteInputRequest")(
            outcome=m("OutcomeEnum").APPROVED, rationale="Clear benefit, low risk."
        ),
    )
    assert (vote.outcome, vote.conditions) == (m("OutcomeEnum").APPROVED, [])
    votes = panel.review_tracks_votes(igrp)
    assert votes.tally.votes_cast == 1
    assert votes.tally.can_close is True
    closed = panel.review_tracks_close(
        igrp, body=m("TrackDecisionInputRequest")(outcome=m("OutcomeEnum").APPROVED)
    )
    assert closed.outcome == m("OutcomeEnum").APPROVED

    # The data owner signs off for their organisation; every track is decided: approved.
    owner_track = tracks["owner_signoff"].id
    as_["owner"].review_tracks_decide(
        owner_track, body=m("TrackDecisionInputRequest")(outcome=m("OutcomeEnum").APPROVED)
    )
    approved = pi.applications_retrieve(app_id)
    assert approved.state == m("ApplicationStateEnum").APPROVED
    assert pi.applications_decision_letter(app_id).outcome == m("LetterOutcomeEnum").APPROVED

    # The agreement: each member accepts it, and the university's signatory signs for it.
    for who in ("pi", "colleague", "newcomer"):
        as_[who].applications_agreement_sign(
            app_id,
            expect=201,
            body=m("SignInputRequest")(capacity=m("SignatureCapacityInputEnum").MEMBER),
        )
    signed = as_["signatory"].applications_agreement_sign(
        app_id,
        expect=201,
        body=m("SignInputRequest")(capacity=m("SignatureCapacityInputEnum").SIGNATORY),
    )
    assert signed.complete is True
    assert m("SignatureCapacityEnum").SIGNATORY in {s.capacity for s in signed.signatures}

    # Ops grant access: one grant per researcher, ending with the project.
    ops = as_["ops"]
    assert "grant_access" in [t.name for t in ops.applications_transitions(app_id)]
    live = ops.applications_grant_access(app_id)
    assert live.state == m("ApplicationStateEnum").ACTIVE
    grants = ops.access_grants_list(application=app_id).results
    assert {(g.person.full_name, g.state, g.end_on) for g in grants} == {
        (person.full_name, m("GrantStateEnum").ACTIVE, datetime.date(2028, 12, 31))
        for person in (world.pi, world.colleague, world.newcomer)
    }

    # The whole story, a page at a time, oldest first.
    kinds, page = [], 1
    while True:
        events = pi.applications_timeline(app_id, page=page, page_size=5)
        kinds += [e.kind for e in events.results]
        if not events.next_:
            break
        page += 1
    assert len(kinds) == events.count > 5
    assert kinds[0] == "created"
    assert kinds.index("approved") < kinds.index("access_granted")
    assert kinds.count("changes_requested") == 1
